// What a store has been told and not yet written: dirty subject and source rows, queued events and renames. Both
// stores (SQLite, PostgreSQL) group-commit the same way; only how they write differs, so this part lives once.
import type { EngineEvent, EngineResult } from '../engine/types.js';

export type Renames = NonNullable<EngineResult['renamed']>;

/** A snapshot of pending changes, taken for one flush. */
export interface PendingBatch {
  subjects: string[];
  sources: string[];
  events: EngineEvent[];
  renames: Renames;
}

export class PendingChanges {
  private subjects = new Set<string>();
  private sources = new Set<string>();
  private events: EngineEvent[] = [];
  private renames: Renames = [];

  /** Marks `result.changed` and `result.changedSources` dirty and queues its events and renames. */
  add(result: EngineResult): void {
    for (const id of result.changed) this.subjects.add(id);
    for (const name of result.changedSources ?? []) this.sources.add(name);
    for (const event of result.events) this.events.push(event);
    for (const rename of result.renamed ?? []) this.renames.push(rename);
  }

  /** Drops queued events of a write that was undone: they must never reach the disk. */
  withdraw(events: readonly EngineEvent[]): void {
    if (events.length === 0) return;
    const seqs = new Set(events.map((event) => event.seq));
    this.events = this.events.filter((event) => !seqs.has(event.seq));
  }

  /** Drops the rows and events of subjects that are no longer this store's to write; true when anything went. */
  forget(gone: ReadonlySet<string>): boolean {
    let dropped = false;
    for (const id of gone) dropped = this.subjects.delete(id) || dropped;
    const events = this.events.filter((event) => !gone.has(event.subject));
    dropped ||= events.length !== this.events.length;
    this.events = events;
    return dropped;
  }

  get empty(): boolean {
    return this.subjects.size === 0 && this.sources.size === 0 && this.events.length === 0 && this.renames.length === 0;
  }

  get subjectCount(): number {
    return this.subjects.size;
  }

  /** What is pending now, without clearing it (a synchronous flush clears only once it succeeded). */
  peek(): PendingBatch {
    return { subjects: [...this.subjects], sources: [...this.sources], events: this.events, renames: this.renames };
  }

  clear(): void {
    this.subjects = new Set();
    this.sources = new Set();
    this.events = [];
    this.renames = [];
  }

  /** Takes everything pending (an asynchronous flush: later changes belong to the next one). */
  take(): PendingBatch {
    const batch = this.peek();
    this.clear();
    return batch;
  }

  /** Puts a failed flush's batch back: rows re-marked, events and renames in front of newer ones. */
  putBack(batch: PendingBatch): void {
    for (const id of batch.subjects) this.subjects.add(id);
    for (const name of batch.sources) this.sources.add(name);
    this.events = [...batch.events, ...this.events];
    this.renames = [...batch.renames, ...this.renames];
  }
}
