// What the runtime needs from a state store, whichever database is behind it.
//
// `Store` (SQLite, the embedded default) and `PostgresStore` (shared by replicas) both satisfy this shape; the
// runtime, the API and the self-monitor code against it and never against one of them.
import type { EngineEvent, EngineResult, EngineState } from '../engine/types.js';
import type { MaintenanceWindow } from '../maintenance/windows.js';
import type { LoadOptions, LoadedState, StoreStats } from './store.js';

export type { LoadOptions, LoadedState, StoreOptions, StoreStats } from './store.js';

export interface StateStore {
  /**
   * State as it was when the store was opened (subjects, sources, seq, retained events). `history: false`: the
   * caller reads events with eventsAfter, so a store may leave them in the database (SQLite does).
   */
  load(options?: LoadOptions): LoadedState;
  /** The state the flush reads current subject and source rows from. */
  attach(state: EngineState): void;
  /** Marks `result.changed` dirty and queues `result.events`. No I/O. */
  record(result: EngineResult): void;
  /** Drops queued events of a write that was undone (its commit failed): they must never be stored. */
  withdraw(events: readonly EngineEvent[]): void;
  /**
   * Resolves once everything recorded before the call is durable; rejects if that flush failed. `soon`: a client
   * waits for the answer (an API write), so a store may flush before its interval (SQLite: after this turn).
   */
  commit(soon?: boolean): Promise<void>;
  /** Flushed events with seq > `seq`, ascending. */
  eventsAfter(seq: number, limit: number, subject?: string): EngineEvent[] | Promise<EngineEvent[]>;
  stats(): StoreStats;
  /** API-added maintenance windows as they were when the store was opened. */
  loadMaintenance(): MaintenanceWindow[];
  /** Stores a window outside the group commit; durable once it returns (SQLite) or resolves (PostgreSQL). */
  saveMaintenance(window: MaintenanceWindow): void | Promise<void>;
  deleteMaintenance(id: string): void | Promise<void>;
  /** Final flush, then closes; throws (or rejects) if that flush failed. */
  close(): void | Promise<void>;
}

/** `state: postgres://…` or `postgresql://…` selects PostgreSQL; anything else is a SQLite file path. */
export function isPostgresUrl(state: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(state);
}
