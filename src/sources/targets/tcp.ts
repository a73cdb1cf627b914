// tcp: connect, optionally speak TLS (with the certificate checks of download), then run a query/response script
// of `send` lines and `expect` regular expressions — enough for SMTP, IMAP and SSH banners or Redis `PING`.
// Refused is a reached crit (the host answered: the service is down); timeout, DNS failure and no route are not
// reached (see connection.ts). Once connected, anything that goes wrong is a wrong answer (crit).
// Without TLS and steps it is exactly hostport.
import net from 'node:net';
import tls from 'node:tls';
import type { TcpTarget } from '../../config/targets.js';
import { probeConnection } from './connection.js';
import type { ProbeFactory, ProbeResult } from './probe.js';
import { withTlsOptions, type ReadFile, type TlsClientOptions } from './tls.js';

/** What the peer may send before an `expect` matches; more is a failed step, not unbounded memory. */
export const MAX_RECEIVED_BYTES = 64 * 1024;

export type TcpExchange = Pick<TcpTarget, 'host' | 'port' | 'query_response'> & { tlsOptions?: TlsClientOptions };

/** Reads the target's TLS files once (with `tls: true`). */
export const createTcpProbe: ProbeFactory<TcpTarget, { readFile?: ReadFile | undefined }> = (target, context) => {
  const prepared = withTlsOptions(target, context.readFile);
  return (signal) => runTcp(prepared, signal);
};

/** One connection: connect (and TLS), then the query/response steps. hostport is this with no TLS and no steps. */
export function runTcp(target: TcpExchange, signal: AbortSignal): Promise<ProbeResult> {
  const where = `${target.host}:${target.port}`;
  let step = 0;
  return probeConnection(where, signal, {
    timedOut: (elapsed) => `step ${step + 1} (${describeStep(target, step)}) not done within ${elapsed}`,
    open(connection) {
      let received = '';
      let groups: string[] = [];
      const socket: net.Socket = target.tlsOptions
        ? tls.connect({
            host: target.host,
            port: target.port,
            ...target.tlsOptions,
            servername: target.tlsOptions.servername ?? serverName(target.host),
          })
        : net.connect({ host: target.host, port: target.port });
      const failedStep = (message: string): void => connection.crit('expect', `${where}: ${message}`);

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
        connection.ok(`connected to ${where}${target.tlsOptions ? ' over TLS' : ''}${steps} in ${connection.elapsed()}`);
      };

      socket.once(target.tlsOptions ? 'secureConnect' : 'connect', () => {
        connection.markConnected(target.tlsOptions ? (socket as tls.TLSSocket) : undefined);
        advance();
      });
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('utf8');
        if (received.length > MAX_RECEIVED_BYTES)
          return failedStep(`step ${step + 1} (${describeStep(target, step)}) not seen in ${MAX_RECEIVED_BYTES} bytes`);
        advance();
      });
      socket.once('end', () => {
        if (connection.connected) failedStep(`connection closed before step ${step + 1} (${describeStep(target, step)})`);
      });
      socket.once('error', (error) => connection.fail(error, ` at step ${step + 1}`));
      return () => {
        socket.removeAllListeners();
        socket.on('error', () => {}); // a late error after destroy must not crash the process
        socket.destroy();
      };
    },
  });
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
