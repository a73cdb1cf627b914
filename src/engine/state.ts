// Creating the engine state, empty or from what the store persisted.
import { appendHistory } from './context.js';
import { rebuildDeadlines } from './deadlines.js';
import { rebuildDependents } from './spec.js';
import type { EngineEvent, EngineSettings, EngineState, SourceState, SubjectState } from './types.js';

export function createState(settings: EngineSettings): EngineState {
  return {
    settings: { ...settings },
    subjects: new Map(),
    sources: new Map(),
    seq: 0,
    history: new Map(),
    dependents: new Map(),
    deadlines: [],
  };
}

/**
 * Rebuilds the state after a restart. Derived indexes (dependents, deadlines) are rebuilt, the history is
 * re-bounded under the current settings, and every subject is made due at once: the first tick re-evaluates
 * everything under the current settings and clock (what went stale while we were down, changed defaults).
 */
export function restoreState(
  settings: EngineSettings,
  subjects: SubjectState[],
  sources: SourceState[],
  seq: number,
  history: EngineEvent[],
): EngineState {
  const state = createState(settings);
  for (const subject of subjects) {
    subject.nextDeadline = 0;
    state.subjects.set(subject.spec.id, subject);
  }
  for (const source of sources) state.sources.set(source.name, source);
  let highest = seq;
  // The store hands events over in seq order already; sorting 100,000s of them again is a visible part of a restart.
  const ordered = history.every((event, i) => i === 0 || history[i - 1]!.seq <= event.seq) ? history : [...history].sort((a, b) => a.seq - b.seq);
  for (const event of ordered) {
    appendHistory(state.history, event, settings.eventsPerSubject);
    if (event.seq > highest) highest = event.seq;
  }
  // Never hand out a sequence number twice, even if the persisted counter lagged behind the events.
  state.seq = highest;
  rebuildDependents(state);
  rebuildDeadlines(state);
  return state;
}
