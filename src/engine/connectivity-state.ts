// Connectivity transitions shared by observations, connectivity signals and deadlines. Never touches health.
import { emitEvent, markVolatileChange, type Context } from './context.js';
import type { Connectivity, SubjectState } from './types.js';

export function setConnectivity(ctx: Context, subject: SubjectState, to: Connectivity, reason?: string): void {
  const from = subject.connectivity ?? null;
  if (from === to) return;
  subject.connectivity = to;
  subject.connectivityChangedAt = ctx.now;
  if (reason === undefined) delete subject.connectivityReason;
  else subject.connectivityReason = reason;
  // The first known value is an event (from: null) but not a change for the counter: nothing changed *from* anything.
  if (from !== null) subject.connectivityChanges += 1;
  emitEvent(ctx, subject.spec.id, 'connectivity', from, to, reason);
  markVolatileChange(ctx, subject);
}

/** Any successful communication: available now, last seen now, and a pending disconnect is forgiven. */
export function markContact(ctx: Context, subject: SubjectState): void {
  if (subject.pendingUnavailable) {
    delete subject.pendingUnavailable;
    markVolatileChange(ctx, subject);
  }
  if (subject.lastSeenAt !== ctx.now) {
    subject.lastSeenAt = ctx.now;
    markVolatileChange(ctx, subject);
  }
  setConnectivity(ctx, subject, 'available');
}

/** Applies a delayed `unavailable` whose grace has run out. */
export function applyDueUnavailability(ctx: Context, subject: SubjectState): void {
  const pending = subject.pendingUnavailable;
  if (!pending || pending.at > ctx.now) return;
  delete subject.pendingUnavailable;
  markVolatileChange(ctx, subject);
  setConnectivity(ctx, subject, 'unavailable', pending.reason);
}
