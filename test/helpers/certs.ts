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

export function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.error) assert.fail(`openssl is not installed; the TLS tests need it: apt-get install openssl (${result.error.message})`);
  assert.equal(result.status, 0, `openssl ${args.join(' ')} failed:\n${result.stderr}`);
}

/** A self-signed certificate and its key, written to `out`, valid for `days` from now. */
function selfSigned(dir: string, out: CertFiles, subject: string, extensions: readonly string[], days: number): CertFiles {
  const addext = extensions.flatMap((extension) => ['-addext', extension]);
  openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', out.key, '-out', out.cert].concat(
      ['-days', String(days), '-subj', subject],
      addext,
    ),
    dir,
  );
  return out;
}

/** A self-signed CA named `name`, as `name-ca.crt` and `name-ca.key` under `dir`; valid for `days` (default 2). */
export function makeCa(dir: string, name: string, days = 2): CertFiles {
  const out = { cert: join(dir, `${name}-ca.crt`), key: join(dir, `${name}-ca.key`) };
  return selfSigned(dir, out, `/CN=${name} test CA`, ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'], days);
}

/** A self-signed certificate for 127.0.0.1 with no CA behind it (a client trusts it only when told to), as `name.crt`/`.key`. */
export function selfSignedCert(dir: string, name: string): CertFiles {
  const out = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  return selfSigned(dir, out, '/CN=127.0.0.1', ['subjectAltName=IP:127.0.0.1'], 2);
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
