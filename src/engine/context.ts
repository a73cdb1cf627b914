// One engine call's bookkeeping: the time, the events it emitted and what it changed.
// Every public engine function builds a Context, works on the state through it, and returns `finish(ctx)`.
import type { EngineEvent, EngineResult, EngineState, EventType, SubjectState } from './types.js';

export interface Context {
  readonly state: EngineState;
  readonly now: number;
  readonly events: EngineEvent[];
  /** Subjects whose state changed (or that were removed): the store's dirty set. */
  readonly changed: Set<string>;
  readonly changedSources: Set<string>;
  /** Subjects whose stateVersion was already bumped in this call: one bump per call is enough for an ETag. */
  readonly bumped: Set<string>;
  /** Subjects created in this call and not evaluated yet: their first health is an event from null. */
  readonly created: Set<SubjectState>;
  /** Renames in this call, for the store (EngineResult.renamed). */
  renamed?: { from: string; to: string; seq: number }[];
}

export function beginCall(state: EngineState, now: number): Context {
  if (!Number.isFinite(now)) throw new TypeError(`engine: now must be a finite epoch-ms number, got ${now}`);
  return { state, now, events: [], changed: new Set(), changedSources: new Set(), bumped: new Set(), created: new Set() };
}

export function finish(ctx: Context): EngineResult {
  return { events: ctx.events, changed: ctx.changed, changedSources: ctx.changedSources, renamed: ctx.renamed ?? [] };
}

/** Records a volatile change of `subject` (health ETag): bumps stateVersion once per call. */
export function markVolatileChange(ctx: Context, subject: SubjectState): void {
  const id = subject.spec.id;
  ctx.changed.add(id);
  if (!ctx.bumped.has(id)) {
    ctx.bumped.add(id);
    subject.stateVersion += 1;
  }
}

/** Emits an event with the next global sequence number and appends it to the subject's bounded history. */
export function emitEvent(ctx: Context, subject: string, type: EventType, from: string | null, to: string, reason?: string): EngineEvent {
  const event: EngineEvent = { seq: ++ctx.state.seq, at: ctx.now, subject, type, from, to };
  if (reason !== undefined) event.reason = reason;
  ctx.events.push(event);
  appendHistory(ctx.state.history, event, ctx.state.settings.eventsPerSubject);
  return event;
}

export function appendHistory(history: Map<string, EngineEvent[]>, event: EngineEvent, limit: number): void {
  let list = history.get(event.subject);
  if (!list) {
    list = [];
    history.set(event.subject, list);
  }
  list.push(event);
  const excess = list.length - Math.max(0, limit);
  if (excess > 0) list.splice(0, excess);
}
