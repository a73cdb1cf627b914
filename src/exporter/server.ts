// The HTTP face of vigil: /metrics, the lifecycle probes and the /api/v1 push API, on one express app.
import express, { type Request, type RequestHandler, type Response } from 'express';
import { DEFAULT_LIMITS, type Limits } from '../runtime/limits.js';
import type { Vigil } from '../runtime/vigil.js';
import { Throttle } from '../util/throttle.js';
import type { Authorizer } from './auth.js';
import { webRoutes, type WebOptions } from '../web/routes.js';
import { eventRoutes, type EventStreams } from './api/events.js';
import { maintenanceRoutes } from './api/maintenance.js';
import { readRoutes } from './api/reads.js';
import { writeRoutes } from './api/writes.js';
import type { ConnectionGuard } from './connections.js';
import { renderBoundsMetrics } from './metrics/bounds.js';
import { renderMaintenance } from './metrics/maintenance.js';
import { DEFAULT_SELECTION, type MetricsSelection } from './metrics/selection.js';
import { createMetricsEndpoint } from './metrics/self.js';
import { writtenText } from './metrics/whole-families.js';
import { HttpProblem, problemHandler, sendProblem } from './problem.js';
import { probeRoutes } from './probe-endpoint.js';
import type { ProbeEndpointConfig } from '../config/probe-modules.js';
import type { FamilyRenderer, KnownRoute } from '../sources/extension.js';

export interface ServerOptions {
  auth: Authorizer;
  maxBodyBytes: number;
  /** Extra routers mounted under /api/v1 (extensions: practable, heartbeats, agents, ...). */
  routes?: express.Router[];
  /**
   * The paths every extension may serve, enabled or not (src/extensions.ts, EXTENSION_ROUTES): a wrong method there
   * is answered 405 with `Allow`, a right one 404 "not enabled" when no router of `routes` took it.
   */
  knownRoutes?: readonly KnownRoute[];
  version: string;
  /** Routers mounted under /api/v1 before every other route (a replica forwarding requests about others' subjects). */
  before?: express.Router[];
  /** Routers mounted before the status page, subject pages and badges (a replica forwarding pages of others' subjects). */
  webBefore?: express.Router[];
  /** Further labels of vigil_build_info (`demo="simulated"` while the demo runs). */
  buildLabels?: Readonly<Record<string, string>>;
  /** A line on every page of the status page (the demo says its fleet is simulated). */
  pageNotice?: string;
  /** The status page's model when this process is not the whole fleet (a replica: every replica's subjects). */
  statusModel?: WebOptions['statusModel'];
  /** Extra /metrics families (text exposition), appended to each scrape (the cluster's). */
  metrics?: (() => string)[];
  /** The extensions' own families, written after `metrics` through the shared writer. */
  families?: FamilyRenderer[];
  /** The families `metrics:` selects; the lean default without it. */
  selection?: MetricsSelection;
  logError: (error: unknown) => void;
  /** Malformed requests (bad escapes, encodings, bodies), at most a few lines per minute; the caller picks the level. */
  logRejected?: (fields: Record<string, unknown>, message: string) => void;
  /** Subjects, checks, metadata keys and streams clients may create; defaults: DEFAULT_LIMITS. */
  limits?: Partial<Limits>;
  /** The listener's connection guard, when vigil owns the listener: its counts go to /metrics. */
  connections?: ConnectionGuard;
  /** Runs before every route (the web config's headers, rate limit and read authentication). */
  guard?: RequestHandler;
  /** The blackbox-compatible /probe endpoint; absent = disabled. */
  probe?: ProbeEndpointConfig;
}

/** Lines about malformed requests per minute; the next line says how many were held back. */
const REJECTED_LOG_LINES_PER_MINUTE = 10;

export interface VigilApp {
  app: express.Express;
  streams: EventStreams;
  /** Flipped off at shutdown so /-/ready tells load balancers to stop sending. */
  setReady(ready: boolean): void;
}

export function createApp(vigil: Vigil, options: ServerOptions): VigilApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // our ETags are semantic (configuration vs health), never body hashes
  let ready = false;
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  // First, so every route, including ones added later (status page, badges), is behind it.
  if (options.guard) app.use(options.guard);

  const events = eventRoutes(vigil, limits);
  const selection = options.selection ?? DEFAULT_SELECTION;
  const enabled = (family: string): boolean => selection.enabled(family);
  const metrics = createMetricsEndpoint({
    state: () => vigil.state,
    storeStats: () => vigil.store.stats(),
    version: options.version,
    ...(options.buildLabels && { buildLabels: options.buildLabels }),
    extra: [
      () => renderMaintenance(vigil.state, vigil.maintenance, vigil.clock()),
      ...(options.metrics ?? []),
      ...(options.families ?? []).map((write) => () => writtenText((w) => write(w, enabled))),
      () =>
        renderBoundsMetrics({
          streamsOpen: events.streams.open,
          streamsDropped: events.streams.dropped,
          ...(options.connections && { connections: options.connections }),
        }),
    ],
    ...(options.selection ? { selection: options.selection } : {}),
    warmEveryMs: 1_000,
  });
  app.get('/metrics', async (req: Request, res: Response) => {
    // Kept bytes and kept gzip members of unchanged subjects; only what changed is rendered and compressed.
    const encoded = await metrics.renderEncoded(req.get('accept-encoding'));
    res.setHeader('Content-Type', encoded.contentType);
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('Content-Length', encoded.length);
    if (encoded.encoding) res.setHeader('Content-Encoding', encoded.encoding);
    // Piece by piece: no copy of the whole body; corked so they leave in large writes.
    res.cork();
    for (const part of encoded.parts) res.write(part);
    res.uncork();
    res.end();
  });
  app.get('/-/healthy', (_req, res) => res.type('text/plain').send('vigil is healthy.\n'));
  app.get('/-/ready', (_req, res) => {
    // A store whose flushes fail cannot acknowledge writes: not ready, so load balancers send them elsewhere.
    const storeError = vigil.store.stats().lastFlushError;
    if (!ready || storeError !== undefined) {
      return res
        .status(503)
        .type('text/plain')
        .send(storeError === undefined ? 'vigil is not ready.\n' : `vigil is not ready: ${storeError}\n`);
    }
    res.type('text/plain').send('vigil is ready.\n');
  });
  // The status page, subject pages and badges (src/web): another reader of the engine state beside /metrics and the API.
  for (const router of options.webBefore ?? []) app.use(router);
  app.use(
    webRoutes(vigil, {
      ...(options.pageNotice !== undefined && { notice: options.pageNotice }),
      ...(options.statusModel && { statusModel: options.statusModel }),
    }),
  );

  if (options.probe) app.use(probeRoutes(options.probe, metrics.registry));

  const { auth } = options;
  const api = express.Router();
  for (const router of options.before ?? []) api.use(router);
  api.use(readRoutes(vigil));
  api.use(events.router);
  for (const router of options.routes ?? []) api.use(router);
  api.use(maintenanceRoutes(vigil, auth, options.maxBodyBytes));
  api.use(writeRoutes(vigil, auth, options.maxBodyBytes, limits));
  app.use('/api/v1', api);

  app.use((req: Request, res: Response) => {
    const allowed = knownPathMethods(req.path, options.knownRoutes ?? []);
    if (allowed?.split(', ').includes(req.method)) {
      // A known endpoint of an extension that this config does not enable (kubernetes heartbeats, practable, agents).
      return sendProblem(res, new HttpProblem(404, 'Not Found', `${req.path} is not enabled: its section is absent from the config`), req.path);
    }
    if (allowed) {
      res.setHeader('Allow', allowed);
      return sendProblem(res, new HttpProblem(405, 'Method Not Allowed', `${req.method} is not allowed on ${req.path}; use ${allowed}`), req.path);
    }
    sendProblem(res, new HttpProblem(404, 'Not Found', `no endpoint ${req.method} ${req.path}; see the README for the API`), req.path);
  });
  const rejectedLog = new Throttle(REJECTED_LOG_LINES_PER_MINUTE, 60_000);
  app.use(
    problemHandler(options.logError, (problem, req) => {
      const heldBack = rejectedLog.pass();
      if (heldBack === undefined) return;
      options.logRejected?.(
        { status: problem.status, path: req.path, remote: req.socket.remoteAddress, held_back: heldBack },
        `request refused: ${problem.detail}`,
      );
    }),
  );
  return {
    app,
    streams: events.streams,
    setReady: (value) => {
      ready = value;
      if (!value) metrics.stop(); // shutting down: no more background rendering
    },
  };
}

/** The core's own paths and their methods; extensions declare theirs (KnownRoute). */
const ROUTE_METHODS: [RegExp, string][] = [
  [/^\/api\/v1\/subjects\/[^/]+\/checks\/[^/]+$/, 'PUT'],
  [/^\/api\/v1\/subjects\/[^/]+\/connectivity$/, 'PUT'],
  [/^\/api\/v1\/subjects\/[^/]+\/metadata\/[^/]+$/, 'PUT, DELETE'],
  [/^\/api\/v1\/subjects\/[^/]+\/manipulations$/, 'POST'],
  [/^\/api\/v1\/subjects\/[^/]+\/rename$/, 'POST'],
  [/^\/api\/v1\/subjects\/[^/]+\/health$/, 'GET'],
  [/^\/api\/v1\/subjects\/[^/]+$/, 'GET, PUT, DELETE'],
  [/^\/api\/v1\/(subjects|health|events|events\/stream)$/, 'GET'],
  [/^\/api\/v1\/observations$/, 'POST'],
  [/^\/api\/v1\/cluster$/, 'GET'],
  [/^\/api\/v1\/maintenance$/, 'GET, POST'],
  [/^\/api\/v1\/maintenance\/[^/]+$/, 'GET, DELETE'],
  [/^\/(subjects\/[^/]+|badge\/[^/]+(\/[^/]+)?\.svg|static\/[^/]+)?$/, 'GET'],
  [/^\/(metrics|probe|-\/healthy|-\/ready)$/, 'GET'],
];

function knownPathMethods(path: string, extensionRoutes: readonly KnownRoute[]): string | undefined {
  return ROUTE_METHODS.find(([pattern]) => pattern.test(path))?.[1] ?? extensionRoutes.find((route) => route.path.test(path))?.methods;
}
