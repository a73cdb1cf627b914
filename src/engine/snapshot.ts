// Copies of the subjects an engine call may change, so a call whose outcome cannot be kept (its commit failed, or it
// threw half-way) is undone exactly: the subjects, their event history and the source states go back as they were.
import { rebuildDeadlines } from './deadlines.js';
import { rebuildDependents } from './spec.js';
import type { EngineEvent, EngineState, SourceState, SubjectState } from './types.js';

export interface Snapshot {
  /** Subject id → its state before the call, or undefined when it did not exist. */
  subjects: Map<string, SubjectState | undefined>;
  history: Map<string, EngineEvent[] | undefined>;
  sources: Map<string, SourceState>;
}

/**
 * Copies `ids` and, transitively, every subject depending on them: an engine call re-evaluates those dependants,
 * so they are the whole of what it can change besides sources and the sequence counter (never handed out twice).
 */
export function snapshotSubjects(state: EngineState, ids: Iterable<string>): Snapshot {
  const covered = new Set<string>();
  const pending = [...ids];
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (covered.has(id)) continue;
    covered.add(id);
    pending.push(...(state.dependents.get(id) ?? []));
  }
  const subjects = new Map<string, SubjectState | undefined>();
  const history = new Map<string, EngineEvent[] | undefined>();
  for (const id of covered) {
    const subject = state.subjects.get(id);
    subjects.set(id, subject && copyPlainData(subject));
    history.set(id, state.history.get(id)?.slice());
  }
  return { subjects, history, sources: structuredClone(state.sources) };
}

/**
 * A deep copy of plain JSON-like data (objects, arrays, primitives), which is what subject states are (types.ts).
 * Several times cheaper than structuredClone, which every API write pays for each subject it touches.
 */
export function copyPlainData<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyPlainData) as T;
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = copyPlainData(value[key]);
  return copy as T;
}

/** Puts the snapshot back; returns the ids it restored (the store must rewrite or delete their rows). */
export function restoreSnapshot(state: EngineState, snapshot: Snapshot): Set<string> {
  for (const [id, subject] of snapshot.subjects) {
    if (subject) state.subjects.set(id, subject);
    else state.subjects.delete(id);
  }
  for (const [id, events] of snapshot.history) {
    if (events) state.history.set(id, events);
    else state.history.delete(id);
  }
  state.sources.clear();
  for (const [name, source] of snapshot.sources) state.sources.set(name, source);
  rebuildDependents(state);
  rebuildDeadlines(state);
  return new Set(snapshot.subjects.keys());
}
