// `GET /api/v1/agents/connect?id=MACHINE` as a websocket: the bearer token (scope `agent`) and the machine id are
// checked on the HTTP upgrade request, before any websocket exists, and a refusal is a problem+json answer.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Authorizer } from '../../exporter/auth.js';
import { idSchema } from '../../exporter/api/bodies.js';
import { HttpProblem } from '../../exporter/problem.js';
import type { AgentHub } from './hub.js';
import { openUpstream, pipe } from './relay.js';

export const CONNECT_PATH = '/api/v1/agents/connect';

export interface UpgradeOptions {
  hub: AgentHub;
  auth: Authorizer;
  maxConnections: number;
  maxMessageBytes: number;
  onReject?: (status: number) => void;
  /** With replicas: this replica's id and the owner of a machine it does not own, to relay the agent there. */
  relay?: { replicaId: string; ownerOf(id: string): Promise<string | undefined> };
}

/** Installs the upgrade handler on `server`; returns a function that detaches it and closes the websocket server. */
export function attachAgentEndpoint(server: Server, options: UpgradeOptions): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes, perMessageDeflate: false, clientTracking: false });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://vigil');
    if (url.pathname !== CONNECT_PATH) return; // another extension's path
    socket.on('error', () => socket.destroy()); // a client vanishing mid-handshake is not vigil's error
    let id: string;
    try {
      id = admit(req, url, options);
    } catch (error) {
      const problem = error instanceof HttpProblem ? error : new HttpProblem(500, 'Internal Server Error', 'vigil could not handle this upgrade');
      options.onReject?.(problem.status);
      return rejectUpgrade(socket, problem);
    }
    if (!options.hub.owns(id) && options.relay) {
      const relay = options.relay;
      void (async () => {
        const owner = await relay.ownerOf(id).catch(() => undefined);
        if (owner === undefined || owner === relay.replicaId) throw new Error('no replica owns it right now');
        const upstream = await openUpstream(owner, id, req, relay.replicaId);
        wss.handleUpgrade(req, socket, head, (ws) => pipe(ws, upstream));
      })().catch((error: unknown) => {
        options.onReject?.(503);
        rejectUpgrade(
          socket,
          new HttpProblem(
            503,
            'Service Unavailable',
            `machine "${id}" cannot be served right now (${error instanceof Error ? error.message : String(error)}); retry`,
          ),
        );
      });
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => options.hub.accept(id, ws));
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    wss.close();
  };
}

/** Everything that can refuse a connection, in the order a client should fix it; returns the machine id. */
function admit(req: IncomingMessage, url: URL, options: UpgradeOptions): string {
  options.auth.authorize(req.headers.authorization, 'agent');
  if (req.method !== 'GET') throw new HttpProblem(405, 'Method Not Allowed', 'connect with GET and a websocket upgrade');
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    throw new HttpProblem(400, 'Bad Request', 'only websocket upgrades are accepted here (Upgrade: websocket)');
  }
  const raw = url.searchParams.get('id');
  if (raw === null) throw new HttpProblem(400, 'Bad Request', 'the machine id is missing: connect to ?id=MACHINE');
  const parsed = idSchema.safeParse(raw);
  if (!parsed.success) throw new HttpProblem(400, 'Bad Request', `invalid machine id: ${parsed.error.issues[0]?.message ?? 'not valid'}`);
  if (options.hub.connected >= options.maxConnections) {
    throw new HttpProblem(
      503,
      'Service Unavailable',
      `vigil holds its limit of ${options.maxConnections} agent connections (agents.max_connections)`,
    );
  }
  if (!options.hub.owns(parsed.data)) {
    // Relayed to the owner, which checks the rest; never relayed twice (the shard is moving: retry).
    if (options.relay && !req.headers['x-vigil-forwarded-by']) return parsed.data;
    throw new HttpProblem(503, 'Service Unavailable', `machine "${parsed.data}" is served by another vigil replica right now; retry`);
  }
  if (!options.hub.mayConnect(parsed.data)) {
    throw new HttpProblem(404, 'Not Found', `no subject "${parsed.data}", and agents.auto_register is off`);
  }
  return parsed.data;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Answers the upgrade request with a problem+json body on the raw socket and closes it. */
function rejectUpgrade(socket: Duplex, problem: HttpProblem): void {
  const body = JSON.stringify({ type: 'about:blank', title: problem.title, status: problem.status, detail: problem.detail, instance: CONNECT_PATH });
  const headers = [
    `HTTP/1.1 ${problem.status} ${REASONS[problem.status] ?? problem.title}`,
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...(problem.status === 401 ? ['WWW-Authenticate: Bearer realm="vigil"'] : []),
    ...(problem.status === 503 ? ['Retry-After: 30'] : []),
  ];
  if (socket.writable) socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
  else socket.destroy();
}
