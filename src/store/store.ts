// Persistence of the engine state in SQLite with group commit (docs/store.md).
//
// The engine mutates its in-memory state; `record()` only notes which subjects changed and which events happened.
// A timer, armed only while something is dirty, writes all of it in ONE transaction every flush interval and then
// resolves the `commit()` promises that were waiting, so an API write is acknowledged only once it is on disk and a
// storm of updates costs one transaction per interval. An API write asks for its flush soon (after the current
// event-loop turn), so acknowledgements do not wait for the interval. See docs/store.md for the durability argument.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { EngineEvent, EngineState, RecordedChange, SourceState, SubjectState } from '../engine/types.js';
import { StoreError, describeOpenFailure, errorMessage } from './errors.js';
import { checkDatabaseIdentity, checkIntegrity, migrate } from './migrations.js';
import { Tables, type FlushBatch } from './tables.js';
import { MaintenanceTable } from './maintenance-table.js';
import { PendingChanges } from './pending.js';
import { FlushSchedule } from './flush-schedule.js';
import type { MaintenanceWindow } from '../maintenance/windows.js';

export { StoreError } from './errors.js';

export interface StoreOptions {
  /** Group-commit interval: how long a change may wait for its transaction. */
  flushIntervalMs: number;
  /** Events kept per subject; older ones are pruned in the flush that adds new ones. */
  eventsPerSubject: number;
  /** Called with every failed flush (the data stays dirty and is retried on the next interval). */
  onError?: (error: Error) => void;
  /** Called when a flush succeeds after failed ones. */
  onRecovered?: () => void;
  /** Clock for `lastFlushAt`; defaults to `Date.now`. */
  now?: () => number;
  /** How long to wait for a lock held by another connection (a backup, a reader) before failing. */
  busyTimeoutMs?: number;
}

export interface StoreStats {
  /** Flush transactions committed since open. */
  transactions: number;
  /** Rows inserted, updated or deleted by those transactions. */
  rowsWritten: number;
  lastFlushDurationMs: number;
  lastFlushAt?: number;
  /** Message of the last flush when it failed; absent once a flush succeeds again. */
  lastFlushError?: string;
  /** Subjects changed but not yet flushed. */
  pendingSubjects: number;
  /** Size on disk of the database and its write-ahead log. */
  sizeBytes: number;
}

export interface LoadOptions {
  /** false: do not hand over the stored events (default true). */
  history?: boolean;
}

export interface LoadedState {
  subjects: SubjectState[];
  sources: SourceState[];
  seq: number;
  /** Retained events, ascending seq. */
  history: EngineEvent[];
}

export class Store {
  private state: EngineState | undefined;
  private readonly pending = new PendingChanges();
  private readonly schedule: FlushSchedule;
  private closed = false;
  private transactions = 0;
  private rowsWritten = 0;
  private lastFlushDurationMs = 0;
  private lastFlushAt: number | undefined;
  private lastFlushError: string | undefined;
  private readonly maintenance: MaintenanceTable;
  /** Subjects loaded without their events (load({ history: false })), and subjects renamed from one of them. */
  private readonly historyNotLoaded = new Set<string>();

  private constructor(
    private readonly db: Database.Database,
    private readonly lock: Database.Database | undefined,
    private readonly tables: Tables,
    readonly path: string,
    private readonly options: StoreOptions,
  ) {
    this.maintenance = new MaintenanceTable(db, path);
    this.schedule = new FlushSchedule({
      intervalMs: options.flushIntervalMs,
      dirty: () => this.hasPending(),
      flushDue: () => {
        if (this.hasPending()) this.flush(); // an early flush may have written it all already
      },
    });
  }

  /**
   * Opens (creating if absent) and migrates the database. Throws StoreError, leaving the file as it was, on a
   * corrupt, foreign, too-new or empty (0-byte) file, on one another process holds, and on one it cannot write.
   */
  static open(path: string, options: StoreOptions): Store {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: Database.Database | undefined;
    let lock: Database.Database | undefined;
    try {
      if (path !== ':memory:') {
        refuseEmptyFile(path);
        lock = lockStateFile(path);
      }
      db = new Database(path);
      // Identity first, before anything writes to the file: a foreign or corrupt file must stay untouched.
      const version = checkDatabaseIdentity(db, path);
      if (version > 0) checkIntegrity(db, path);
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal' && path !== ':memory:')
        throw new StoreError(`state database ${path} cannot use write-ahead logging (journal mode stays ${String(mode)})`);
      // FULL, not NORMAL: with NORMAL a WAL commit survives kill -9 but not a power cut. Group commit makes the
      // fsync per transaction cheap (a few per second at most), and an acknowledged write must never be lost.
      db.pragma('synchronous = FULL');
      migrate(db, version);
      proveWritable(db, path);
      return new Store(db, lock, new Tables(db, path), path, options);
    } catch (error) {
      db?.close();
      lock?.close();
      throw describeOpenFailure(path, error);
    }
  }

  /**
   * The stored state. `history: false` leaves the events in the database (readers page through them with
   * eventsAfter): a restart need not read and hold up to events_per_subject events of every subject.
   */
  load(options: LoadOptions = {}): LoadedState {
    this.assertOpen();
    try {
      const subjects = this.tables.loadSubjects();
      const history = options.history === false ? [] : this.tables.loadEvents();
      // Their stored events are not in the engine's history, so its length no longer tells when to prune them.
      if (options.history === false) for (const subject of subjects) this.historyNotLoaded.add(subject.spec.id);
      return { subjects, sources: this.tables.loadSources(), seq: this.tables.loadSeq(), history };
    } catch (error) {
      throw describeOpenFailure(this.path, error);
    }
  }

  loadMaintenance(): MaintenanceWindow[] {
    this.assertOpen();
    return this.maintenance.load();
  }

  /** Stores an API maintenance window at once, outside the group commit. */
  saveMaintenance(window: MaintenanceWindow): void {
    this.assertOpen();
    this.writeNow('store maintenance window', () => this.maintenance.save(window));
  }

  deleteMaintenance(id: string): void {
    this.assertOpen();
    this.writeNow('delete maintenance window', () => this.maintenance.delete(id));
  }

  /** A write outside the group commit: its failure is a StoreError (the API answers 503, nothing changed). */
  private writeNow(what: string, write: () => void): void {
    try {
      write();
    } catch (cause) {
      throw new StoreError(`could not ${what} in ${this.path} (${errorMessage(cause)})`, { cause });
    }
  }

  /** The state the flush reads current subject and source rows from. */
  attach(state: EngineState): void {
    this.state = state;
  }

  /** Marks `result.changed` dirty and queues `result.events`. No I/O. */
  record(result: RecordedChange): void {
    this.assertOpen();
    if (result.changed.size > 0 && !this.state) throw new StoreError('Store.attach(state) must be called before recording changes');
    this.pending.add(result);
    for (const { from, to } of result.renamed ?? []) if (this.historyNotLoaded.has(from)) this.historyNotLoaded.add(to);
    if (this.hasPending()) this.schedule.arm();
  }

  /** Drops queued events of a write that was undone (its commit failed): they must never reach the disk. */
  withdraw(events: readonly EngineEvent[]): void {
    this.pending.withdraw(events);
  }

  /**
   * Resolves once everything recorded before the call is durably flushed; rejects if that flush failed.
   * `soon`: a client waits for this answer (an API write), so flush after the current event-loop turn instead of
   * at the interval: every write that arrived in that turn shares the transaction, and a stream of batches is
   * limited by the disk and the CPU, not by one transaction per interval (bench/RESULTS.md, scale).
   */
  commit(soon = false): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError(`state database ${this.path} is closed`));
    if (!this.hasPending()) return Promise.resolve();
    return this.schedule.wait(soon);
  }

  /** Flushed events with seq > `seq`, ascending; unflushed ones are not visible here yet. */
  eventsAfter(seq: number, limit: number, subject?: string): EngineEvent[] {
    this.assertOpen();
    return this.tables.eventsAfter(seq, Math.max(0, Math.floor(limit)), subject);
  }

  stats(): StoreStats {
    const stats: StoreStats = {
      transactions: this.transactions,
      rowsWritten: this.rowsWritten,
      lastFlushDurationMs: this.lastFlushDurationMs,
      pendingSubjects: this.pending.subjectCount,
      sizeBytes: fileSize(this.path) + fileSize(`${this.path}-wal`),
    };
    if (this.lastFlushAt !== undefined) stats.lastFlushAt = this.lastFlushAt;
    if (this.lastFlushError !== undefined) stats.lastFlushError = this.lastFlushError;
    return stats;
  }

  /** Final synchronous flush, then closes the database. Throws if that flush failed (its data is lost). */
  close(): void {
    if (this.closed) return;
    this.schedule.stop();
    const failure = this.hasPending() ? this.flush() : undefined;
    this.closed = true;
    this.db.close();
    this.lock?.close();
    if (failure) throw failure;
  }

  private hasPending(): boolean {
    return !this.pending.empty;
  }

  /** Writes everything pending in one transaction and settles the waiters; returns the error if it failed. */
  private flush(): StoreError | undefined {
    const waiters = this.schedule.takeWaiters();
    const state = this.state;
    const pending = this.pending.peek();
    const batch: FlushBatch = {
      subjects: pending.subjects.map((id) => ({ id, state: state?.subjects.get(id) })),
      sources: pending.sources.map((name) => ({ name, state: state?.sources.get(name) })),
      events: pending.events,
      renames: pending.renames,
      seq: pending.events.reduce((highest, event) => Math.max(highest, event.seq), state?.seq ?? 0),
      eventsPerSubject: this.options.eventsPerSubject,
      mayExceed: (subject) =>
        this.historyNotLoaded.has(subject) || (state?.history.get(subject)?.length ?? Infinity) >= this.options.eventsPerSubject,
    };
    const started = performance.now();
    try {
      this.rowsWritten += this.tables.flush(batch);
    } catch (cause) {
      // The dirty sets and the queue are untouched, so the next interval retries all of it.
      const error = new StoreError(
        `flush of ${batch.subjects.length} subjects, ${batch.sources.length} sources and ${batch.events.length} events to ${this.path} ` +
          `failed (${errorMessage(cause)}); retrying every ${this.options.flushIntervalMs} ms`,
        { cause },
      );
      waiters.reject(error);
      this.lastFlushError = error.message;
      this.options.onError?.(error);
      return error;
    } finally {
      this.lastFlushDurationMs = performance.now() - started;
    }
    // Synchronous flush: nothing can have been recorded while it ran, so everything pending is now on disk.
    this.pending.clear();
    this.transactions += 1;
    if (this.lastFlushError !== undefined) this.options.onRecovered?.();
    this.lastFlushError = undefined;
    this.lastFlushAt = (this.options.now ?? Date.now)();
    waiters.resolve();
    return undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError(`state database ${this.path} is closed`);
  }
}

/** SQLite takes a 0-byte file for a new database; for vigil it is a state file that lost its contents: refuse it. */
function refuseEmptyFile(path: string): void {
  if (existsSync(path) && statSync(path).isFile() && statSync(path).size === 0) {
    throw new StoreError(
      `state database ${path} is an empty (0-byte) file, not a vigil state database; restore a backup, or delete it to start with no state`,
    );
  }
}

/**
 * Holds an exclusive lock on `<state>.lock` for as long as the store is open, so a second vigil on the same state
 * file is refused at start instead of both writing it. SQLite's own POSIX lock is used: the kernel releases it
 * when the process dies however it dies, so there is never a stale lock to clean up.
 */
function lockStateFile(path: string): Database.Database {
  const lockPath = `${path}.lock`;
  const lock = new Database(lockPath);
  try {
    lock.pragma('busy_timeout = 0');
    lock.pragma('journal_mode = DELETE');
    lock.exec('BEGIN EXCLUSIVE');
    return lock;
  } catch (error) {
    lock.close();
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new StoreError(
        `state database ${path} is in use by another vigil process (it holds ${lockPath}); stop that one, or give this one another --state file`,
      );
    }
    throw error;
  }
}

/** A file SQLite opened read-only (permissions, a read-only mount) would fail every flush: find out with one write now. */
function proveWritable(db: Database.Database, path: string): void {
  if (path === ':memory:') return;
  try {
    db.prepare("INSERT INTO meta (key, value) VALUES ('opened_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(Date.now());
  } catch (error) {
    throw new StoreError(
      `cannot write state database ${path} (${errorMessage(error)}); check the file's and its directory's permissions and free space`,
      { cause: error },
    );
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
