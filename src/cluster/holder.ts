// A replica's hold on shards, kept in PostgreSQL as leases with a deadline in database time (vigil.shard_holds).
//
// Every renew interval, one transaction: heartbeat this replica, renew the shards it still holds, give back the
// ones above its fair share, claim free or expired ones up to it. Deadlines use the database's clock, so replicas'
// clocks do not matter for who may take a shard. Locally a hold counts only until `sent + ttl - margin`, measured
// from just before the renewing transaction began: the database deadline is later than that, so a replica that
// cannot renew (database down, partition) stops using its shards before any other replica may take them.
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { errorMessage } from '../store/errors.js';
import { SCHEMA } from '../store/postgres/migrations.js';
import { SHARD_COUNT, fairShare, shardOf } from './shards.js';

export interface HolderOptions {
  /** This replica's id: its advertised address, unique in the cluster. */
  replicaId: string;
  /** How long a hold lasts without renewal (database time). */
  holdTtlMs: number;
  /** How often holds are renewed and rebalanced; well below holdTtlMs. */
  renewIntervalMs: number;
  /** Local safety margin: a hold stops counting this long before its database deadline could pass. */
  safetyMarginMs?: number;
  /** Monotonic clock in ms; tests inject one. */
  monotonic?: () => number;
  /** Called when the set of usable shards changes (claims, releases, expiry). */
  onChange?: (held: ReadonlySet<number>) => void;
  /** Called before shards above the fair share are given back, so their state can be flushed first. */
  beforeRelease?: (shards: readonly number[]) => Promise<void>;
  onError?: (error: Error) => void;
}

export interface ReplicaView {
  id: string;
  startedAt: number;
  heartbeatAt: number;
  /** Heartbeat within the hold TTL. */
  live: boolean;
  shards: number[];
}

export interface ClusterView {
  self: string;
  shardCount: number;
  holdTtlMs: number;
  replicas: ReplicaView[];
  /** Shards no live replica holds right now (between a death and the takeover). */
  unheld: number[];
}

export interface HolderStats {
  shardsHeld: number;
  liveReplicas: number;
  renewals: number;
  renewalFailures: number;
  /** Milliseconds the current holds stay usable without another renewal; 0 when none. */
  validForMs: number;
  lastRenewalAt?: number;
}

const T = { replicas: `${SCHEMA}.replicas`, holds: `${SCHEMA}.shard_holds` };

export class ShardHolder {
  private shards = new Set<number>();
  private reported: ReadonlySet<number> = new Set();
  private validUntil = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private liveReplicas = 0;
  private renewals = 0;
  private renewalFailures = 0;
  private lastRenewalAt: number | undefined;
  private readonly monotonic: () => number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: HolderOptions,
  ) {
    this.monotonic = options.monotonic ?? (() => performance.now());
  }

  get replicaId(): string {
    return this.options.replicaId;
  }

  /** Shards this replica may use now: held, and renewed recently enough. */
  held(): ReadonlySet<number> {
    return this.monotonic() < this.validUntil ? this.shards : new Set();
  }

  owns(subjectId: string): boolean {
    return this.monotonic() < this.validUntil && this.shards.has(shardOf(subjectId));
  }

  stats(): HolderStats {
    const stats: HolderStats = {
      shardsHeld: this.held().size,
      liveReplicas: this.liveReplicas,
      renewals: this.renewals,
      renewalFailures: this.renewalFailures,
      validForMs: Math.max(0, this.validUntil - this.monotonic()),
    };
    if (this.lastRenewalAt !== undefined) stats.lastRenewalAt = this.lastRenewalAt;
    return stats;
  }

  /** Renews now and then every renew interval until stop(). */
  start(): Promise<void> {
    const loop = async () => {
      this.timer = undefined;
      await this.renew();
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.options.renewIntervalMs);
    };
    return loop();
  }

  /** One round: heartbeat, renew, rebalance. Failures are reported, never thrown: the holds then simply age. */
  renew(): Promise<void> {
    this.running ??= this.renewOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async renewOnce(): Promise<void> {
    const sent = this.monotonic();
    const ttl = this.options.holdTtlMs;
    const self = this.options.replicaId;
    let extras: number[] = [];
    try {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO ${T.replicas} (id, address, started_at, heartbeat_at) VALUES ($1, $1, now(), now())
           ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`,
          [self],
        );
        const live = (
          await client.query<{ id: string }>(`SELECT id FROM ${T.replicas} WHERE heartbeat_at > now() - $1 * interval '1 millisecond'`, [ttl])
        ).rows;
        const renewed = (
          await client.query<{ shard: number }>(
            `UPDATE ${T.holds} SET deadline = now() + $2 * interval '1 millisecond' WHERE replica = $1 AND deadline > now() RETURNING shard`,
            [self, ttl],
          )
        ).rows.map((row) => row.shard);
        const share = fairShare(
          live.map((row) => row.id),
          self,
          SHARD_COUNT,
        );
        let held = renewed.sort((a, b) => a - b);
        if (held.length > share) {
          extras = held.slice(share);
          held = held.slice(0, share);
        } else if (held.length < share) {
          const claimed = await client.query<{ shard: number }>(
            `UPDATE ${T.holds} h SET replica = $1, deadline = now() + $2 * interval '1 millisecond', epoch = h.epoch + 1
             FROM (SELECT shard FROM ${T.holds} WHERE replica IS NULL OR deadline <= now() ORDER BY shard LIMIT $3 FOR UPDATE SKIP LOCKED) free
             WHERE h.shard = free.shard RETURNING h.shard`,
            [self, ttl, share - held.length],
          );
          held = [...held, ...claimed.rows.map((row) => row.shard)];
        }
        // Replicas gone for long are forgotten, so the cluster view does not fill up with dead ids.
        await client.query(`DELETE FROM ${T.replicas} WHERE heartbeat_at < now() - $1 * interval '1 millisecond'`, [ttl * 30]);
        await client.query('COMMIT');
        this.liveReplicas = new Set([...live.map((row) => row.id), self]).size;
        this.renewals += 1;
        this.lastRenewalAt = Date.now();
        this.update(new Set(held), sent + ttl - (this.options.safetyMarginMs ?? Math.min(1_000, ttl / 5)));
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    } catch (error) {
      this.renewalFailures += 1;
      this.options.onError?.(new Error(`renewing shard holds of ${self} failed: ${errorMessage(error)}`, { cause: error }));
      return;
    }
    if (extras.length > 0) await this.release(extras);
  }

  /** Flushes (through beforeRelease) and gives back shards; they stopped counting locally already. */
  private async release(shards: number[]): Promise<void> {
    try {
      await this.options.beforeRelease?.(shards);
      await this.pool.query(`UPDATE ${T.holds} SET replica = NULL, deadline = NULL WHERE replica = $1 AND shard = ANY($2::int[])`, [
        this.options.replicaId,
        shards,
      ]);
    } catch (error) {
      // Not given back: the holds expire by themselves after the TTL, and nobody uses them meanwhile.
      this.options.onError?.(new Error(`releasing shards ${shards.join(',')} failed: ${errorMessage(error)}`, { cause: error }));
    }
  }

  private update(shards: Set<number>, validUntil: number): void {
    this.shards = shards;
    this.validUntil = validUntil;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    // When no renewal comes in time, the holds stop counting at validUntil: tell the runtime then, not later.
    this.expiryTimer = setTimeout(() => this.notify(), Math.max(0, validUntil - this.monotonic()));
    this.expiryTimer.unref();
    this.notify();
  }

  /** Calls onChange when the usable set differs from the one last reported. */
  private notify(): void {
    const now = this.held();
    const before = this.reported;
    if (now.size === before.size && [...now].every((shard) => before.has(shard))) return;
    this.reported = new Set(now);
    this.options.onChange?.(this.reported);
  }

  /** Replicas, their shards and heartbeats as the database has them now. */
  async view(): Promise<ClusterView> {
    const ttl = this.options.holdTtlMs;
    const replicas = await this.pool.query<{ id: string; started_at: Date; heartbeat_at: Date; live: boolean }>(
      `SELECT id, started_at, heartbeat_at, heartbeat_at > now() - $1 * interval '1 millisecond' AS live FROM ${T.replicas} ORDER BY id`,
      [ttl],
    );
    const holds = await this.pool.query<{ shard: number; replica: string | null }>(
      `SELECT shard, CASE WHEN deadline > now() THEN replica END AS replica FROM ${T.holds} ORDER BY shard`,
    );
    const byReplica = new Map<string, number[]>();
    const unheld: number[] = [];
    for (const { shard, replica } of holds.rows) {
      if (replica === null) unheld.push(shard);
      else byReplica.set(replica, [...(byReplica.get(replica) ?? []), shard]);
    }
    return {
      self: this.options.replicaId,
      shardCount: holds.rows.length,
      holdTtlMs: ttl,
      unheld,
      replicas: replicas.rows.map((row) => ({
        id: row.id,
        startedAt: row.started_at.getTime(),
        heartbeatAt: row.heartbeat_at.getTime(),
        live: row.live,
        shards: byReplica.get(row.id) ?? [],
      })),
    };
  }

  /** Gives every shard back (after beforeRelease) and leaves the cluster, so others take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    await this.running?.catch(() => undefined);
    const shards = [...this.shards];
    this.update(new Set(), -Infinity);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    if (shards.length > 0) await this.release(shards);
    await this.pool.query(`DELETE FROM ${T.replicas} WHERE id = $1`, [this.options.replicaId]).catch(() => undefined);
  }
}
