// Fake relay, jump and book servers on 127.0.0.1 that speak the real wire formats (practable/relay v0.7.0,
// jump v0.4.0, book: see docs/design.md, upstream references) and
// validate tokens the way the real ones do: the bare JWT in Authorization (a `Bearer ` prefix fails to parse),
// HS256 with the shared secret, exp/nbf/iat with zero leeway, an exact audience, and each service's claims.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { verifyJwt, type JwtClaims } from '../../../src/util/jwt.js';

export const SECRET = 'test-shared-secret';

function send(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

/** Token check shared by the fakes; answers with the claims or the rejection reason. */
function checkToken(req: IncomingMessage, audience: string, secret: string): { ok: true; claims: JwtClaims } | { ok: false; reason: string } {
  const header = req.headers.authorization;
  if (!header) return { ok: false, reason: 'Missing Authorization' };
  // go-openapi hands the header value unchanged to the JWT parser: "Bearer x.y.z" has four segments.
  const result = verifyJwt(header, secret, { audience, requireExp: true });
  return result.ok ? result : { ok: false, reason: result.reason };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export interface StatsPeerOptions {
  kind: 'relay' | 'jump';
  secret?: string;
}

/**
 * relay access + crossbar, or jump access + crossbar: `POST {base}/session/stats` (relay) or
 * `POST {base}/api/v1/connect/stats` (jump) → `{"uri": "ws://…/…/stats?code=…"}`, one-time code valid 30 s.
 */
export class FakeStatsPeer {
  readonly rejections: string[] = [];
  readonly tokens: JwtClaims[] = [];
  connections = 0;
  private readonly sockets = new Set<WebSocket>();
  private readonly rawSockets = new Set<Socket>();
  private readonly codes = new Map<string, number>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private server: Server | undefined;
  port = 0;

  private constructor(readonly options: StatsPeerOptions) {}

  static async start(options: StatsPeerOptions, port = 0): Promise<FakeStatsPeer> {
    const peer = new FakeStatsPeer(options);
    await peer.listen(port);
    return peer;
  }

  get basePath(): string {
    return this.options.kind === 'relay' ? '/ed0/access' : '/ed0/jump';
  }
  /** The configured URL, which is also the token audience. */
  get url(): string {
    return `http://127.0.0.1:${this.port}${this.basePath}`;
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.rawSockets.add(socket);
      socket.on('close', () => this.rawSockets.delete(socket));
    });
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const code = url.searchParams.get('code') ?? '';
      const expires = this.codes.get(code);
      this.codes.delete(code); // one-time
      if (expires === undefined || expires < Date.now()) {
        this.rejections.push('bad code');
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.connections++;
        this.sockets.add(ws);
        ws.on('close', () => this.sockets.delete(ws));
      });
    });
    this.server = server;
    // Binding the same port again after a restart (a relay coming back).
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = this.options.kind === 'relay' ? `${this.basePath}/session/stats` : `${this.basePath}/api/v1/connect/stats`;
    if (req.method !== 'POST' || req.url !== path) return send(res, 404, { code: 404, message: `path ${req.url} was not found` });
    const token = checkToken(req, this.url, this.options.secret ?? SECRET);
    if (!token.ok) {
      this.rejections.push(token.reason);
      return send(res, 401, token.reason);
    }
    const claims = token.claims;
    const scopes = Array.isArray(claims['scopes']) ? (claims['scopes'] as unknown[]) : [];
    const problem =
      this.options.kind === 'relay'
        ? claims['topic'] !== 'stats'
          ? 'Token Wrong Topic'
          : claims['prefix'] !== 'session' || scopes.length === 0
            ? 'Token Missing Required Claims'
            : typeof claims['booking_id'] !== 'string' || claims['booking_id'] === ''
              ? 'empty bookingID field is not permitted'
              : undefined
        : claims['topic'] !== 'stats' || !scopes.includes('stats')
          ? 'Token Wrong Topic'
          : claims['prefix'] !== 'connect'
            ? 'Token Missing Required Claims'
            : undefined;
    if (problem) {
      this.rejections.push(problem);
      return send(res, 401, problem);
    }
    this.tokens.push(claims);
    const code = randomUUID();
    this.codes.set(code, Date.now() + 30_000);
    const wsPath = this.options.kind === 'relay' ? '/ed0/relay/session/stats' : '/ed0/jump/connect/stats';
    send(res, 200, { uri: `ws://127.0.0.1:${this.port}${wsPath}?code=${code}` });
  }

  get open(): number {
    return this.sockets.size;
  }

  /** Sends a text frame to every connected stats client. */
  broadcast(frame: unknown): void {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    for (const ws of this.sockets) ws.send(text);
  }

  sendBinary(bytes: Buffer): void {
    for (const ws of this.sockets) ws.send(bytes, { binary: true });
  }

  /** Drops every websocket without a close handshake (a network cut). */
  dropAll(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  /** The peer goes away entirely: no more access POSTs answered. */
  async close(): Promise<void> {
    this.dropAll();
    for (const socket of this.rawSockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** Comes back on the same port. */
  async restart(): Promise<void> {
    await this.listen(this.port);
  }
}

export interface BookResourceFixture {
  topic_stub: string;
  streams: string[];
  description?: string;
}

/** book's admin API: manifest, per-resource availability; records every PUT. */
export class FakeBook {
  readonly puts: { resource: string; available: boolean; reason: string }[] = [];
  readonly rejections: string[] = [];
  readonly availability = new Map<string, { available: boolean; reason: string }>();
  requests = 0;
  /** Answer nothing at all (to test that vigil's timeouts hold). */
  hang = false;
  private server: Server | undefined;
  port = 0;

  constructor(public resources: Record<string, BookResourceFixture>) {
    for (const name of Object.keys(resources)) this.availability.set(name, { available: false, reason: 'initial' });
  }

  static async start(resources: Record<string, BookResourceFixture>): Promise<FakeBook> {
    const book = new FakeBook(resources);
    book.server = createServer((req, res) => book.handle(req, res));
    book.port = await listen(book.server);
    return book;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/ed0/book`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    if (this.hang) return; // never answers
    const url = new URL(req.url ?? '/', 'http://x');
    const prefix = '/ed0/book/api/v1/admin/resources';
    if (!url.pathname.startsWith(prefix)) return send(res, 404, { code: '404', message: 'not found' });
    const token = checkToken(req, this.url, SECRET);
    if (!token.ok) {
      this.rejections.push(token.reason);
      return send(res, 401, { code: '401', message: token.reason });
    }
    const scopes = Array.isArray(token.claims['scopes']) ? (token.claims['scopes'] as unknown[]) : [];
    if (!scopes.includes('booking:admin')) {
      this.rejections.push('no scope booking:admin');
      return send(res, 401, { code: '401', message: 'no scope booking:admin' });
    }
    const name = decodeURIComponent(url.pathname.slice(prefix.length + 1));
    if (name === '' && req.method === 'GET') return send(res, 200, this.resources);
    const current = this.availability.get(name);
    if (!current) return send(res, 404, { code: '404', message: `resource ${name} not found` });
    if (req.method === 'GET') return send(res, 200, current);
    if (req.method === 'PUT') {
      const available = url.searchParams.get('available') === 'true';
      const reason = url.searchParams.get('reason') ?? '';
      this.puts.push({ resource: name, available, reason });
      this.availability.set(name, { available, reason });
      return send(res, 204);
    }
    send(res, 405, { code: '405', message: 'method not allowed' });
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Builders for relay v0.7.0 and v0.8.0+ reports and jump v0.4.0 reports. */
export const relayStream = (topic: string, last: string | number, extra: Record<string, unknown> = {}) => ({
  canRead: true,
  canWrite: true,
  connected: '2024-05-02T09:00:00.123456789Z',
  expiresAt: '2029-05-01T09:00:00Z',
  remoteAddr: '203.0.113.7',
  scopes: ['write', 'read', 'expt'],
  stats: { tx: last === 'Never' ? { last, size: 0, fps: 0 } : { last, size: 1024, fps: 24.98 }, rx: { last: 'Never', size: 0, fps: 0 } },
  topic,
  userAgent: 'Go-http-client/1.1',
  ...extra,
});

export const relayStreamV08 = (topic: string) => ({
  canRead: true,
  canWrite: true,
  connected: '2025-12-17T11:04:07Z',
  expiresAt: '2029-05-01T09:00:00Z',
  remoteAddr: '203.0.113.7',
  scopes: ['write', 'read', 'expt'],
  topic,
  userAgent: 'Go-http-client/1.1',
});

/** The generator and the stats listener itself are always in a relay frame. */
export const relayHousekeeping = [
  {
    canRead: true,
    canWrite: true,
    connected: '2024-05-02T09:00:00Z',
    expiresAt: '0001-01-01T00:00:00Z',
    remoteAddr: 'internal',
    scopes: ['read', 'stats', 'write'],
    stats: { tx: { last: 'Never', size: 0, fps: 0 }, rx: { last: 'Never', size: 0, fps: 0 } },
    topic: 'stats',
    userAgent: 'crossbar',
  },
];

export const jumpHost = (topic: string) => ({
  can_read: true,
  can_write: true,
  connected_at: '2024-05-02T09:00:00Z',
  expires_at: '2029-05-01T09:00:00Z',
  remote_address: '203.0.113.8',
  scopes: ['host', 'read', 'write'],
  statistcs: { last: '1.2s' },
  topic,
  user_agent: 'Go-http-client/1.1',
});

/** The `practable:` section of a config file (YAML lines) for these fakes, secrets from `shared.secret` beside it. */
export function practableSectionYaml(peers: { relay: { url: string }; jump: { url: string }; book: { url: string } }): string[] {
  return [
    'practable:',
    `  relay: { url: "${peers.relay.url}", secret_file: shared.secret }`,
    `  jump: { url: "${peers.jump.url}", secret_file: shared.secret }`,
    `  book: { url: "${peers.book.url}", secret_file: shared.secret, set_availability: true, timeout: 2s }`,
    '  health_last_active: 10s',
    '  health_last_checked: 1m',
  ];
}
