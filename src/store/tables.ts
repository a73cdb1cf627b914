// The SQL side of the store: prepared statements, row ↔ object mapping, and the one-transaction flush.
// Subjects are stored in their compact form (subject-row.ts), sources as JSON of the engine's plain objects; events
// get columns so they can be queried by seq and subject.
import type Database from 'better-sqlite3';
import type { EngineEvent, SourceState, SubjectState } from '../engine/types.js';
import { corruptDatabase } from './errors.js';
import { parseState, parseSubject, toEvent, type EventRow, type StateRow } from './rows.js';
import { encodeSubject } from './subject-row.js';

/** What one flush writes: rows to upsert or delete, events to append. */
export interface FlushBatch {
  subjects: { id: string; state: SubjectState | undefined }[];
  sources: { name: string; state: SourceState | undefined }[];
  events: EngineEvent[];
  /** Subject renames, in order: events up to `seq` move from the old id to the new one. */
  renames: { from: string; to: string; seq: number }[];
  seq: number;
  eventsPerSubject: number;
  /**
   * Subjects whose stored history may now exceed `eventsPerSubject` (the engine's in-memory history, which mirrors
   * the table, is full). Without it every subject with new events is pruned; a new subject never needs it.
   */
  mayExceed?: (subject: string) => boolean;
}

export class Tables {
  private readonly upsertSubject;
  private readonly deleteSubject;
  private readonly deleteSubjectEvents;
  private readonly upsertSource;
  private readonly deleteSource;
  private readonly insertEvent;
  private readonly pruneSubjectEvents;
  private readonly renameSubjectEvents;
  private readonly raiseSeq;
  private readonly selectEventsAfter;
  private readonly selectSubjectEventsAfter;
  private readonly flushTransaction;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {
    this.upsertSubject = db.prepare<[string, string]>(
      'INSERT INTO subjects (id, state) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state',
    );
    this.deleteSubject = db.prepare<[string]>('DELETE FROM subjects WHERE id = ?');
    this.deleteSubjectEvents = db.prepare<[string]>('DELETE FROM events WHERE subject = ?');
    this.upsertSource = db.prepare<[string, string]>(
      'INSERT INTO sources (name, state) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET state = excluded.state',
    );
    this.deleteSource = db.prepare<[string]>('DELETE FROM sources WHERE name = ?');
    // OR REPLACE: an event seq seen twice must not wedge every later flush; the newer copy wins.
    this.insertEvent = db.prepare<[number, number, string, string, string | null, string, string | null, string | null]>(
      'INSERT OR REPLACE INTO events (seq, at, subject, type, from_state, to_state, reason, maintenance) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    // Keeps the newest `limit` events of a subject: everything older than the limit-th newest goes.
    this.pruneSubjectEvents = db.prepare<{ subject: string; keep: number }>(
      `DELETE FROM events WHERE subject = @subject AND seq < (
         SELECT seq FROM events WHERE subject = @subject ORDER BY seq DESC LIMIT 1 OFFSET @keep - 1)`,
    );
    this.renameSubjectEvents = db.prepare<{ from: string; to: string; seq: number }>(
      'UPDATE events SET subject = @to WHERE subject = @from AND seq <= @seq',
    );
    // max(): the global sequence never goes backwards, whatever a caller hands in.
    this.raiseSeq = db.prepare<[number]>("UPDATE meta SET value = max(value, ?) WHERE key = 'seq'");
    this.selectEventsAfter = db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?');
    this.selectSubjectEventsAfter = db.prepare<[string, number, number], EventRow>(
      'SELECT * FROM events WHERE subject = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.flushTransaction = db.transaction((batch: FlushBatch) => this.writeBatch(batch));
  }

  /** Writes the whole batch in one IMMEDIATE transaction; returns the number of rows written or deleted. */
  flush(batch: FlushBatch): number {
    return this.flushTransaction.immediate(batch);
  }

  private writeBatch(batch: FlushBatch): number {
    let rows = 0;
    for (const { name, state } of batch.sources) {
      rows += state ? this.upsertSource.run(name, JSON.stringify(state)).changes : this.deleteSource.run(name).changes;
    }
    for (const event of batch.events) {
      rows += this.insertEvent.run(
        event.seq,
        event.at,
        event.subject,
        event.type,
        event.from,
        event.to,
        event.reason ?? null,
        event.maintenance ?? null,
      ).changes;
    }
    // History follows a renamed subject; after the events above, before the old id's row (and events) are deleted.
    for (const rename of batch.renames) rows += this.renameSubjectEvents.run(rename).changes;
    for (const { id, state } of batch.subjects) {
      if (state) {
        rows += this.upsertSubject.run(id, encodeSubject(state)).changes;
      } else {
        // A removed subject takes its history with it, so churning ids cannot grow the events table without bound.
        rows += this.deleteSubject.run(id).changes + this.deleteSubjectEvents.run(id).changes;
      }
    }
    const deleted = new Set(batch.subjects.filter((subject) => !subject.state).map((subject) => subject.id));
    const withNewEvents = new Set([...batch.events.map((event) => event.subject), ...batch.renames.map((rename) => rename.to)]);
    for (const subject of withNewEvents) {
      if (deleted.has(subject) || batch.mayExceed?.(subject) === false) continue;
      rows += this.pruneSubjectEvents.run({ subject, keep: Math.max(1, batch.eventsPerSubject) }).changes;
    }
    rows += this.raiseSeq.run(batch.seq).changes;
    return rows;
  }

  loadSubjects(): SubjectState[] {
    const subjects: SubjectState[] = [];
    // Row by row, not all(): the JSON text of 100,000 subjects need not be held at once beside what it parses into.
    for (const row of this.db.prepare('SELECT id AS key, state FROM subjects ORDER BY id').iterate() as IterableIterator<StateRow>) {
      subjects.push(parseSubject(row, this.path));
    }
    return subjects;
  }

  loadSources(): SourceState[] {
    const rows = this.db.prepare('SELECT name AS key, state FROM sources ORDER BY name').all() as StateRow[];
    return rows.map((row) => this.parse<SourceState>(row, 'source'));
  }

  loadSeq(): number {
    const value = this.db.prepare("SELECT value FROM meta WHERE key = 'seq'").pluck().get();
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw corruptDatabase(this.path, `meta.seq is ${String(value)}`);
    return value;
  }

  loadEvents(): EngineEvent[] {
    return (this.db.prepare('SELECT * FROM events ORDER BY seq').all() as EventRow[]).map(toEvent);
  }

  eventsAfter(seq: number, limit: number, subject?: string): EngineEvent[] {
    const rows = subject === undefined ? this.selectEventsAfter.all(seq, limit) : this.selectSubjectEventsAfter.all(subject, seq, limit);
    return rows.map(toEvent);
  }

  private parse<T extends object>(row: StateRow, what: string): T {
    return parseState<T>(row, what, this.path);
  }
}
