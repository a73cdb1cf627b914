// Throwaway certificate authorities and certificates made with the openssl CLI (EC P-256: fast to make), for TLS
// tests. Every certificate carries subjectAltName entries, which Go clients (Prometheus) require.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.error) assert.fail(`openssl is not installed; the TLS tests need it: apt-get install openssl (${result.error.message})`);
  assert.equal(result.status, 0, `openssl ${args.join(' ')} failed:\n${result.stderr}`);
}

/** A self-signed CA named `name`, as `name-ca.crt` and `name-ca.key` under `dir`. */
export function makeCa(dir: string, name: string): CertFiles {
  const cert = join(dir, `${name}-ca.crt`);
  const key = join(dir, `${name}-ca.key`);
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name} test CA`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { cert, key };
}

export interface IssueOptions {
  /** subjectAltName entries; default IP:127.0.0.1 and DNS:localhost. */
  sans?: string[];
  /** Where to write; default `dir/name.crt` and `dir/name.key`. */
  out?: CertFiles;
}

/** A leaf certificate for server and client use, signed by `ca`. */
export function issueCert(dir: string, ca: CertFiles, name: string, options: IssueOptions = {}): CertFiles {
  const out = options.out ?? { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${(options.sans ?? ['IP:127.0.0.1', 'DNS:localhost']).join(',')}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  openssl(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', out.key, '-out', csr, '-subj', `/CN=${name}`],
    dir,
  );
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-out', out.cert, '-extfile', ext], dir);
  return out;
}
