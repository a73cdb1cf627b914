// The connection preamble the tcp and grpc probes share: the clock, the one abort listener, the certificate expiry
// of a TLS peer, finishing exactly once, and how a socket error becomes a result. Before the peer connected, a
// failure says how far vigil got (refused is a reached crit, timeout/DNS/no route are not reached: see
// connectionFailed in probe.ts); once connected, anything that goes wrong is a wrong answer (crit).
import type { TLSSocket } from 'node:tls';
import { errorCode, networkReason, type ProbeReason } from '../reasons.js';
import { connectionFailed, describeFailure, formatSeconds, secondsSince, unreached, type ProbeResult } from './probe.js';
import { earliestCertExpiry } from './tls.js';

/** One attempt, handed to the probe's own protocol code. */
export interface Connection {
  /** Whether the peer connected (TCP, and over TLS the handshake too). */
  readonly connected: boolean;
  /** The peer connected; a TLS socket's certificate expiry is recorded. */
  markConnected(tlsSocket?: TLSSocket): void;
  /** Time since the attempt began, formatted for messages. */
  elapsed(): string;
  ok(message: string): void;
  crit(reason: ProbeReason, message: string): void;
  /** A socket or session error: `tls`, or a failed connection, or (connected) a lost one; `at` says where. */
  fail(error: unknown, at?: string): void;
}

export interface ConnectionProtocol {
  /** Opens the socket or session and wires its events to `connection`; returns what closes it. */
  open(connection: Connection): () => void;
  /** The message of a timeout once connected: what was still awaited. */
  timedOut(elapsed: string): string;
}

/** Runs one connection attempt to `where` (host:port) until the protocol finishes it, an error or the signal. */
export function probeConnection(where: string, signal: AbortSignal, protocol: ConnectionProtocol): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    if (signal.aborted) return resolve(unreached('timeout', `no connection to ${where}: timed out`, { duration_seconds: 0 }));
    const startedAt = performance.now();
    const metrics: ProbeResult['metrics'] = {};
    const measured = (): ProbeResult['metrics'] => ({ ...metrics, duration_seconds: secondsSince(startedAt) });
    let connected = false;
    let done = false;
    let close = (): void => {};
    const finish = (result: ProbeResult): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      close();
      resolve(result);
    };
    const connection: Connection = {
      get connected() {
        return connected;
      },
      markConnected(tlsSocket) {
        connected = true;
        const expiry = tlsSocket && earliestCertExpiry(tlsSocket);
        if (expiry !== undefined) metrics.tls_cert_expiry_timestamp_seconds = expiry;
      },
      elapsed: () => formatSeconds(secondsSince(startedAt)),
      ok: (message) => finish({ reached: true, status: 'ok', message, metrics: measured() }),
      crit: (reason, message) => finish({ reached: true, status: 'crit', reason, message, metrics: measured() }),
      fail(error, at = '') {
        const code = errorCode(error);
        // A code the vocabulary does not know: before connecting, vigil did not get there; after, the peer dropped it.
        const reason = networkReason(error) ?? (connected ? 'reset' : 'unreachable');
        if (reason === 'tls') return connection.crit('tls', `${where}: TLS failed: ${code}`);
        if (connected) return connection.crit(reason, `${where}: connection lost${at}: ${code ?? reason}`);
        finish(connectionFailed(reason, `no connection to ${where}: ${describeFailure(reason, code)}`, measured()));
      },
    };
    const onAbort = (): void => {
      if (connected) connection.crit('timeout', `${where}: ${protocol.timedOut(connection.elapsed())}`);
      else finish(unreached('timeout', `no connection to ${where} within ${connection.elapsed()}`, measured()));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    close = protocol.open(connection);
  });
}
