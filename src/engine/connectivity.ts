// Connectivity signals (available / unavailable), kept apart from health: they never change it.
import { markContact, setConnectivity } from './connectivity-state.js';
import { beginCall, finish, markVolatileChange } from './context.js';
import { reevaluate } from './evaluate.js';
import { notFound, optionalDuration, requireName } from './validate.js';
import { EngineError } from './types.js';
import type { ConnectivitySignal, EngineResult, EngineState } from './types.js';

export function applyConnectivity(state: EngineState, signal: ConnectivitySignal, now: number): EngineResult {
  const ctx = beginCall(state, now);
  if (typeof signal !== 'object' || signal === null) throw new EngineError('invalid', 'connectivity signal must be an object');
  const id = requireName(signal.subject, 'connectivity subject');
  if (signal.state !== 'available' && signal.state !== 'unavailable') {
    throw new EngineError('invalid', `connectivity ${id}: state must be available or unavailable`);
  }
  optionalDuration(signal.grace, `connectivity ${id}: grace`);
  if (signal.reason !== undefined && typeof signal.reason !== 'string')
    throw new EngineError('invalid', `connectivity ${id}: reason must be a string`);
  const subject = state.subjects.get(id);
  if (!subject) throw notFound('subject', id);

  if (signal.state === 'available') {
    markContact(ctx, subject);
  } else if ((signal.grace ?? 0) > 0 && subject.connectivity !== 'unavailable') {
    // Held for the grace; a contact inside it cancels it. A second signal does not push the first one's deadline out.
    if (!subject.pendingUnavailable) {
      subject.pendingUnavailable = { at: now + signal.grace!, ...(signal.reason !== undefined && { reason: signal.reason }) };
      markVolatileChange(ctx, subject);
    }
  } else {
    if (subject.pendingUnavailable) {
      delete subject.pendingUnavailable;
      markVolatileChange(ctx, subject);
    }
    setConnectivity(ctx, subject, 'unavailable', signal.reason);
  }
  // Evaluation schedules the pending deadline (and applies anything else due now); connectivity itself has no say in health.
  reevaluate(ctx, [id]);
  return finish(ctx);
}
