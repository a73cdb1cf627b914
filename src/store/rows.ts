// Row shapes both stores share (SQLite and PostgreSQL keep the same columns) and their mapping back to engine
// objects: events by column, states as JSON objects that must parse or the database is called corrupt.
import type { EngineEvent, EventType, SubjectState } from '../engine/types.js';
import { corruptDatabase, errorMessage } from './errors.js';
import { decodeSubject, isCompactSubject } from './subject-row.js';

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
  return asObject<T>(parseJson(row, what, location), row, what, location);
}

function asObject<T extends object>(value: unknown, row: StateRow, what: string, location: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw corruptDatabase(location, `${what} ${JSON.stringify(row.key)} is not a JSON object`);
  }
  return value as T;
}

/** A subject row in either form (subject-row.ts), checked to hold the subject it is stored under. */
export function parseSubject(row: StateRow, location: string): SubjectState {
  const value = parseJson(row, 'subject', location);
  let subject: SubjectState;
  if (isCompactSubject(value)) {
    try {
      subject = decodeSubject(value);
    } catch (error) {
      throw corruptDatabase(location, `subject ${JSON.stringify(row.key)} is not a readable subject row (${errorMessage(error)})`, error);
    }
  } else {
    subject = asObject<SubjectState>(value, row, 'subject', location);
  }
  if (subject.spec?.id !== row.key) throw corruptDatabase(location, `subject row ${JSON.stringify(row.key)} holds another subject's state`);
  return subject;
}

function parseJson(row: StateRow, what: string, location: string): unknown {
  try {
    return JSON.parse(row.state);
  } catch (error) {
    throw corruptDatabase(location, `${what} ${JSON.stringify(row.key)} is not valid JSON`, error);
  }
}
