// Row shapes both stores share (SQLite and PostgreSQL keep the same columns) and their mapping back to engine
// objects: events by column, states as JSON objects that must parse or the database is called corrupt.
import type { EngineEvent, EventType } from '../engine/types.js';
import { corruptDatabase } from './errors.js';

export interface EventRow {
  seq: number;
  at: number;
  subject: string;
  type: string;
  from_state: string | null;
  to_state: string;
  reason: string | null;
  maintenance: string | null;
}

export interface StateRow {
  key: string;
  state: string;
}

export function toEvent(row: EventRow): EngineEvent {
  const event: EngineEvent = { seq: row.seq, at: row.at, subject: row.subject, type: row.type as EventType, from: row.from_state, to: row.to_state };
  if (row.reason !== null) event.reason = row.reason;
  if (row.maintenance !== null) event.maintenance = row.maintenance;
  return event;
}

/** The JSON object a state row holds; `what` and `location` name it in the corruption error. */
export function parseState<T extends object>(row: StateRow, what: string, location: string): T {
  let value: unknown;
  try {
    value = JSON.parse(row.state);
  } catch (error) {
    throw corruptDatabase(location, `${what} ${JSON.stringify(row.key)} is not valid JSON`, error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw corruptDatabase(location, `${what} ${JSON.stringify(row.key)} is not a JSON object`);
  }
  return value as T;
}
