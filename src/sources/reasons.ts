// The one vocabulary of error reasons: `vigil_source_errors_total{reason}`, a source's `vigil_source_up` reason, a
// probe's reason (connectivity reason, `probe:<check>` metadata, /probe) all use these words, and a network error
// becomes a word in ONE function (networkReason). Bounded, so every word is safe as a label value; docs/metrics.md
// lists them. The network words follow blackbox_exporter's failure phases (resolve, connect, TLS, answer).

/** Why talking to a peer failed before any answer: the same word for the same case in every source and probe. */
export const NETWORK_REASONS = [
  'timeout', // no answer within the deadline
  'dns', // the name did not resolve
  'refused', // TCP RST on connect: the host answered, the service is down
  'unreachable', // no route, host or network unreachable
  'reset', // the connection dropped (or was closed) before a whole answer
  'tls', // TLS handshake or certificate verification failed
  'internal', // vigil's own trouble (out of file descriptors or memory), not the peer's
] as const;
export type NetworkReason = (typeof NETWORK_REASONS)[number];

/** A probe's words beyond the network ones: what was wrong with the answer it got. */
export const ANSWER_REASONS = [
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
] as const;

/** Every reason a probe can give. */
export const PROBE_REASONS = [...NETWORK_REASONS, ...ANSWER_REASONS] as const;
export type ProbeReason = (typeof PROBE_REASONS)[number];

/** An HTTP error answer of a watched API: `http_401`, `http_404`, … and one `http_5xx` for every server error. */
export type HttpReason = 'http_5xx' | `http_${number}`;

/** A source's words beyond the network ones (`vigil_source_errors_total{reason}`). */
export type SourceReason =
  | NetworkReason
  | HttpReason
  | 'bad_response' // the peer answered, but not with what its protocol promises (not JSON, no items list, …)
  | 'no_reports' // a stream connection stayed open but silent past its limit
  | 'stall' // a Kubernetes watch was silent past its limit and was restarted
  | 'error'; // anything the words above do not cover

const CODE_REASONS: Record<string, NetworkReason> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  EAI_NODATA: 'dns',
  ETIMEDOUT: 'timeout',
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
  EMFILE: 'internal',
  ENFILE: 'internal',
  ENOMEM: 'internal',
  ENOBUFS: 'internal',
};

/** The `code` of a Node/undici error, following `cause` chains (undici and fetch wrap the socket error). */
export function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') return undefined;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR' && code !== 'ERR_ASSERTION') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether an error code is a TLS handshake or certificate failure (OpenSSL's and Node's names). */
function isTlsError(code: string | undefined): boolean {
  return code !== undefined && (/^ERR_(SSL|TLS)_/.test(code) || /CERT|SELF_SIGNED|UNABLE_TO_|VERIFY|SIGNATURE|DEPTH_ZERO|^EPROTO$/.test(code));
}

/**
 * THE mapping of a network error to its word; undefined when the error is none this table knows (the caller
 * decides: a source says `error`, a probe knows whether it was connected). An aborted or timed-out call is `timeout`.
 */
export function networkReason(error: unknown): NetworkReason | undefined {
  const name = (error as { name?: unknown } | null | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  const code = errorCode(error);
  if (code === undefined) return undefined;
  if (isTlsError(code)) return 'tls';
  return CODE_REASONS[code] ?? (code.includes('TIMEOUT') ? 'timeout' : undefined);
}

/** A source's word for a failed call: the network word, else `error`. */
export function sourceErrorReason(error: unknown): SourceReason {
  return networkReason(error) ?? 'error';
}

/** `http_401`, `http_404`, …; every server error is `http_5xx`, so the label set stays small. */
export function httpReason(status: number): HttpReason {
  return status >= 500 ? 'http_5xx' : `http_${status}`;
}
