// Bounds on the HTTP listener: header, request and idle timeouts that hold in every state, a cap on open connections
// below the process's file-descriptor limit (so accept() never fails and /metrics keeps answering), and a shutdown
// that does not wait for clients. Past the cap a connection with no request being answered is closed to make room:
// the oldest that never sent a whole request head first (half-sent junk), else the oldest idle keep-alive one;
// connections answering a request are never cut.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
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
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
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

/** What the guard knows of one connection. */
interface Tracked {
  /** Requests being answered on it (an upgraded socket keeps one forever). */
  active: number;
  /** The request being received or answered, if any. */
  request?: IncomingMessage;
  /** Whether a request ever completed its headers on it: a connection that never sent one is the first to go. */
  served: boolean;
}

/** Works on an `http` or `https` server (both emit these events; `https` adds `secureConnection`). */
export function guardConnections(server: Server, limits: HttpLimits, fdLimit?: number): ConnectionGuard {
  const cap = effectiveConnectionCap(limits, fdLimit);
  const sockets = new Map<Socket, Tracked>(); // insertion order is age order
  let evicted = 0;
  let closing = false;
  /** The oldest connection that never sent a whole request head, else the oldest idle one. */
  const victim = (except: Socket): Socket | undefined => {
    let idle: Socket | undefined;
    for (const [socket, tracked] of sockets) {
      if (socket === except || tracked.active > 0) continue;
      if (!tracked.served) return socket;
      idle ??= socket;
    }
    return idle;
  };

  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { active: 0, served: false });
    socket.once('close', () => sockets.delete(socket));
    if (sockets.size <= cap) return;
    evicted++;
    // Every other connection is answering a request: refuse the newcomer instead.
    (victim(socket) ?? socket).destroy();
  });
  // Under HTTPS requests arrive on a TLSSocket wrapping the tracked TCP socket: find that one by its address.
  const wrapped = new WeakMap<Socket, Socket>();
  server.on('secureConnection', (tlsSocket: Socket) => {
    for (const socket of sockets.keys()) {
      if (socket.remotePort === tlsSocket.remotePort && socket.remoteAddress === tlsSocket.remoteAddress) wrapped.set(tlsSocket, socket);
    }
  });
  const trackedOf = (socket: Socket): Tracked | undefined => sockets.get(wrapped.get(socket) ?? socket);

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const tracked = trackedOf(req.socket);
    if (!tracked) return;
    tracked.active++;
    tracked.served = true;
    tracked.request = req;
    res.once('close', () => {
      tracked.active--;
      if (tracked.request === req) delete tracked.request;
      if (closing && tracked.active === 0) req.socket.destroy(); // answered during shutdown: no next request
    });
  });
  server.on('upgrade', (req: IncomingMessage) => {
    const tracked = trackedOf(req.socket);
    if (tracked) {
      tracked.active++;
      tracked.served = true;
    }
  });

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
        closing = true;
        server.close(() => resolve());
        // Idle connections and requests still arriving (their body half-sent: nothing of them is applied yet) go now;
        // requests being answered get the shutdown timeout.
        for (const [socket, tracked] of sockets) {
          if (tracked.active === 0 || (tracked.request !== undefined && !tracked.request.complete)) socket.destroy();
        }
        server.closeIdleConnections();
        const cut = setTimeout(() => {
          for (const socket of sockets.keys()) socket.destroy();
        }, limits.shutdownTimeoutMs);
        cut.unref();
      }),
  };
}
