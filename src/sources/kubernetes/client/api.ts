// A small Kubernetes API client on undici 7: GET a JSON document, or follow a watch stream line by line.
// Nothing here retries; the informer decides what a failure means (410 → re-list, anything else → back off).
import { Agent, request } from 'undici';
import type { ClusterConnection } from './connection.js';

/** A custom resource (or any object) as the API server sends it; only the fields vigil reads are typed. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface KubeList {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

/** A non-2xx answer. `status` is the HTTP status; `reason` the Status object's reason when the server sent one. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  namespace?: string;
}

/** `/api/v1/...` for the core group, `/apis/GROUP/VERSION/...` otherwise; namespaced when a namespace is given. */
export function resourcePath(ref: ResourceRef): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  return ref.namespace ? `${base}/namespaces/${encodeURIComponent(ref.namespace)}/${ref.plural}` : `${base}/${ref.plural}`;
}

/** Longest watch line accepted; a real object is far smaller, and this bounds memory against a broken peer. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

export class KubeClient {
  private readonly agent: Agent;

  constructor(readonly connection: ClusterConnection) {
    const connect: Agent.Options['connect'] = { rejectUnauthorized: !connection.insecureSkipTlsVerify };
    if (connection.ca !== undefined) connect.ca = connection.ca;
    if (connection.cert !== undefined) connect.cert = connection.cert;
    if (connection.key !== undefined) connect.key = connection.key;
    if (connection.serverName !== undefined) connect.servername = connection.serverName;
    // No body timeout: watches are quiet for minutes on purpose; the informer's stall detector guards them.
    this.agent = new Agent({ connect, bodyTimeout: 0, headersTimeout: 30_000 });
  }

  async getJson(path: string, query: Record<string, string>, signal: AbortSignal): Promise<unknown> {
    const response = await this.send(path, query, signal);
    return response.body.json();
  }

  /** Yields one parsed object per line of a watch stream until the server ends it or `signal` aborts. */
  async *watch(path: string, query: Record<string, string>, signal: AbortSignal, onOpen?: () => void): AsyncGenerator<WatchEvent> {
    const response = await this.send(path, { ...query, watch: '1' }, signal);
    onOpen?.();
    let pending = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      if (pending.length > MAX_LINE_BYTES) throw new Error('watch line exceeds 16 MiB');
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line !== '') yield parseWatchLine(line);
      }
    }
    const rest = (pending + decoder.decode()).trim();
    if (rest !== '') yield parseWatchLine(rest);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async send(path: string, query: Record<string, string>, signal: AbortSignal) {
    const url = new URL(this.connection.server + path);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'vigil' };
    const authorization = this.connection.authorization();
    if (authorization !== undefined) headers['authorization'] = authorization;
    const response = await request(url, { method: 'GET', headers, dispatcher: this.agent, signal });
    if (response.statusCode >= 200 && response.statusCode < 300) return response;
    const text = await response.body.text().catch(() => '');
    throw apiError(response.statusCode, text, path);
  }
}

function parseWatchLine(line: string): WatchEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error('watch stream sent a line that is not JSON');
  }
  const event = parsed as Partial<WatchEvent>;
  if (typeof event !== 'object' || event === null || typeof event.type !== 'string' || typeof event.object !== 'object' || event.object === null) {
    throw new Error('watch stream sent an object without type and object');
  }
  return event as WatchEvent;
}

/** Builds the error from a Status body when there is one; the message never echoes request headers. */
function apiError(status: number, body: string, path: string): KubeApiError {
  let reason: string | undefined;
  let message = `HTTP ${status}`;
  try {
    const parsed = JSON.parse(body) as { kind?: string; reason?: string; message?: string };
    if (parsed.kind === 'Status') {
      reason = parsed.reason;
      if (parsed.message) message = `HTTP ${status} ${parsed.reason ?? ''}: ${parsed.message}`.replace(' :', ':');
    }
  } catch {
    // not a Status object; the status code says enough
  }
  return new KubeApiError(status, reason, `GET ${path}: ${message}`);
}
