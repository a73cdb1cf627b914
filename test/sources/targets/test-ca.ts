// A throw-away certificate authority made with the openssl command line, for probes that verify certificates:
// leaf certificates for 127.0.0.1 with any validity window, including ones that expired long ago.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeCa, openssl, type CertFiles } from '../../helpers/certs.js';

export interface Leaf {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

/** openssl's ca -startdate/-enddate form: YYYYMMDDHHMMSSZ. */
function asn1Time(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
}

export class TestCa {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'vigil-ca-'));
  readonly caFile: string;
  private readonly ca: CertFiles;
  private serial = 0;

  constructor() {
    writeFileSync(path.join(this.dir, 'index.txt'), '');
    writeFileSync(path.join(this.dir, 'serial'), '01\n');
    writeFileSync(
      path.join(this.dir, 'ca.cnf'),
      [
        '[ca]',
        'default_ca = local',
        '[local]',
        'database = index.txt',
        'serial = serial',
        'new_certs_dir = .',
        'default_md = sha256',
        'policy = any',
        'copy_extensions = copy',
        'unique_subject = no',
        '[any]',
        'commonName = supplied',
        '',
      ].join('\n'),
    );
    // A year: longer than any leaf the tests issue (up to 90 days), so the leaf is always the chain's earliest expiry.
    this.ca = makeCa(this.dir, 'vigil', 365);
    this.caFile = this.ca.cert;
  }

  /** A certificate for 127.0.0.1 valid from `notBefore` to `notAfter` (ms since the epoch). */
  issue(notBefore: number, notAfter: number): Leaf {
    const name = `leaf${++this.serial}`;
    openssl(
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        `${name}-key.pem`,
        '-out',
        `${name}.csr`,
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      this.dir,
    );
    openssl(
      [
        'ca',
        '-batch',
        '-config',
        'ca.cnf',
        '-cert',
        this.ca.cert,
        '-keyfile',
        this.ca.key,
        '-in',
        `${name}.csr`,
        '-out',
        `${name}.pem`,
        '-startdate',
        asn1Time(notBefore),
        '-enddate',
        asn1Time(notAfter),
      ],
      this.dir,
    );
    const certFile = path.join(this.dir, `${name}.pem`);
    const keyFile = path.join(this.dir, `${name}-key.pem`);
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
