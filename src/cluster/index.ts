// Starts this process as one replica of a cluster sharing a PostgreSQL database: shard holds, the coordinator
// that keeps memory to the held shards, and the routes that send requests about other subjects to their owners.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Router } from 'express';
import pg from 'pg';
import type { Logger } from 'pino';
import type { ClusterSettings } from '../config/core.js';
import type { ListenAddress } from '../config/listen.js';
import type { SubjectSpec } from '../engine/types.js';
import type { Vigil } from '../runtime/vigil.js';
import { poolConfig } from '../store/postgres/connection.js';
import type { PostgresStore } from '../store/postgres/store.js';
import { ShardCoordinator } from './coordinator.js';
import { ShardHolder } from './holder.js';
import { PollerPlacement, type PlacedExtension } from './pollers.js';
import { RelaySink, sinkRoute } from './relay-sink.js';
import { clusterRoutes, type ClusterRoutes } from './routes.js';
import { clusterStatusModel, clusterStatusRoutes, type ClusterStatusOptions } from './status.js';
import type { StatusModel, StatusQuery } from '../web/status-model.js';
import { fanoutRoutes } from './fanout.js';
import { announceBlock, blocksOf, clusterEventRoutes } from './events.js';
import { SEQ_BLOCK } from '../store/postgres/tables.js';
import { SCHEMA } from '../store/postgres/migrations.js';
import type { Source } from '../sources/types.js';

/** Largest list answer taken from one replica in a cluster-wide read (some 100,000 subjects' health). */
const FANOUT_MAX_ANSWER_BYTES = 256 * 1024 * 1024;

export interface RunningCluster {
  replicaId: string;
  coordinator: ShardCoordinator;
  holder: ShardHolder;
  /** Mounted under /api/v1 before the core routes. */
  router: Router;
  /** Mounted before the status page's routes (subject pages and badges of subjects owned elsewhere). */
  webRouter: Router;
  /** The status page's model over every replica's subjects. */
  statusModel(query: StatusQuery, now: number): Promise<StatusModel>;
  metrics(): string;
  ownerOf(subjectId: string): Promise<string | undefined>;
  forwardToPoller: ClusterRoutes['forwardToPoller'];
  /** The sources serve starts: polling ones run only on the replica holding their shard (see pollers.ts). */
  placeSources(extensions: readonly PlacedExtension[]): Source[];
  /** Hands every shard over (after flushing it) and leaves the cluster. */
  stop(): Promise<void>;
}

/** The listen address as others can reach it: a wildcard host becomes this machine's name. */
export function defaultAdvertise(address: ListenAddress): string {
  const wildcard = address.host === '0.0.0.0' || address.host === '::' || address.host === '';
  const host = wildcard ? hostname() : address.host.includes(':') ? `[${address.host}]` : address.host;
  return `http://${host}:${address.port}`;
}

export async function startCluster(options: {
  url: string;
  password?: string;
  settings: ClusterSettings;
  replicaId: string;
  vigil: Vigil;
  store: PostgresStore;
  configured: readonly SubjectSpec[];
  renames: readonly { from: string; to: string }[];
  maxBodyBytes: number;
  log: Logger;
}): Promise<RunningCluster> {
  const { settings, log } = options;
  const coordinator = new ShardCoordinator(options.vigil, options.store, options.configured, options.renames, log);
  const pool = new pg.Pool(poolConfig(options.url, { ...(options.password !== undefined && { password: options.password }), poolSize: 2 }));
  pool.on('error', (error) => log.warn({ err: error.message }, 'cluster database connection lost'));
  const key = await clusterKey(pool);
  // The state holds no events yet: its seq is this replica's block base.
  await announceBlock(pool, options.replicaId, Math.floor(options.vigil.state.seq / SEQ_BLOCK));
  const followers = [coordinator.onChange];
  let placement: PollerPlacement | undefined;
  const holder = new ShardHolder(pool, {
    replicaId: options.replicaId,
    holdTtlMs: settings.holdTtlMs,
    renewIntervalMs: settings.renewIntervalMs,
    onChange: (held) => {
      for (const follow of followers) follow(held);
    },
    // The shards stopped counting already; their state is flushed and their sources stopped before they are given back.
    beforeRelease: async () => {
      await coordinator.beforeRelease();
      await placement?.settled();
    },
    onError: (error) => log.warn({ err: error.message }, 'shard holds'),
  });
  await holder.start();
  await coordinator.settled();
  const relay = new RelaySink({
    local: options.vigil.sink(),
    self: options.replicaId,
    key,
    owns: (id) => coordinator.owns(id),
    ownerOf: (id, fresh) => routes.ownerOf(id, fresh),
    liveReplicas: () => routes.liveReplicas(),
    state: () => options.vigil.state,
    log,
  });
  const placed = new PollerPlacement(relay, () => holder.held(), log);
  placement = placed;
  followers.push(() => placed.follow());
  coordinator.onDropped = (subjects) => relay.rememberGivenUp(subjects, placed.names());
  const routes = clusterRoutes({
    holder,
    coordinator,
    maxBodyBytes: options.maxBodyBytes,
    relay: () => relay.stats(),
    polling: () => placed.polling(),
  });
  routes.router.use(
    sinkRoute({
      key,
      owns: (id) => coordinator.owns(id),
      sink: options.vigil.sink(),
      state: () => options.vigil.state,
      commit: () => options.store.commit(),
      log,
    }),
  );
  routes.router.use(
    fanoutRoutes({
      self: options.replicaId,
      liveReplicas: () => routes.liveReplicas(),
      subjects: () => options.vigil.state.subjects.values(),
      maxAnswerBytes: FANOUT_MAX_ANSWER_BYTES,
    }),
  );
  const status: ClusterStatusOptions = {
    self: options.replicaId,
    key,
    liveReplicas: () => routes.liveReplicas(),
    state: () => options.vigil.state,
    maintenance: options.vigil.maintenance,
    maxAnswerBytes: FANOUT_MAX_ANSWER_BYTES,
  };
  routes.router.use(clusterStatusRoutes(status));
  // Reads get their own connections, so a slow one never holds up a renewal of the holds.
  const reads = new pg.Pool(poolConfig(options.url, { ...(options.password !== undefined && { password: options.password }), poolSize: 4 }));
  reads.on('error', (error) => log.warn({ err: error.message }, 'cluster read connection lost'));
  routes.router.use(clusterEventRoutes({ pool: reads, liveBlocks: async () => blocksOf(reads, await routes.liveReplicas()) }));
  // Windows added or removed through the API on another replica apply here by the next renewal interval.
  const maintenance = setInterval(() => {
    options.vigil.maintenance
      .refresh(() => options.store.readMaintenance())
      .then(
        (changed) => changed && log.info({ windows: options.vigil.maintenance.list().length }, 'maintenance windows re-read'),
        (error: unknown) => log.warn({ err: String(error) }, 'maintenance windows not re-read'),
      );
  }, settings.renewIntervalMs);
  maintenance.unref();
  return {
    replicaId: options.replicaId,
    coordinator,
    holder,
    router: routes.router,
    webRouter: routes.webRouter,
    statusModel: clusterStatusModel(status),
    metrics: routes.metrics,
    ownerOf: (id) => routes.ownerOf(id),
    forwardToPoller: routes.forwardToPoller,
    placeSources: (extensions) => placed.place(extensions),
    async stop() {
      clearInterval(maintenance);
      await relay.close();
      await holder.stop();
      await coordinator.settled();
      await Promise.all([pool.end(), reads.end()]);
    },
  };
}

/** A secret the replicas share through the database: internal calls between them carry it. Made by the first one. */
async function clusterKey(pool: pg.Pool): Promise<string> {
  // meta holds BIGINTs: four random ones make the key. ON CONFLICT keeps the first replica's.
  const values = Array.from({ length: 4 }, (_, index) => [`cluster_key_${index}`, randomBytes(8).readBigInt64BE().toString()]);
  await pool.query(
    `INSERT INTO ${SCHEMA}.meta (key, value) VALUES ${values.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ')} ` +
      'ON CONFLICT (key) DO NOTHING',
    values.flat(),
  );
  const rows = await pool.query<{ value: string }>(`SELECT value::text AS value FROM ${SCHEMA}.meta WHERE key LIKE 'cluster_key_%' ORDER BY key`);
  return rows.rows.map((row) => BigInt(row.value).toString(16)).join('.');
}
