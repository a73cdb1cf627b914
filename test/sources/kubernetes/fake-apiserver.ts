// A fake kube-apiserver on 127.0.0.1 speaking the real list/watch wire format (kubernetes/website
// content/en/docs/reference/using-api/api-concepts.md): paginated LIST with resourceVersion/limit/continue,
// chunked WATCH with ADDED/MODIFIED/DELETED/BOOKMARK,
// 410 Gone as an HTTP answer or in-stream ERROR, server-side stream close, Status objects for 401/404/410,
// bearer-token auth and an optional TLS listener.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    [k: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

interface Change {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Obj;
}

interface Resource {
  objects: Map<string, Obj>;
  history: Change[];
  /** Watches from a resourceVersion below this are 410 Gone. */
  compactedBelow: number;
}

interface Watcher {
  resource: string;
  namespace?: string;
  selector?: Record<string, string>;
  res: ServerResponse;
}

export interface RequestRecord {
  resource: string;
  watch: boolean;
  query: Record<string, string>;
}

export interface FakeOptions {
  token?: string;
  /** With `ca`, client certificates signed by it are asked for and authenticate like the token. */
  tls?: { cert: string; key: string; ca?: string };
}

const keyOf = (o: Obj) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);

export class FakeApiServer {
  readonly requests: RequestRecord[] = [];
  /** How a watch from a compacted resourceVersion is refused. */
  goneMode: 'http' | 'stream' = 'http';
  /** Answer every request with this status (a broken server), until cleared. */
  failWith: number | undefined;
  /** Watches get headers and then silence: no events are written (a half-open connection). */
  silent = false;
  private rv = 100;
  private readonly resources = new Map<string, Resource>();
  private readonly watchers = new Set<Watcher>();
  private server!: Server;
  url = '';

  constructor(private readonly options: FakeOptions = {}) {}

  async start(): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    const tls = this.options.tls;
    this.server = tls
      ? createHttpsServer({ cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: false } : {}) }, handler)
      : createHttpServer(handler);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.url = `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.closeWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Serves `/apis/GROUP/VERSION/PLURAL` (group "" = `/api/VERSION/PLURAL`). */
  serve(group: string, version: string, plural: string): void {
    this.resources.set(resourceKey(group, version, plural), { objects: new Map(), history: [], compactedBelow: 0 });
  }

  put(group: string, version: string, plural: string, object: Obj): Obj {
    const resource = this.resource(group, version, plural);
    const stored: Obj = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.rv);
    const type = resource.objects.has(keyOf(stored)) ? 'MODIFIED' : 'ADDED';
    resource.objects.set(keyOf(stored), stored);
    this.record(resourceKey(group, version, plural), resource, { rv: this.rv, type, object: stored });
    return stored;
  }

  remove(group: string, version: string, plural: string, name: string, namespace?: string): void {
    const resource = this.resource(group, version, plural);
    const key = namespace ? `${namespace}/${name}` : name;
    const old = resource.objects.get(key);
    if (!old) return;
    resource.objects.delete(key);
    const gone: Obj = structuredClone(old);
    gone.metadata.resourceVersion = String(++this.rv);
    this.record(resourceKey(group, version, plural), resource, { rv: this.rv, type: 'DELETED', object: gone });
  }

  /** Forgets the watch history (etcd compaction): older resourceVersions are now 410 Gone. */
  compact(): void {
    for (const resource of this.resources.values()) {
      resource.compactedBelow = this.rv + 1;
      resource.history = [];
    }
  }

  /** Sends a BOOKMARK with the current resourceVersion to every open watch. */
  bookmark(): string {
    for (const watcher of this.watchers)
      this.write(watcher, { type: 'BOOKMARK', object: { kind: 'Bookmark', metadata: { resourceVersion: String(this.rv) } } });
    return String(this.rv);
  }

  /** Ends every open watch the way the API server does at timeoutSeconds. */
  closeWatches(): void {
    for (const watcher of this.watchers) watcher.res.end();
    this.watchers.clear();
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  watchRequests(plural?: string): RequestRecord[] {
    return this.requests.filter((r) => r.watch && (plural === undefined || r.resource.endsWith(`/${plural}`)));
  }

  listRequests(plural?: string): RequestRecord[] {
    return this.requests.filter((r) => !r.watch && (plural === undefined || r.resource.endsWith(`/${plural}`)));
  }

  private resource(group: string, version: string, plural: string): Resource {
    const resource = this.resources.get(resourceKey(group, version, plural));
    if (!resource) throw new Error(`fake API server does not serve ${resourceKey(group, version, plural)}`);
    return resource;
  }

  private record(key: string, resource: Resource, change: Change): void {
    resource.history.push(change);
    for (const watcher of this.watchers)
      if (watcher.resource === key && matches(watcher, change.object)) this.write(watcher, { type: change.type, object: change.object });
  }

  private write(watcher: Watcher, event: unknown): void {
    if (!this.silent) watcher.res.write(JSON.stringify(event) + '\n');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const match = /^\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)$/.exec(url.pathname);
    const group = match ? (match[1] ? '' : match[2]!) : '';
    const version = match ? (match[1] ?? match[3]!) : '';
    const namespace = match?.[4];
    const plural = match?.[5] ?? '';
    const key = resourceKey(group, version, plural);
    const watch = query['watch'] === '1' || query['watch'] === 'true';
    this.requests.push({ resource: key, watch, query });
    const certified = (req.socket as TLSSocket).authorized === true;
    if (this.options.token && !certified && req.headers.authorization !== `Bearer ${this.options.token}`)
      return status(res, 401, 'Unauthorized', 'Unauthorized');
    if (this.failWith) return status(res, this.failWith, 'InternalError', 'injected failure');
    const resource = match ? this.resources.get(key) : undefined;
    if (!resource) return status(res, 404, 'NotFound', `the server could not find the requested resource`);
    const selector = parseSelector(query['labelSelector']);
    const watcher: Watcher = { resource: key, res, ...(namespace ? { namespace } : {}), ...(selector ? { selector } : {}) };
    if (!watch) return this.list(resource, watcher, query, res);

    const from = query['resourceVersion'];
    if (from !== undefined && from !== '' && from !== '0' && Number(from) < resource.compactedBelow - 1) {
      const message = `too old resource version: ${from} (${resource.compactedBelow})`;
      if (this.goneMode === 'http') return status(res, 410, 'Expired', message);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason: 'Expired', code: 410 } }) +
          '\n',
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if (from === undefined || from === '' || from === '0') {
      for (const object of resource.objects.values()) if (matches(watcher, object)) this.write(watcher, { type: 'ADDED', object });
    } else {
      for (const change of resource.history)
        if (change.rv > Number(from) && matches(watcher, change.object)) this.write(watcher, { type: change.type, object: change.object });
    }
    this.watchers.add(watcher);
    // The API server ends a watch itself after timeoutSeconds.
    const timeoutSeconds = Number(query['timeoutSeconds']);
    const timer = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000).unref() : undefined;
    res.on('close', () => {
      clearTimeout(timer);
      this.watchers.delete(watcher);
    });
  }

  private list(resource: Resource, watcher: Watcher, query: Record<string, string>, res: ServerResponse): void {
    const all = [...resource.objects.values()].filter((o) => matches(watcher, o)).sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    const limit = query['limit'] ? Number(query['limit']) : all.length;
    let offset = 0;
    let listRv = String(this.rv);
    if (query['continue']) {
      const [rv, at] = Buffer.from(query['continue'], 'base64').toString().split(':');
      if (Number(rv) < resource.compactedBelow - 1) return status(res, 410, 'Expired', 'The provided continue parameter is too old');
      offset = Number(at);
      listRv = rv!;
    }
    const items = all.slice(offset, offset + limit);
    const next = offset + limit < all.length ? Buffer.from(`${listRv}:${offset + limit}`).toString('base64') : undefined;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: listRv, ...(next ? { continue: next } : {}) }, items }));
  }
}

function resourceKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

function parseSelector(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  return Object.fromEntries(text.split(',').map((part) => part.split('=') as [string, string]));
}

function matches(watcher: Watcher, object: Obj): boolean {
  if (watcher.namespace && object.metadata.namespace !== watcher.namespace) return false;
  if (watcher.selector) for (const [k, v] of Object.entries(watcher.selector)) if (object.metadata.labels?.[k] !== v) return false;
  return true;
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}
