// Hand-made clocks and builders for engine tests. Times are epoch ms from a fixed origin.
import * as engine from '../../src/engine/index.js';
import type { EngineEvent, EngineResult, EngineSettings, EngineState, Observation, SubjectSpec, SubjectState } from '../../src/engine/index.js';
import { TEST_SETTINGS } from '../helpers/settings.js';

export const S = 1_000;
export const M = 60 * S;
export const H = 60 * M;
export const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

/** The tests' settings (no start-up grace, so most tests see real health at once) with `overrides`. */
export function settings(overrides: Partial<EngineSettings> = {}): EngineSettings {
  return { ...TEST_SETTINGS, ...overrides };
}

export function spec(id: string, extra: Partial<SubjectSpec> = {}): SubjectSpec {
  return { id, kind: 'host', labels: {}, dependsOn: [], source: 'config', ...extra };
}

export function observation(subject: string, check: string, status: Observation['status'], extra: Partial<Observation> = {}): Observation {
  return { subject, check, status, period: 10 * S, ...extra };
}

/** A manual clock: `at(ms)` sets it, `advance(ms)` moves it, `now` reads it. */
export class Clock {
  now: number;
  constructor(start = T0) {
    this.now = start;
  }
  advance(ms: number): number {
    this.now += ms;
    return this.now;
  }
}

export function subject(state: EngineState, id: string): SubjectState {
  const found = state.subjects.get(id);
  if (!found) throw new Error(`test: subject ${id} does not exist`);
  return found;
}

export function eventsOf(result: EngineResult, type: EngineEvent['type'], subjectId?: string): EngineEvent[] {
  return result.events.filter((e) => e.type === type && (subjectId === undefined || e.subject === subjectId));
}

/** Collects every event of a sequence of calls. */
export class Recorder {
  readonly events: EngineEvent[] = [];
  record(result: EngineResult): EngineResult {
    this.events.push(...result.events);
    return result;
  }
  ofType(type: EngineEvent['type'], subjectId?: string): EngineEvent[] {
    return this.events.filter((e) => e.type === type && (subjectId === undefined || e.subject === subjectId));
  }
}

export { engine };
