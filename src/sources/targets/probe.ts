// What every probe shares: its shape, its result and how a failed connection becomes a result. Reasons are the
// one vocabulary of ../reasons.ts (a network error becomes a word there, for probes and sources alike).
// Every probe is built the same way, one file per type as blackbox_exporter keeps one prober per file: a
// ProbeFactory `(target, context) => run` that does the one-time work when the source starts (reads TLS and header
// files, builds clients) and returns the function the scheduler calls on every run. registry.ts lists them.
import type { ProbeReason } from '../reasons.js';
import type { ProbeMetric } from './metrics.js';

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
  /** Short bounded word saying why it failed (the vocabulary of ../reasons.ts); absent on success. */
  reason?: ProbeReason;
  metrics: Partial<Record<ProbeMetric, number>>;
}

/** One run of a probe; `signal` fires at the target's timeout. */
export type RunProbe = (signal: AbortSignal) => Promise<ProbeResult>;

/** Builds a target's run function once; `C` is the part of the source's ProbeContext (registry.ts) it needs. */
export type ProbeFactory<T, C = object> = (target: T, context: C) => RunProbe;

/** Seconds elapsed since `startedAt` (a `performance.now()` reading), for `duration_seconds`. */
export function secondsSince(startedAt: number): number {
  return Math.max(0, (performance.now() - startedAt) / 1000);
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

/** Words for the connection failures whose error code says little to a reader. */
export function describeFailure(reason: ProbeReason, code: string | undefined): string {
  switch (reason) {
    case 'refused':
      return 'connection refused';
    case 'dns':
      return 'host name did not resolve';
    case 'timeout':
      return 'timed out';
    default:
      return code ?? reason;
  }
}

/** Formats seconds for messages: 3 significant decimals, no exponent. */
export function formatSeconds(seconds: number): string {
  return `${seconds < 0.001 ? seconds.toFixed(6) : seconds.toFixed(3)}s`;
}
