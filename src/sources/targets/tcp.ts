// tcp: connect, optionally speak TLS (with the certificate checks of download), then run a query/response script
// of `send` lines and `expect` regular expressions — enough for SMTP, IMAP and SSH banners or Redis `PING`.
// Refused is a reached crit (the host answered: the service is down); timeout, DNS failure and no route are not
// reached (see connectionFailed in probe.ts). Once connected, anything that goes wrong is a wrong answer (crit).
// Without TLS and steps it is exactly hostport.
import net from 'node:net';
import tls from 'node:tls';
import type { TcpTarget } from '../../config/targets.js';
import { errorCode, isTlsError, networkReason } from '../reasons.js';
import { connectionFailed, formatSeconds, secondsSince, unreached, type Probe, type ProbeResult } from './probe.js';
import { earliestCertExpiry, type TlsClientOptions } from './tls.js';

/** What the peer may send before an `expect` matches; more is a failed step, not unbounded memory. */
export const MAX_RECEIVED_BYTES = 64 * 1024;

export type TcpProbeTarget = Pick<TcpTarget, 'host' | 'port' | 'tls' | 'query_response'> & { tlsOptions?: TlsClientOptions };

export const probeTcp: Probe<TcpProbeTarget> = (target, signal) =>
  new Promise<ProbeResult>((resolve) => {
    const startedAt = performance.now();
    const where = `${target.host}:${target.port}`;
    const metrics: ProbeResult['metrics'] = {};
    const measured = (): ProbeResult['metrics'] => ({ ...metrics, duration_seconds: secondsSince(startedAt) });
    if (signal.aborted) return resolve(unreached('timeout', `no connection to ${where}: timed out`, { duration_seconds: 0 }));

    let connected = false;
    let step = 0;
    let received = '';
    let groups: string[] = [];
    const socket: net.Socket = target.tlsOptions
      ? tls.connect({ host: target.host, port: target.port, ...target.tlsOptions, servername: target.tlsOptions.servername ?? serverName(target.host) })
      : net.connect({ host: target.host, port: target.port });

    const finish = (result: ProbeResult): void => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => {}); // a late error after destroy must not crash the process
      socket.destroy();
      resolve(result);
    };
    const crit = (reason: ProbeResult['reason'], message: string): void =>
      finish({ reached: true, status: 'crit', reason, message, metrics: measured() });
    const onAbort = (): void => {
      const seconds = formatSeconds(secondsSince(startedAt));
      if (!connected) return finish(unreached('timeout', `no connection to ${where} within ${seconds}`, measured()));
      crit('timeout', `${where}: step ${step + 1} (${describeStep(target, step)}) not done within ${seconds}`);
    };
    signal.addEventListener('abort', onAbort, { once: true });

    /** Runs steps until one must wait for more data; finishes when all are done. */
    const advance = (): void => {
      while (step < target.query_response.length) {
        const { send, expect } = target.query_response[step]!;
        if (send !== undefined) {
          // ${1} … stand for the groups of the last expect's match (blackbox: PING :(x) → PONG ${1}).
          socket.write(`${send.replace(/\$\{(\d)\}/g, (_all, index: string) => groups[Number(index)] ?? '')}\n`);
        } else {
          const match = new RegExp(expect!, 'm').exec(received);
          if (!match) return;
          groups = [...match].map((group) => group ?? '');
          received = received.slice(match.index + match[0].length);
        }
        step++;
      }
      const steps = target.query_response.length ? `, ${target.query_response.length} steps done` : '';
      finish({ reached: true, status: 'ok', message: `connected to ${where}${target.tlsOptions ? ' over TLS' : ''}${steps} in ${formatSeconds(secondsSince(startedAt))}`, metrics: measured() });
    };

    socket.once(target.tlsOptions ? 'secureConnect' : 'connect', () => {
      connected = true;
      if (target.tlsOptions) {
        const expiry = earliestCertExpiry(socket as tls.TLSSocket);
        if (expiry !== undefined) metrics.tls_cert_expiry_timestamp_seconds = expiry;
      }
      advance();
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (received.length > MAX_RECEIVED_BYTES) return crit('expect', `${where}: step ${step + 1} (${describeStep(target, step)}) not seen in ${MAX_RECEIVED_BYTES} bytes`);
      advance();
    });
    socket.once('end', () => {
      if (connected) crit('expect', `${where}: connection closed before step ${step + 1} (${describeStep(target, step)})`);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const code = errorCode(error);
      if (isTlsError(code)) return crit('tls', `${where}: TLS failed: ${code}`);
      const reason = networkReason(error) ?? 'unreachable';
      if (connected) return crit(reason, `${where}: connection lost at step ${step + 1}: ${code ?? reason}`);
      finish(connectionFailed(reason, `no connection to ${where}: ${describeFailure(reason, code)}`, measured()));
    });
  });

/** Words for the connection failures whose error code says little to a reader. */
function describeFailure(reason: string, code: string | undefined): string {
  switch (reason) {
    case 'refused':
      return 'connection refused';
    case 'dns':
      return 'host name did not resolve';
    case 'timeout':
      return 'timed out';
    default:
      return code ?? 'connection failed';
  }
}

function describeStep(target: Pick<TcpTarget, 'query_response'>, index: number): string {
  const step = target.query_response[index];
  if (!step) return 'end';
  return step.expect !== undefined ? `expect /${step.expect.slice(0, 60)}/` : 'send';
}

/** SNI must be a name, never an IP address. */
function serverName(host: string): string | undefined {
  return net.isIP(host) ? undefined : host;
}
