// The reference agent's connection: holds the websocket to vigil, says hello with heartbeats, reconnects with
// exponential backoff and jitter after any loss, and sends whatever check results it is handed while connected.
import { isIP } from 'node:net';
import { WebSocket } from 'ws';
import { Backoff } from '../util/backoff.js';

export interface AgentClientOptions {
  /** vigil's base URL, http(s)://host:port (ws(s):// works too). */
  server: string;
  id: string;
  token: string;
  /** Milliseconds between heartbeats; 0: none. */
  heartbeatInterval: number;
  /** Reconnect backoff bounds, milliseconds. */
  minBackoff?: number;
  maxBackoff?: number;
  random?: () => number;
  /** Told about connects, losses and refusals (never the token). */
  log?: (event: AgentLogEvent) => void;
  /** For wss://: CAs to verify vigil against (default: the system roots) and a client certificate to present. */
  tls?: AgentTls;
  /** Allow plain ws:// to a host other than loopback (the token would travel in clear text). */
  insecure?: boolean;
}

export interface AgentTls {
  ca?: string;
  cert?: string;
  key?: string;
}

export type AgentLogEvent =
  | { event: 'connected'; subject: string }
  | { event: 'disconnected'; code: number; retryInMs: number }
  | { event: 'refused'; status: number; detail: string; retryInMs: number }
  | { event: 'error'; detail: string };

/** localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Refuses to send a bearer token in clear text across a network, unless the operator said --insecure. */
export function assertSafeTransport(url: string, insecure: boolean): void {
  const parsed = new URL(url);
  if (parsed.protocol === 'ws:' && !insecure && !isLoopbackHost(parsed.hostname)) {
    throw new Error(
      `refusing plain ws:// to ${parsed.hostname}: the token would cross the network unencrypted; use https:// (wss://) or pass --insecure`,
    );
  }
}

/** The websocket URL of the connect endpoint for `server` and machine `id`. */
export function connectUrl(server: string, id: string): string {
  const url = new URL(server);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`--server must be an http(s):// or ws(s):// URL, got ${url.protocol}`);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v1/agents/connect`;
  url.search = '';
  url.searchParams.set('id', id);
  return url.toString();
}

export class AgentConnection {
  private socket: WebSocket | undefined;
  private readonly backoff: Backoff;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly url: string;
  /** Resolvers waiting for the next welcome. */
  private welcomed: (() => void)[] = [];
  /** Times the connection was established (welcomed) so far. */
  connects = 0;

  constructor(private readonly options: AgentClientOptions) {
    this.url = connectUrl(options.server, options.id);
    assertSafeTransport(this.url, options.insecure ?? false);
    this.backoff = new Backoff({
      min: options.minBackoff ?? 1_000,
      max: options.maxBackoff ?? 60_000,
      ...(options.random && { random: options.random }),
    });
  }

  start(): void {
    this.open();
  }

  get isConnected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN && this.connects > 0;
  }

  /** Resolves once vigil has welcomed the current or next connection. */
  ready(): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    return new Promise((resolve) => this.welcomed.push(resolve));
  }

  /** Sends a message if connected; returns whether it went out (results while disconnected are dropped, not queued). */
  send(message: Record<string, unknown>): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => socket.terminate(), 2_000);
      socket.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000, 'agent stopping');
    });
  }

  private open(): void {
    if (this.stopped) return;
    const tls = this.options.tls ?? {};
    const socket = new WebSocket(this.url, {
      headers: { authorization: `Bearer ${this.options.token}` },
      perMessageDeflate: false,
      ...(tls.ca !== undefined && { ca: tls.ca }),
      ...(tls.cert !== undefined && { cert: tls.cert }),
      ...(tls.key !== undefined && { key: tls.key }),
    });
    this.socket = socket;
    let refused = false;
    socket.on('unexpected-response', (_req, res) => {
      refused = true;
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        const retryInMs = this.scheduleReconnect();
        this.options.log?.({ event: 'refused', status: res.statusCode ?? 0, detail: problemDetail(body), retryInMs });
      });
      res.on('error', () => undefined);
    });
    socket.on('message', (data) => {
      let message: { type?: unknown; detail?: unknown; subject?: unknown };
      try {
        message = JSON.parse(data.toString()) as typeof message;
      } catch {
        return;
      }
      if (message.type === 'welcome') {
        this.backoff.reset(); // only a welcomed connection counts as success
        this.connects++;
        this.startHeartbeat();
        this.options.log?.({ event: 'connected', subject: String(message.subject) });
        const waiting = this.welcomed;
        this.welcomed = [];
        for (const resolve of waiting) resolve();
      } else if (message.type === 'error') {
        this.options.log?.({ event: 'error', detail: String(message.detail) });
      }
    });
    socket.on('close', (code) => {
      this.stopHeartbeat();
      if (refused || this.stopped) return;
      const retryInMs = this.scheduleReconnect();
      this.options.log?.({ event: 'disconnected', code, retryInMs });
    });
    // 'close' follows and schedules the reconnect; the reason (a certificate vigil's CA did not sign, ...) is worth a line.
    socket.on('error', (error: Error) => this.options.log?.({ event: 'error', detail: error.message }));
  }

  private scheduleReconnect(): number {
    if (this.stopped) return 0;
    const delay = this.backoff.next();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.open(), delay);
    return delay;
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    if (this.options.heartbeatInterval <= 0) return;
    this.heartbeatTimer = setInterval(() => this.send({ type: 'heartbeat' }), this.options.heartbeatInterval);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }
}

function problemDetail(body: string): string {
  try {
    const problem = JSON.parse(body) as { detail?: unknown };
    if (typeof problem.detail === 'string') return problem.detail.slice(0, 300);
  } catch {
    // not a problem document
  }
  return body.slice(0, 300);
}
