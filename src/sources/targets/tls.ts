// Client TLS shared by the probes that speak it (download, tcp, grpc): the files of a target read once at start-up,
// and the earliest expiry of the chain a server presented (what blackbox_exporter calls
// probe_ssl_earliest_cert_expiry: a chain is only as valid as its first certificate to expire).
import { readFileSync } from 'node:fs';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { errorCode } from '../reasons.js';

export interface TlsClientConfig {
  name: string;
  ca_file?: string | undefined;
  cert_file?: string | undefined;
  key_file?: string | undefined;
  server_name?: string | undefined;
  insecure_skip_verify: boolean;
}

/** What node:tls / undici's connector take. */
export interface TlsClientOptions {
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: boolean;
}

export type ReadFile = (file: string) => string;
export const readUtf8: ReadFile = (file) => readFileSync(file, 'utf8');

/** Reads a target's `*_file` once; a missing file is a start-up error that names the target and the key. */
export function readTargetFile(target: { name: string }, key: string, file: string, readFile: ReadFile): string {
  try {
    return readFile(file);
  } catch (error) {
    throw new Error(`target ${target.name}: cannot read ${key} ${file}: ${errorCode(error) ?? (error as Error).message}`);
  }
}

export function tlsClientOptions(target: TlsClientConfig, readFile: ReadFile = readUtf8): TlsClientOptions {
  const options: TlsClientOptions = { rejectUnauthorized: !target.insecure_skip_verify };
  if (target.ca_file) options.ca = readTargetFile(target, 'ca_file', target.ca_file, readFile);
  if (target.cert_file) options.cert = readTargetFile(target, 'cert_file', target.cert_file, readFile);
  if (target.key_file) options.key = readTargetFile(target, 'key_file', target.key_file, readFile);
  if (target.server_name) options.servername = target.server_name;
  return options;
}

/** A target with `tls: true` gets its TLS files read once, at source creation; others pass through unchanged. */
export function withTlsOptions<T extends TlsClientConfig & { tls: boolean }>(target: T, readFile?: ReadFile): T & { tlsOptions?: TlsClientOptions } {
  return target.tls ? { ...target, tlsOptions: tlsClientOptions(target, readFile) } : target;
}

/** Unix seconds at which the first certificate of the presented chain expires; undefined without a certificate. */
export function earliestCertExpiry(socket: TLSSocket): number | undefined {
  let cert: PeerCertificate | undefined = socket.getPeerCertificate(true);
  if (!cert || Object.keys(cert).length === 0) return undefined;
  let earliest = Infinity;
  const seen = new Set<string>();
  while (cert?.fingerprint256 && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    const expires = Date.parse(cert.valid_to);
    if (Number.isFinite(expires)) earliest = Math.min(earliest, expires / 1000);
    cert = (cert as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
  }
  return Number.isFinite(earliest) ? earliest : undefined;
}
