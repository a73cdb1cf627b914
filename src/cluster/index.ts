// Starts this process as one replica of a cluster sharing a PostgreSQL database: shard holds, the coordinator
// that keeps memory to the held shards, and the routes that send requests about other subjects to their owners.
import { hostname } from 'node:os';
import type { Router } from 'express';
import pg from 'pg';
import type { Logger } from 'pino';
import type { ListenAddress } from '../config/listen.js';
import type { SubjectSpec } from '../engine/types.js';
import type { Vigil } from '../runtime/vigil.js';
import { poolConfig } from '../store/postgres/connection.js';
import type { PostgresStore } from '../store/postgres/store.js';
import { ShardCoordinator } from './coordinator.js';
import { ShardHolder } from './holder.js';
import { clusterRoutes } from './routes.js';

export interface ClusterSettings {
  /** URL other replicas reach this one at; defaults to http://<listen address>. */
  advertise?: string;
  holdTtlMs: number;
  renewIntervalMs: number;
}

export interface RunningCluster {
  replicaId: string;
  coordinator: ShardCoordinator;
  holder: ShardHolder;
  /** Mounted under /api/v1 before the core routes. */
  router: Router;
  metrics(): string;
  ownerOf(subjectId: string): Promise<string | undefined>;
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
  const holder = new ShardHolder(pool, {
    replicaId: options.replicaId,
    holdTtlMs: settings.holdTtlMs,
    renewIntervalMs: settings.renewIntervalMs,
    onChange: coordinator.onChange,
    beforeRelease: coordinator.beforeRelease,
    onError: (error) => log.warn({ err: error.message }, 'shard holds'),
  });
  await holder.start();
  await coordinator.settled();
  const routes = clusterRoutes({ holder, coordinator, maxBodyBytes: options.maxBodyBytes });
  return {
    replicaId: options.replicaId,
    coordinator,
    holder,
    router: routes.router,
    metrics: routes.metrics,
    ownerOf: routes.ownerOf,
    async stop() {
      await holder.stop();
      await coordinator.settled();
      await pool.end();
    },
  };
}
