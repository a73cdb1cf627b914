// Persistence of the engine state in PostgreSQL with group commit: the same contract as the SQLite `Store`.
//
// `record()` only notes what changed. A timer, armed only while something is dirty, serialises the dirty rows and
// writes them in ONE transaction; the `commit()` promises waiting when that flush started resolve once PostgreSQL
// has committed it (synchronous_commit as the server sets it, `on` by default: flushed to its WAL). Unlike SQLite the
// write is asynchronous, so records made while a flush is in flight wait for the next one, and a failed flush puts
// its rows back so the next interval retries them.
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { EngineEvent, EngineState, RecordedChange, SubjectState } from '../../engine/types.js';
import { StoreError, errorMessage } from '../errors.js';
import type { LoadedState, StateStore, StoreOptions, StoreStats } from '../state-store.js';
import { describeConnectFailure, poolConfig, redactUrl, type PostgresConnectOptions } from './connection.js';
import { migratePostgres } from './migrations.js';
import { WriterLock } from './writer-lock.js';
import { encodeSubject } from '../subject-row.js';
import { PendingChanges } from '../pending.js';
import { FlushSchedule } from '../flush-schedule.js';
import {
  deleteMaintenance,
  loadAll,
  loadMaintenance,
  loadShards,
  reserveSeqBlock,
  saveMaintenance,
  selectEventsAfter,
  selectSizeBytes,
  writeBatch,
  type SerializedBatch,
} from './tables.js';
import type { MaintenanceWindow } from '../../maintenance/windows.js';

export type { PostgresConnectOptions } from './connection.js';

export interface PostgresStoreOptions extends StoreOptions, PostgresConnectOptions {
  /**
   * Replica id when running as one of several replicas: nothing is loaded at open (shards are loaded as they are
   * taken, with loadShards), no single-writer lock is taken, and every flush writes only subjects of shards this
   * replica holds at that moment.
   */
  replicaId?: string;
}

/** Size queries are cheap but not free: at most one per this interval. */
const SIZE_REFRESH_MS = 10_000;

export class PostgresStore implements StateStore {
  private state: EngineState | undefined;
  private readonly pending = new PendingChanges();
  private readonly schedule: FlushSchedule;
  private inFlight: Promise<void> | undefined;
  private closed = false;
  private transactions = 0;
  private rowsWritten = 0;
  private lastFlushDurationMs = 0;
  private lastFlushAt: number | undefined;
  private lastFlushError: string | undefined;
  private sizeBytes = 0;
  private sizeCheckedAt = -Infinity;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly writer: WriterLock | undefined,
    /** The URL without its password. */
    readonly location: string,
    private readonly loaded: LoadedState,
    private readonly maintenance: MaintenanceWindow[],
    private readonly options: PostgresStoreOptions,
  ) {
    this.schedule = new FlushSchedule({
      intervalMs: options.flushIntervalMs,
      dirty: () => this.hasPending(),
      flushDue: () => {
        if (!this.inFlight) return this.flush();
        this.schedule.arm(); // one flush at a time; this one runs when the current one is done
        return undefined;
      },
    });
  }

  /** Connects, checks and migrates the schema, and loads the state; rejects with StoreError on any failure. */
  static async open(url: string, options: PostgresStoreOptions): Promise<PostgresStore> {
    const location = redactUrl(url);
    const config = poolConfig(url, options);
    const pool = new pg.Pool(config);
    const writer = options.replicaId === undefined ? new WriterLock(config, location) : undefined;
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    pool.on('error', (error) => options.onError?.(new StoreError(`PostgreSQL connection to ${location} lost: ${error.message}`, { cause: error })));
    try {
      await writer?.ensure();
      const client = await pool.connect();
      try {
        await migratePostgres(client, location);
        const loaded =
          options.replicaId === undefined
            ? await loadAll(client, location)
            : { subjects: [], sources: [], history: [], seq: await reserveSeqBlock(pool) };
        return new PostgresStore(pool, writer, location, loaded, await loadMaintenance(client, location), options);
      } finally {
        client.release();
      }
    } catch (error) {
      await writer?.release();
      await pool.end().catch(() => undefined);
      throw describeConnectFailure(location, error);
    }
  }

  load(): LoadedState {
    this.assertOpen();
    return this.loaded;
  }

  attach(state: EngineState): void {
    this.state = state;
  }

  record(result: RecordedChange): void {
    this.assertOpen();
    if (result.changed.size > 0 && !this.state) throw new StoreError('Store.attach(state) must be called before recording changes');
    this.pending.add(result);
    if (this.hasPending()) this.schedule.arm();
  }

  withdraw(events: readonly EngineEvent[]): void {
    this.pending.withdraw(events);
  }

  commit(): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError(`state database ${this.location} is closed`));
    // Nothing new: what was recorded before is either committed or in the flush now running.
    if (!this.hasPending()) return this.inFlight ?? Promise.resolve();
    return this.schedule.wait();
  }

  async eventsAfter(seq: number, limit: number, subject?: string): Promise<EngineEvent[]> {
    this.assertOpen();
    return selectEventsAfter(this.pool, seq, Math.max(0, Math.floor(limit)), subject);
  }

  loadMaintenance(): MaintenanceWindow[] {
    this.assertOpen();
    return this.maintenance;
  }

  /** API maintenance windows as the database has them now (replicas re-read them: another may have changed them). */
  async readMaintenance(): Promise<MaintenanceWindow[]> {
    this.assertOpen();
    const client = await this.pool.connect();
    try {
      return await loadMaintenance(client, this.location);
    } finally {
      client.release();
    }
  }

  /** Stores an API maintenance window outside the group commit; resolves once it is committed. */
  saveMaintenance(window: MaintenanceWindow): Promise<void> {
    this.assertOpen();
    return saveMaintenance(this.pool, window);
  }

  deleteMaintenance(id: string): Promise<void> {
    this.assertOpen();
    return deleteMaintenance(this.pool, id);
  }

  /** Subjects of `shards` and their events, for a replica that has just taken them. */
  loadShards(shards: readonly number[]): Promise<{ subjects: SubjectState[]; history: EngineEvent[] }> {
    this.assertOpen();
    return loadShards(this.pool, this.location, shards);
  }

  /** Drops pending changes of subjects this replica gave up: they must not be written over their new owner's. */
  forget(subjectIds: Iterable<string>): void {
    const gone = new Set(subjectIds);
    if (!this.pending.forget(gone)) return;
    // Someone may be waiting for exactly these changes: they will never be written here, so never acknowledge them.
    const error = new StoreError(`changes to ${gone.size} subjects were dropped: their shards moved to another replica`);
    this.schedule.takeWaiters().reject(error);
  }

  /** A new block of event sequence numbers for this replica (its first number minus one). */
  reserveSeqBlock(): Promise<number> {
    return reserveSeqBlock(this.pool);
  }

  stats(): StoreStats {
    const stats: StoreStats = {
      transactions: this.transactions,
      rowsWritten: this.rowsWritten,
      lastFlushDurationMs: this.lastFlushDurationMs,
      pendingSubjects: this.pending.subjectCount,
      sizeBytes: this.sizeBytes,
    };
    if (this.lastFlushAt !== undefined) stats.lastFlushAt = this.lastFlushAt;
    if (this.lastFlushError !== undefined) stats.lastFlushError = this.lastFlushError;
    return stats;
  }

  /** Waits for a running flush, writes what is left, then disconnects. Rejects if that last flush failed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.schedule.stop();
    this.closed = true;
    let failure: unknown;
    await this.inFlight?.catch(() => undefined);
    if (this.hasPending()) await this.flush().catch((error: unknown) => (failure = error));
    await this.pool.end();
    await this.writer?.release();
    if (failure) throw failure;
  }

  private hasPending(): boolean {
    return !this.pending.empty;
  }

  /** Takes everything pending, writes it in one transaction and settles the waiters taken with it. */
  private flush(): Promise<void> {
    const waiters = this.schedule.takeWaiters();
    const taken = this.pending.take();
    const { subjects: subjectIds, sources: sourceNames, events, renames } = taken;
    const state = this.state;
    // Serialised now, not when the query is sent: later engine changes belong to the next flush.
    const batch: SerializedBatch = {
      subjects: subjectIds.map((id) => ({ id, json: subjectRowOf(state?.subjects.get(id)) })),
      sources: sourceNames.map((name) => ({ name, json: jsonOf(state?.sources.get(name)) })),
      events,
      renames,
      seq: events.reduce((highest, event) => Math.max(highest, event.seq), state?.seq ?? 0),
      eventsPerSubject: this.options.eventsPerSubject,
    };
    if (this.options.replicaId !== undefined) batch.fence = this.options.replicaId;
    const flushing = this.write(batch).then(
      (fenced) => {
        if (fenced.length === 0) {
          waiters.resolve();
          return;
        }
        // Another replica holds these now and has the last durable state; ours is dropped, never acknowledged.
        const error = new StoreError(
          `${fenced.length} subjects (${fenced.slice(0, 3).join(', ')}…) were not written: their shards are held by another replica now`,
        );
        waiters.reject(error);
        this.options.onError?.(error);
      },
      (cause: unknown) => {
        // Put the rows back (their current state is re-read next time) and the events in front of newer ones.
        this.pending.putBack(taken);
        const error = new StoreError(
          `flush of ${subjectIds.length} subjects, ${sourceNames.length} sources and ${events.length} events to ${this.location} ` +
            `failed (${errorMessage(cause)}); retrying every ${this.options.flushIntervalMs} ms`,
          { cause },
        );
        this.lastFlushError = error.message;
        waiters.reject(error);
        this.options.onError?.(error);
        throw error;
      },
    );
    this.inFlight = flushing;
    const clear = () => {
      if (this.inFlight === flushing) this.inFlight = undefined;
    };
    flushing.then(clear, clear);
    return flushing;
  }

  /** Writes the batch; resolves with the subjects left out because their shard is no longer held. */
  private async write(batch: SerializedBatch): Promise<string[]> {
    const started = performance.now();
    let fenced: string[] = [];
    try {
      await this.writer?.ensure(); // never write without the lock, e.g. after the server restarted
      const client = await this.pool.connect();
      try {
        const { rows, fencedOut } = await writeBatch(client, batch);
        this.rowsWritten += rows;
        if (fencedOut.length > 0) fenced = fencedOut;
      } finally {
        client.release();
      }
      this.transactions += 1;
      if (this.lastFlushError !== undefined) this.options.onRecovered?.();
      this.lastFlushError = undefined;
      this.lastFlushAt = (this.options.now ?? Date.now)();
      if (started - this.sizeCheckedAt >= SIZE_REFRESH_MS) {
        this.sizeCheckedAt = started;
        this.sizeBytes = await selectSizeBytes(this.pool).catch(() => this.sizeBytes);
      }
      return fenced;
    } finally {
      this.lastFlushDurationMs = performance.now() - started;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError(`state database ${this.location} is closed`);
  }
}

function subjectRowOf(subject: SubjectState | undefined): string | undefined {
  return subject === undefined ? undefined : encodeSubject(subject);
}

function jsonOf(value: object | undefined): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}
