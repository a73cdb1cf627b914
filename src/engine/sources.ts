// Source status and source loss: a source unreachable for `sourceDropAfter` has its checks dropped (hidden, not
// counted) so dashboards show "no data" instead of old colours. A new observation of a check brings it back.
import { beginCall, finish, markVolatileChange, type Context } from './context.js';
import { reevaluate } from './evaluate.js';
import { requireName } from './validate.js';
import { EngineError } from './types.js';
import type { EngineResult, EngineState, SourceState } from './types.js';

export function applySourceStatus(state: EngineState, name: string, status: { up: boolean; reason?: string }, now: number): EngineResult {
  const ctx = beginCall(state, now);
  requireName(name, 'source name');
  if (typeof status !== 'object' || status === null || typeof status.up !== 'boolean') {
    throw new EngineError('invalid', `source ${name}: up must be a boolean`);
  }
  if (status.reason !== undefined && typeof status.reason !== 'string') throw new EngineError('invalid', `source ${name}: reason must be a string`);
  let source = state.sources.get(name);
  if (!source) {
    source = { name, up: status.up, errors: {} };
    state.sources.set(name, source);
  }
  if (status.up) {
    source.up = true;
    source.lastSuccessAt = now;
    delete source.downSince;
    delete source.droppedAt;
    delete source.lastError;
  } else {
    source.up = false;
    source.downSince ??= now;
    const reason = status.reason ?? 'unknown';
    source.errors[reason] = (source.errors[reason] ?? 0) + 1;
    source.lastError = reason;
  }
  ctx.changedSources.add(name);
  dropDueSources(ctx);
  return finish(ctx);
}

/** When a down source's checks are due to be dropped, or undefined (up, or already dropped). */
export function sourceDropDeadline(state: EngineState, source: SourceState): number | undefined {
  if (source.up || source.downSince === undefined || source.droppedAt !== undefined) return undefined;
  return source.downSince + state.settings.sourceDropAfter;
}

export function earliestSourceDrop(state: EngineState): number | undefined {
  let earliest: number | undefined;
  for (const source of state.sources.values()) {
    const at = sourceDropDeadline(state, source);
    if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
  }
  return earliest;
}

/**
 * Drops the checks of every source whose drop deadline has passed. Checks received at or after the drop moment are
 * newer than the loss and stay. This walks all subjects, but only once per source outage.
 */
export function dropDueSources(ctx: Context): void {
  const { state, now } = ctx;
  for (const source of state.sources.values()) {
    const dropAt = sourceDropDeadline(state, source);
    if (dropAt === undefined || dropAt > now) continue;
    source.droppedAt = now;
    ctx.changedSources.add(source.name);
    const affected: string[] = [];
    for (const [id, subject] of state.subjects) {
      let touched = false;
      for (const check of Object.values(subject.checks)) {
        if (check.source !== source.name || check.dropped || check.receivedAt >= dropAt) continue;
        check.dropped = true;
        touched = true;
      }
      if (touched) {
        markVolatileChange(ctx, subject);
        affected.push(id);
      }
    }
    reevaluate(ctx, affected);
  }
}
