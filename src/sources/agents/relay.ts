// With replicas, an agent may stay connected to any of them: a replica that does not own the machine relays the
// websocket to the owner, frame by frame (pings and pongs included, so the owner's liveness checks reach the agent
// itself; the agent's own pings are answered here). When the owner goes away or the machine's shard moves, the
// agent's connection is closed with 4009 and it reconnects, through whichever replica, to the new owner.
import type { IncomingMessage } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import { CLOSE_MOVED } from './hub.js';

/** Frames the owner sent before the agent's side was ready, by upstream socket. */
const EARLY = new WeakMap<WebSocket, { frames: [RawData, boolean][]; stop(): void }>();

/** Close codes a peer may send; others (1005 no status, 1006 abnormal) become "moved, reconnect". */
const sendable = (code: number) => (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);

/** Opens the owner's side; resolves once it is open, rejects with the owner's HTTP status when it refuses. */
export function openUpstream(owner: string, id: string, req: IncomingMessage, replicaId: string): Promise<WebSocket> {
  const url = new URL(`/api/v1/agents/connect?id=${encodeURIComponent(id)}`, owner.replace(/^http/, 'ws'));
  const headers: Record<string, string> = { 'x-vigil-forwarded-by': replicaId };
  if (req.headers.authorization) headers['authorization'] = req.headers.authorization;
  const upstream = new WebSocket(url, { headers, autoPong: false, perMessageDeflate: false, handshakeTimeout: 10_000 });
  // The owner welcomes the agent at once, before the agent's side is upgraded: keep those frames for pipe().
  const early: [RawData, boolean][] = [];
  const keep = (data: RawData, isBinary: boolean) => early.push([data, isBinary]);
  upstream.on('message', keep);
  EARLY.set(upstream, { frames: early, stop: () => upstream.off('message', keep) });
  return new Promise((resolve, reject) => {
    upstream.once('open', () => resolve(upstream));
    upstream.once('unexpected-response', (_request, response) => {
      reject(new Error(`the owning replica refused the agent (${response.statusCode ?? 'no status'})`));
      upstream.terminate();
    });
    upstream.once('error', reject);
  });
}

/** Pipes the agent's websocket and the owner's both ways until either side closes. */
export function pipe(agent: WebSocket, upstream: WebSocket): void {
  const forward = (to: WebSocket) => (data: RawData, isBinary: boolean) => {
    if (to.readyState === WebSocket.OPEN) to.send(data, { binary: isBinary });
  };
  agent.on('message', forward(upstream));
  const early = EARLY.get(upstream);
  early?.stop();
  for (const [data, isBinary] of early?.frames ?? []) forward(agent)(data, isBinary);
  upstream.on('message', forward(agent));
  upstream.on('ping', (data) => agent.readyState === WebSocket.OPEN && agent.ping(data));
  agent.on('pong', (data) => upstream.readyState === WebSocket.OPEN && upstream.pong(data));
  const closeOther = (other: WebSocket) => (code: number, reason: Buffer) => {
    if (other.readyState === WebSocket.CLOSED || other.readyState === WebSocket.CLOSING) return;
    if (sendable(code)) other.close(code, reason);
    else other.close(CLOSE_MOVED, 'the vigil replica serving this machine went away; reconnect');
  };
  agent.on('close', closeOther(upstream));
  upstream.on('close', closeOther(agent));
  agent.on('error', () => upstream.terminate());
  upstream.on('error', () => agent.close(CLOSE_MOVED, 'the vigil replica serving this machine went away; reconnect'));
}
