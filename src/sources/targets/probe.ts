// What every probe shares: its result shape and the mapping of system errors to short, bounded reasons.
// A probe is one async function `(target, signal) => ProbeResult` in its own file (ping.ts, hostport.ts,
// filewrite.ts, download.ts), the way blackbox_exporter keeps one prober per file.

/** Measurement keys a probe may report; the /metrics renderer maps them to the `vigil_probe_*` families. */
export type ProbeMetric =
  | 'duration_seconds'
  | 'response_bytes'
  | 'http_status_code'
  | 'icmp_packet_loss_ratio'
  | 'icmp_rtt_min_seconds'
  | 'icmp_rtt_avg_seconds'
  | 'icmp_rtt_max_seconds'
  | 'tls_cert_expiry_timestamp_seconds';

/**
 * `reached`: the peer answered at all. Not reached (timeout, DNS, unreachable) is a connectivity failure and leaves
 * health alone; reached with a wrong answer (HTTP 500, body mismatch, disk full, a refused connection) is `crit`.
 */
export interface ProbeResult {
  reached: boolean;
  /** `warn` only for limits a reached answer came close to (warn_duration, cert_expiry_warn). */
  status: 'ok' | 'warn' | 'crit';
  /** Human text. Never contains header values, URL credentials or query strings. */
  message: string;
  /** Short bounded word saying why it failed (see REASONS); absent on success. */
  reason?: ProbeReason;
  metrics: Partial<Record<ProbeMetric, number>>;
}

export type Probe<T> = (target: T, signal: AbortSignal) => Promise<ProbeResult>;

/** Every reason a probe can give. Bounded, so it is safe as a label value. */
export const REASONS = [
  'refused', // TCP RST on connect: the host answered, the service is down (a reached crit, see connectionFailed)
  'timeout', // no answer within the target's timeout
  'dns', // name did not resolve
  'unreachable', // no route, host or network unreachable
  'reset', // connection dropped before an answer
  'tls', // TLS handshake or certificate verification failed
  'status', // HTTP status not in expected_status
  'body', // body_contains or a body condition failed
  'header', // a response header condition failed
  'expect', // a tcp query_response step did not see its expected answer
  'rcode', // a DNS answer's response code is not in valid_rcodes
  'answer', // a DNS answer condition (values, count) failed
  'not_serving', // gRPC health status is not SERVING
  'slow', // reached, but slower than max_duration (crit) or warn_duration (warn)
  'cert_expiry', // the earliest certificate of the chain expires within cert_expiry_crit (crit) or _warn (warn)
  'redirects', // more redirects than max_redirects
  'loss', // ICMP loss above max_loss_ratio
  'mismatch', // file read back differs from what was written
  'enospc', // file system full
  'erofs', // read-only file system
  'eacces', // permission denied
  'enoent', // directory missing
  'io', // any other I/O error on the file system
  'internal', // vigil could not run the probe (spawn failed, fd exhaustion): not the target's fault
] as const;
export type ProbeReason = (typeof REASONS)[number];

/** Seconds elapsed since `startedAt` (a `performance.now()` reading), for `duration_seconds`. */
export function secondsSince(startedAt: number): number {
  return Math.max(0, (performance.now() - startedAt) / 1000);
}

const NETWORK_REASONS: Record<string, ProbeReason> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  EAI_NODATA: 'dns',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
};

/** Error codes that are vigil's own trouble, not the target's. */
const INTERNAL_CODES = new Set(['EMFILE', 'ENFILE', 'ENOMEM', 'ENOBUFS']);

/** The `code` of a Node/undici error, following `cause` chains (undici wraps the socket error). */
export function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') return undefined;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR' && code !== 'ERR_ASSERTION') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps a network error to a reason; undefined when it is not a network error this table knows. */
export function networkReason(error: unknown): ProbeReason | undefined {
  const code = errorCode(error);
  if (code === undefined) return undefined;
  if (INTERNAL_CODES.has(code)) return 'internal';
  return NETWORK_REASONS[code];
}

/** The result of a probe that did not reach its peer. */
export function unreached(reason: ProbeReason, message: string, metrics: ProbeResult['metrics']): ProbeResult {
  return { reached: false, status: 'crit', reason, message, metrics };
}

/**
 * The result of a connection attempt that failed before any answer. A refused connection is a reached `crit`:
 * the host answered (with a TCP reset), so the network path works and it is the *service* that is down — a health
 * failure that counts toward thresholds, like an HTTP 500. Timeout, DNS failure and no route are not reached: vigil
 * cannot tell anything about the service, only that it could not get there (connectivity, health untouched).
 */
export function connectionFailed(reason: ProbeReason, message: string, metrics: ProbeResult['metrics']): ProbeResult {
  if (reason === 'refused') return { reached: true, status: 'crit', reason, message, metrics };
  return unreached(reason, message, metrics);
}

/** Formats seconds for messages: 3 significant decimals, no exponent. */
export function formatSeconds(seconds: number): string {
  return `${seconds < 0.001 ? seconds.toFixed(6) : seconds.toFixed(3)}s`;
}
