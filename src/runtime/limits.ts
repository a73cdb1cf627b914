// Bounds on what clients can make vigil hold, in one place: how many subjects, checks per subject and metadata keys
// per subject writes may create, and how many event streams may be open with how much unsent data each. The API
// and the agents' websocket check the same limits; the config (`api:`) sets them.
import { EngineError, type EngineState } from '../engine/types.js';

export interface Limits {
  /** Subjects in total; a write that would create one more is refused. */
  maxSubjects: number;
  maxChecksPerSubject: number;
  maxMetadataPerSubject: number;
  /** Open SSE streams and waiting long-polls together; more answer 503. */
  maxStreams: number;
  /** Bytes a stream may have unsent (a client not reading); past it the stream is closed and the client resumes. */
  streamBufferBytes: number;
  /** A stream whose client reads nothing of its backlog for this long is closed (it resumes with Last-Event-ID). */
  streamStallMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxSubjects: 10_000,
  maxChecksPerSubject: 200,
  maxMetadataPerSubject: 100,
  maxStreams: 256,
  streamBufferBytes: 1024 * 1024,
  streamStallMs: 30_000,
};

/** What a write would add: a subject, a check of it, a metadata key of it. */
export interface WriteFootprint {
  subject: string;
  check?: string;
  metadataKey?: string;
}

/** Throws a conflict naming the config key when the writes would create more than the limits allow; existing entries are always fine. */
export function refuseBeyondLimits(state: EngineState, limits: Limits, writes: readonly WriteFootprint[]): void {
  const newSubjects = new Set<string>();
  const newChecks = new Map<string, Set<string>>();
  const newKeys = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, subject: string, name: string) => {
    let set = map.get(subject);
    if (!set) map.set(subject, (set = new Set()));
    set.add(name);
  };
  for (const write of writes) {
    const subject = state.subjects.get(write.subject);
    if (!subject) newSubjects.add(write.subject);
    if (write.check !== undefined && !subject?.checks[write.check]) add(newChecks, write.subject, write.check);
    if (write.metadataKey !== undefined && !subject?.metadata[write.metadataKey]) add(newKeys, write.subject, write.metadataKey);
  }
  if (newSubjects.size > 0 && state.subjects.size + newSubjects.size > limits.maxSubjects) {
    throw new EngineError(
      'conflict',
      `vigil holds ${state.subjects.size} subjects and its limit is ${limits.maxSubjects} (api.max_subjects); ` +
        'delete unused subjects or raise the limit',
    );
  }
  for (const [id, checks] of newChecks) {
    const held = Object.keys(state.subjects.get(id)?.checks ?? {}).length;
    if (held + checks.size > limits.maxChecksPerSubject) {
      throw new EngineError(
        'conflict',
        `subject "${id}" would have ${held + checks.size} checks; the limit is ${limits.maxChecksPerSubject} (api.max_checks_per_subject)`,
      );
    }
  }
  for (const [id, keys] of newKeys) {
    const held = Object.keys(state.subjects.get(id)?.metadata ?? {}).length;
    if (held + keys.size > limits.maxMetadataPerSubject) {
      throw new EngineError(
        'conflict',
        `subject "${id}" would have ${held + keys.size} metadata keys; the limit is ${limits.maxMetadataPerSubject} (api.max_metadata_per_subject)`,
      );
    }
  }
}
