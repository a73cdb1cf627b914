// hostport: can a TCP connection to host:port be opened, and how long does it take (DNS included).
// Refused, timeout, DNS failure and unreachable each have their own reason. Refused is a reached `crit` (the host
// answered: the service is down); the others mean "not reached" (see connectionFailed in probe.ts).
import net from 'node:net';
import type { HostportTarget } from '../../config/targets.js';
import { connectionFailed, formatSeconds, networkReason, secondsSince, unreached, type Probe, type ProbeResult } from './probe.js';

export const probeHostport: Probe<Pick<HostportTarget, 'host' | 'port'>> = (target, signal) =>
  new Promise<ProbeResult>((resolve) => {
    const startedAt = performance.now();
    const where = `${target.host}:${target.port}`;
    if (signal.aborted) {
      resolve(unreached('timeout', `no connection to ${where}: timed out`, { duration_seconds: 0 }));
      return;
    }
    const socket = net.connect({ host: target.host, port: target.port });
    const finish = (result: ProbeResult): void => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => {}); // a late error after destroy must not crash the process
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => {
      const seconds = secondsSince(startedAt);
      finish(unreached('timeout', `no connection to ${where} within ${formatSeconds(seconds)}`, { duration_seconds: seconds }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      const seconds = secondsSince(startedAt);
      finish({ reached: true, status: 'ok', message: `connected to ${where} in ${formatSeconds(seconds)}`, metrics: { duration_seconds: seconds } });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const seconds = secondsSince(startedAt);
      const reason = networkReason(error) ?? 'unreachable';
      finish(connectionFailed(reason, `no connection to ${where}: ${describe(reason, error)}`, { duration_seconds: seconds }));
    });
  });

function describe(reason: string, error: NodeJS.ErrnoException): string {
  switch (reason) {
    case 'refused':
      return 'connection refused';
    case 'dns':
      return 'host name did not resolve';
    case 'timeout':
      return 'timed out';
    default:
      return error.code ?? 'connection failed';
  }
}
