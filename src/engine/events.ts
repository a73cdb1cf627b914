// Events a source reports about a subject that the engine does not derive itself: practable's booking
// availability (docs/health-model.md, events). They get a global seq and join the subject's bounded history like any other.
import { beginCall, emitEvent, finish } from './context.js';
import { notFound, requireName } from './validate.js';
import { EngineError } from './types.js';
import type { EngineResult, EngineState, EventType } from './types.js';

/** Event types a source may record; health, connectivity and warnings come only from the engine's own evaluation. */
const SOURCE_EVENT_TYPES: readonly EventType[] = ['availability'];

export function recordSourceEvent(
  state: EngineState,
  event: { subject: string; type: EventType; from: string | null; to: string; reason?: string },
  now: number,
): EngineResult {
  const ctx = beginCall(state, now);
  const id = requireName(event.subject, 'event subject');
  if (!SOURCE_EVENT_TYPES.includes(event.type)) throw new EngineError('invalid', `event ${id}: type must be one of ${SOURCE_EVENT_TYPES.join(', ')}`);
  requireName(event.to, `event ${id}: to`);
  if (event.from !== null) requireName(event.from, `event ${id}: from`);
  if (!state.subjects.has(id)) throw notFound('subject', id);
  emitEvent(ctx, id, event.type, event.from, event.to, event.reason);
  return finish(ctx);
}
