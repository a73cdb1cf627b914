// Metadata (ID-keyed facts per subject) and manipulations (reboot, repair, ...): annotations set by sources or the API.
import { beginCall, finish, markVolatileChange } from './context.js';
import { reevaluate } from './evaluate.js';
import { notFound, requireName, requireTime } from './validate.js';
import { EngineError } from './types.js';
import type { EngineResult, EngineState, MetadataLevel } from './types.js';

const METADATA_LEVELS: readonly MetadataLevel[] = ['info', 'warning', 'error'];

export function setMetadata(
  state: EngineState,
  subjectId: string,
  key: string,
  entry: { level: MetadataLevel; message: string; value?: number },
  now: number,
): EngineResult {
  const ctx = beginCall(state, now);
  requireName(key, 'metadata key');
  if (typeof entry !== 'object' || entry === null) throw new EngineError('invalid', `metadata ${key} must be an object`);
  if (!METADATA_LEVELS.includes(entry.level)) throw new EngineError('invalid', `metadata ${key}: level must be one of ${METADATA_LEVELS.join(', ')}`);
  if (typeof entry.message !== 'string') throw new EngineError('invalid', `metadata ${key}: message must be a string`);
  if (entry.value !== undefined && (typeof entry.value !== 'number' || !Number.isFinite(entry.value))) {
    throw new EngineError('invalid', `metadata ${key}: value must be a finite number`);
  }
  const subject = state.subjects.get(subjectId);
  if (!subject) throw notFound('subject', subjectId);

  const previous = subject.metadata[key];
  // Re-setting the same entry is not a change: a fleet re-reporting unchanged facts causes no writes.
  if (previous && previous.level === entry.level && previous.message === entry.message && previous.value === entry.value) {
    return finish(ctx);
  }
  subject.metadata[key] = { level: entry.level, message: entry.message, ...(entry.value !== undefined && { value: entry.value }), updatedAt: now };
  markVolatileChange(ctx, subject);
  reevaluate(ctx, [subjectId]);
  return finish(ctx);
}

/** Deleting a key that is not there is a no-op (idempotent), but the subject must exist. */
export function deleteMetadata(state: EngineState, subjectId: string, key: string, now: number): EngineResult {
  const ctx = beginCall(state, now);
  const subject = state.subjects.get(subjectId);
  if (!subject) throw notFound('subject', subjectId);
  if (!(key in subject.metadata)) return finish(ctx);
  delete subject.metadata[key];
  markVolatileChange(ctx, subject);
  reevaluate(ctx, [subjectId]);
  return finish(ctx);
}

export function recordManipulation(
  state: EngineState,
  subjectId: string,
  input: { manipulation: string; startedAt?: number; endedAt?: number },
  now: number,
): EngineResult {
  const ctx = beginCall(state, now);
  if (typeof input !== 'object' || input === null) throw new EngineError('invalid', 'manipulation must be an object');
  const name = requireName(input.manipulation, 'manipulation');
  const startedAt = input.startedAt === undefined ? now : requireTime(input.startedAt, `manipulation ${name}: startedAt`);
  const endedAt = input.endedAt === undefined ? Math.max(now, startedAt) : requireTime(input.endedAt, `manipulation ${name}: endedAt`);
  if (endedAt < startedAt) throw new EngineError('invalid', `manipulation ${name}: endedAt is before startedAt`);
  // A manipulation is reported once it has ended: an end in the future would hide every result until then.
  if (endedAt > now) {
    throw new EngineError(
      'invalid',
      `manipulation ${name}: ${input.endedAt === undefined ? 'startedAt' : 'endedAt'} ${new Date(endedAt).toISOString()} ` +
        `is in the future (now ${new Date(now).toISOString()}); report a manipulation when it has ended`,
    );
  }
  const subject = state.subjects.get(subjectId);
  if (!subject) throw notFound('subject', subjectId);
  // One record per manipulation name (the latest one reported); counting uses the latest end over all of them.
  subject.manipulations[name] = { manipulation: name, startedAt, endedAt };
  markVolatileChange(ctx, subject);
  reevaluate(ctx, [subjectId]);
  return finish(ctx);
}
