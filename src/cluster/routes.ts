// The HTTP side of replicas: GET /api/v1/cluster, the vigil_cluster_* families, and forwarding of requests about
// a subject to the replica that owns it. A forwarded write is answered by the owner, which acknowledges it only once
// it is durable, so a 2xx relayed from here means the same as a 2xx from the owner.
import { Router, json, type NextFunction, type Request, type Response } from 'express';
import { HttpProblem, sendProblem } from '../exporter/problem.js';
import type { ShardCoordinator } from './coordinator.js';
import type { ClusterView, ShardHolder } from './holder.js';
import { renderClusterMetrics } from '../exporter/metrics/cluster.js';
import type { RelayStats } from './relay-sink.js';
import { INTERNAL_TIMEOUT_MS } from './internal.js';
import { pollerShard } from './pollers.js';
import { shardOf } from './shards.js';

/** Set on forwarded requests: a replica never forwards one again (no loops while a shard moves). */
const FORWARDED_HEADER = 'x-vigil-forwarded-by';
/** How long a looked-up shard map is trusted before the database is asked again. */
const OWNER_CACHE_MS = 1_000;

/** A replica's answer to a forwarded request, to relay. */
interface Answer {
  status: number;
  type: string;
  headers: (readonly [string, string])[];
  body: Buffer;
}

export interface ClusterRoutesOptions {
  holder: ShardHolder;
  coordinator: ShardCoordinator;
  maxBodyBytes: number;
  /** Source calls relayed to their owners by this replica's polling sources. */
  relay(): RelayStats;
  /** Polling sources running on this replica now. */
  polling(): string[];
}

export interface ClusterRoutes {
  router: Router;
  /** Mounted before the status page's routes: a subject page or badge of a subject owned elsewhere comes from its owner. */
  webRouter: Router;
  metrics(): string;
  /** Advertised address of the replica holding the subject's shard, from a map at most a second old unless `fresh`. */
  ownerOf(subjectId: string, fresh?: boolean): Promise<string | undefined>;
  /** Advertised addresses of the live replicas, this one included, from a view at most a second old. */
  liveReplicas(): Promise<string[]>;
  /**
   * For a request only the replica running the polling source `source` can answer (its state lives there): false
   * when that is this replica; else sends the request on with its raw `body` (or answers 503 while the source is
   * moving) and returns true.
   */
  forwardToPoller(source: string, req: Request, res: Response, body: Buffer): Promise<boolean>;
}

/** Headers of an answer relayed as they came: what the page, badge or problem means, how to cache it, when to retry. */
const RELAYED_ANSWER_HEADERS = [
  'cache-control',
  'etag',
  'retry-after',
  'allow',
  'vary',
  'content-security-policy',
  'x-content-type-options',
  'referrer-policy',
];

/** Headers a proxy does not pass on (RFC 9110 §7.6.1), and those fetch sets itself. */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

export function clusterRoutes({ holder, coordinator, maxBodyBytes, relay: relayStats, polling }: ClusterRoutesOptions): ClusterRoutes {
  const router = Router();
  const forwarded = { ok: 0, failed: 0, refused: 0 };
  let cached: { at: number; owners: Map<number, string>; live: string[] } | undefined;

  const lookup = async (fresh: boolean) => {
    if (fresh || !cached || Date.now() - cached.at > OWNER_CACHE_MS) {
      const view = await holder.view();
      cached = {
        at: Date.now(),
        owners: new Map(view.replicas.flatMap((replica) => replica.shards.map((s) => [s, replica.id] as const))),
        live: view.replicas.filter((replica) => replica.live).map((replica) => replica.id),
      };
    }
    return cached;
  };
  const ownerOf = async (shard: number, fresh = false): Promise<string | undefined> => (await lookup(fresh)).owners.get(shard);

  const retryLater = (res: Response, req: Request, detail: string) => {
    forwarded.refused += 1;
    res.setHeader('Retry-After', '1');
    sendProblem(res, new HttpProblem(503, 'Service Unavailable', detail), req.originalUrl);
  };

  /**
   * Sends the request on to `owner` with `body` (JSON, or raw bytes as received) and the request's end-to-end
   * headers (`headers`: every one, or only those named), and relays status and body back.
   */
  const forward = async (
    req: Request,
    owner: string,
    body: unknown,
    headers: readonly string[] | 'all' = ['authorization', 'content-type', 'accept', 'if-match', 'if-none-match'],
  ): Promise<Answer> => {
    const sent: Record<string, string> = {};
    for (const name of headers === 'all' ? Object.keys(req.headers).filter((header) => !NOT_FORWARDED.has(header)) : headers) {
      const value = req.get(name);
      if (value !== undefined) sent[name] = value;
    }
    sent[FORWARDED_HEADER] = holder.replicaId;
    const hasBody = body !== undefined && req.method !== 'GET' && req.method !== 'HEAD';
    const answer = await fetch(new URL(req.originalUrl, owner), {
      method: req.method,
      headers: sent,
      ...(hasBody && { body: Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body) }),
      signal: AbortSignal.timeout(INTERNAL_TIMEOUT_MS),
    });
    const relayed = RELAYED_ANSWER_HEADERS.flatMap((name) => {
      const value = answer.headers.get(name);
      return value === null ? [] : [[name, value] as const];
    });
    // As bytes: a badge or page answered 304 has none, an SVG or HTML page is sent on unchanged.
    const bytes = Buffer.from(await answer.arrayBuffer());
    return { status: answer.status, type: answer.headers.get('content-type') ?? 'application/json', headers: relayed, body: bytes };
  };

  const relay = (res: Response, answer: Answer) => {
    if (answer.status < 500) forwarded.ok += 1;
    else forwarded.failed += 1;
    for (const [name, value] of answer.headers) res.setHeader(name, value);
    if (answer.status === 304) return void res.status(304).end();
    res.status(answer.status).type(answer.type).send(answer.body);
  };

  /**
   * Sends the request on to the replica holding `shard` and relays its answer; 503 (retry) while the request was
   * already forwarded once, while no other replica holds the shard, or when it does not answer. `what` names the
   * thing in those answers: `none` says there is no replica for it, `holder` which replica did not answer.
   */
  const sendOn = async (
    req: Request,
    res: Response,
    shard: number,
    what: { moving: string; none: string; holder: string },
    send: (replica: string) => Promise<Answer>,
  ): Promise<void> => {
    if (req.get(FORWARDED_HEADER)) return retryLater(res, req, `${what.moving} is moving between replicas; retry`);
    const replica = await ownerOf(shard, true);
    if (replica === undefined || replica === holder.replicaId) return retryLater(res, req, `${what.none}; retry`);
    try {
      relay(res, await send(replica));
    } catch (error) {
      forwarded.failed += 1;
      retryLater(res, req, `the replica ${what.holder} did not answer (${error instanceof Error ? error.message : String(error)}); retry`);
    }
  };

  /**
   * Sends a request about subject `id` to its owner (next() when this replica owns it): an API request with its JSON
   * `body` and API headers, a page or badge with every end-to-end header (basic auth, conditional requests).
   */
  const toOwner = async (id: string, req: Request, res: Response, next: NextFunction, api?: { body: unknown }): Promise<void> => {
    if (coordinator.owns(id)) return next();
    const subject = `subject "${id}"`;
    await sendOn(
      req,
      res,
      shardOf(id),
      { moving: subject, none: `${subject} has no replica right now (shard being taken over)`, holder: `owning ${subject}` },
      (owner) => (api ? forward(req, owner, api.body) : forward(req, owner, undefined, 'all')),
    );
  };

  router.get('/cluster', async (_req, res) => {
    res.json({ ...clusterView(await holder.view()), polling_sources: polling() });
  });

  // Everything about one subject goes to its owner.
  router.all(/^\/subjects\/([^/]+)(\/.*)?$/, json({ limit: maxBodyBytes, type: ['application/json', 'application/*+json'] }), (req, res, next) =>
    toOwner(decodeURIComponent(req.path.split('/')[2]!), req, res, next, { body: req.body }),
  );

  // The status page's links and badges work on any replica: a subject's page and badges come from its owner.
  const webRouter = Router();
  const svgName = (file: string) => (file.endsWith('.svg') ? file.slice(0, -'.svg'.length) : undefined);
  webRouter.get('/subjects/:id', (req, res, next) => toOwner(req.params.id, req, res, next));
  webRouter.get('/badge/:file', (req, res, next) => {
    const id = svgName(req.params.file);
    return id === undefined ? next() : toOwner(id, req, res, next);
  });
  webRouter.get('/badge/:subject/:file', (req, res, next) =>
    svgName(req.params.file) === undefined ? next() : toOwner(req.params.subject, req, res, next),
  );

  // A batch is split by owner; it is accepted only when every part was.
  router.post('/observations', json({ limit: maxBodyBytes, type: ['application/json', 'application/*+json'] }), async (req, res, next) => {
    const body: unknown = req.body;
    if (
      !Array.isArray(body) ||
      !body.every((item) => typeof item === 'object' && item !== null && typeof (item as { subject?: unknown }).subject === 'string')
    ) {
      return next(); // the core route answers the validation error
    }
    const items = body as { subject: string }[];
    if (items.every((item) => coordinator.owns(item.subject))) return next();
    if (req.get(FORWARDED_HEADER)) return retryLater(res, req, 'some subjects of this batch are moving between replicas; retry');
    const groups = new Map<string, unknown[]>();
    for (const item of items) {
      const owner = await ownerOf(shardOf(item.subject));
      if (owner === undefined) return retryLater(res, req, `subject "${item.subject}" has no replica right now (shard being taken over); retry`);
      groups.set(owner, [...(groups.get(owner) ?? []), item]);
    }
    try {
      const answers = await Promise.all([...groups].map(([owner, part]) => forward(req, owner, part)));
      const failed = answers.find((answer) => answer.status >= 300);
      if (failed) return relay(res, failed);
      forwarded.ok += answers.length;
      res.json({ accepted: items.length });
    } catch (error) {
      forwarded.failed += 1;
      retryLater(res, req, `a replica owning part of this batch did not answer (${error instanceof Error ? error.message : String(error)}); retry`);
    }
  });

  const metrics = (): string => {
    const stats = holder.stats();
    return renderClusterMetrics({
      shardsHeld: coordinator.readyShards().size,
      liveReplicas: stats.liveReplicas,
      validForMs: stats.validForMs,
      lastRenewalAt: stats.lastRenewalAt,
      renewals: stats.renewals,
      renewalFailures: stats.renewalFailures,
      forwarded,
      relayed: relayStats(),
    });
  };

  return {
    router,
    webRouter,
    metrics,
    ownerOf: (subjectId, fresh) => ownerOf(shardOf(subjectId), fresh),
    liveReplicas: async () => (await lookup(false)).live,
    async forwardToPoller(source, req, res, body) {
      if (polling().includes(source)) return false;
      const named = `source "${source}"`;
      const what = { moving: named, none: `${named} is not running on any replica right now (being taken over)`, holder: `running ${named}` };
      await sendOn(req, res, pollerShard(source), what, (poller) => forward(req, poller, body, 'all'));
      return true;
    },
  };
}

function clusterView(view: ClusterView) {
  return {
    self: view.self,
    shard_count: view.shardCount,
    hold_ttl_seconds: view.holdTtlMs / 1000,
    unheld_shards: view.unheld,
    replicas: view.replicas.map((replica) => ({
      id: replica.id,
      live: replica.live,
      started_at: new Date(replica.startedAt).toISOString(),
      last_heartbeat: new Date(replica.heartbeatAt).toISOString(),
      shards: replica.shards,
    })),
  };
}
