// Bounds on the HTTP listener: header, request and idle timeouts that hold in every state, a cap on open connections
// below the process's file-descriptor limit (so accept() never fails and /metrics keeps answering), and a shutdown
// that does not wait for clients. Past the cap the oldest connection with no request being answered (idle keep-alive,
// or a request whose headers never finished) is closed to make room; connections answering a request are never cut.
import { readFileSync } from 'node:fs';
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpLimits {
  /** Open connections at most; capped further at the file-descriptor limit minus a reserve. */
  maxConnections: number;
  /** A request's headers must arrive within this. */
  headerTimeoutMs: number;
  /** A whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** A keep-alive connection with no request is closed after this. */
  idleTimeoutMs: number;
  /** At shutdown, requests being answered get this long before their connections are cut. */
  shutdownTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxConnections: 4096,
  headerTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 5_000,
  shutdownTimeoutMs: 5_000,
};

/** File descriptors kept for everything that is not a client connection: the database, logs, probes, webhooks. */
const FD_RESERVE = 256;

/** The soft limit on open files (`ulimit -n`), from /proc on Linux; 1024 where it cannot be read. */
export function fileDescriptorLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? 1_048_576 : Number(soft) || 1024;
  } catch {
    return 1024;
  }
}

/** The connection cap in force: the configured one, but never closer than the reserve to the descriptor limit. */
export function effectiveConnectionCap(limits: Pick<HttpLimits, 'maxConnections'>, fdLimit = fileDescriptorLimit()): number {
  return Math.max(16, Math.min(limits.maxConnections, fdLimit - FD_RESERVE));
}

/**
 * Options for `http.createServer` (or `https`): Node checks header and request timeouts only every
 * `connectionsCheckingInterval`, 30 s by default, which is what let half-sent requests live that long.
 */
export function httpServerOptions(limits: HttpLimits): ServerOptions {
  return {
    headersTimeout: limits.headerTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, limits.headerTimeoutMs),
  };
}

export interface ConnectionGuard {
  readonly cap: number;
  readonly open: number;
  /** Connections closed to make room since start. */
  readonly evicted: number;
  /** Stops accepting, closes every connection without a request being answered at once and the rest after the shutdown timeout. */
  close(): Promise<void>;
}

export function guardConnections(server: Server, limits: HttpLimits, fdLimit?: number): ConnectionGuard {
  const cap = effectiveConnectionCap(limits, fdLimit);
  // Insertion order is age order; the value counts requests being answered (an upgraded socket counts forever).
  const sockets = new Map<Socket, number>();
  let evicted = 0;
  const busy = (socket: Socket, delta: number) => sockets.has(socket) && sockets.set(socket, sockets.get(socket)! + delta);
  const destroyIdle = () => {
    for (const [socket, active] of sockets) if (active === 0) socket.destroy();
  };

  server.on('connection', (socket: Socket) => {
    sockets.set(socket, 0);
    socket.once('close', () => sockets.delete(socket));
    if (sockets.size <= cap) return;
    for (const [candidate, active] of sockets) {
      if (active > 0 || candidate === socket) continue;
      evicted++;
      candidate.destroy();
      return;
    }
    evicted++;
    socket.destroy(); // every other connection is answering a request: refuse the newcomer instead
  });
  server.on('request', (req, res) => {
    busy(req.socket, 1);
    res.once('close', () => busy(req.socket, -1));
  });
  server.on('upgrade', (req) => busy(req.socket, 1));

  return {
    cap,
    get open() {
      return sockets.size;
    },
    get evicted() {
      return evicted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        destroyIdle();
        server.closeIdleConnections();
        const cut = setTimeout(() => {
          for (const socket of sockets.keys()) socket.destroy();
        }, limits.shutdownTimeoutMs);
        cut.unref();
      }),
  };
}
