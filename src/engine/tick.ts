// Time-driven changes: staleness, end of start-up grace, appearance timeouts, settle lags, delayed disconnects,
// source loss. A tick only touches subjects whose deadline has come.
import { beginCall, finish } from './context.js';
import { peekDeadline, takeDue } from './deadlines.js';
import { reevaluate } from './evaluate.js';
import { dropDueSources, earliestSourceDrop } from './sources.js';
import type { EngineResult, EngineState } from './types.js';

export function tick(state: EngineState, now: number): EngineResult {
  const ctx = beginCall(state, now);
  dropDueSources(ctx);
  reevaluate(ctx, takeDue(state, now));
  return finish(ctx);
}

/** The earliest time at which a tick can change anything, or undefined when only new input can. */
export function nextDeadline(state: EngineState): number | undefined {
  const subjectDeadline = peekDeadline(state);
  const sourceDeadline = earliestSourceDrop(state);
  if (subjectDeadline === undefined) return sourceDeadline;
  if (sourceDeadline === undefined) return subjectDeadline;
  return Math.min(subjectDeadline, sourceDeadline);
}
