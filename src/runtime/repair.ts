// Start-up repair of stored state: a time past the sane window (a year-9999 result written before the window was
// enforced) or a duration past the maximum would pin a check or break every read. Such values are brought back
// into bounds once, here, and the subjects rewritten; everything written since passes the same bounds at the edge.
import type { EngineEvent, SubjectState } from '../engine/types.js';
import { MAX_DURATION_MS, clampTime } from '../util/bounds.js';

/** Field names holding epoch-ms times in stored subjects, checks, metadata, manipulations and events. */
const TIME_KEY = /(At|Since|^at|^nextDeadline)$/;
/**
 * Field names holding durations (ms) that clients set (a pushed period, a lag). Not the subject's own timeouts:
 * sources may set those beyond the client bound on purpose (Octopus keeps a disabled machine from "appearing").
 */
const DURATION_KEYS = new Set(['period', 'maxAge', 'lag', 'overhead', 'accuracy', 'pushPeriod']);

/** Clamps every out-of-bounds time to `now` and every over-long duration to the maximum; returns the repaired subject ids. */
export function repairStoredState(subjects: SubjectState[], history: EngineEvent[], now: number): Set<string> {
  const repaired = new Set<string>();
  for (const subject of subjects) if (repairValue(subject, now)) repaired.add(subject.spec.id);
  for (const event of history) repairValue(event, now);
  return repaired;
}

/** What a field holds, by its name; kept per name, since a restart meets the same few dozen names millions of times. */
type FieldKind = 'time' | 'duration' | 'other';
const kinds = new Map<string, FieldKind>();
function kindOf(key: string): FieldKind {
  let kind = kinds.get(key);
  if (kind === undefined) {
    kind = TIME_KEY.test(key) ? 'time' : DURATION_KEYS.has(key) ? 'duration' : 'other';
    if (kinds.size < 10_000) kinds.set(key, kind); // names are the state's own, plus check and metadata names
  }
  return kind;
}

function repairValue(value: unknown, now: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  let changed = false;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const field = record[key];
    if (typeof field === 'number') {
      const kind = kindOf(key);
      const fixed = kind === 'time' ? clampTime(field, now) : kind === 'duration' ? clampDuration(field) : field;
      if (fixed !== field) {
        record[key] = fixed;
        changed = true;
      }
    } else if (typeof field === 'object' && field !== null) {
      changed = repairValue(field, now) || changed;
    }
  }
  return changed;
}

const clampDuration = (ms: number): number => (Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_DURATION_MS) : MAX_DURATION_MS);
