// Observations: a check result arrives. Updates the check's reported facts and counters, marks contact, re-evaluates.
import { resolveTiming } from './checks.js';
import { markContact } from './connectivity-state.js';
import { beginCall, finish, markVolatileChange, type Context } from './context.js';
import { reevaluate } from './evaluate.js';
import { recordRun, unreachedOutcome } from './runs.js';
import { createSubject, normaliseSpec } from './spec.js';
import { optionalDuration, requireDuration, requireName, requireTime, validateTiming } from './validate.js';
import { CHECK_STATUSES, EngineError } from './types.js';
import type { CheckState, EngineResult, EngineState, Observation, SubjectState } from './types.js';

function validateObservation(obs: Observation): void {
  if (typeof obs !== 'object' || obs === null) throw new EngineError('invalid', 'observation must be an object');
  const subject = requireName(obs.subject, 'observation subject');
  const check = requireName(obs.check, `observation ${subject}: check`);
  const what = `observation ${subject}/${check}`;
  if (!CHECK_STATUSES.includes(obs.status)) {
    throw new EngineError('invalid', `${what}: status must be one of ${CHECK_STATUSES.join(', ')}`);
  }
  requireDuration(obs.period, `${what}: period`, { positive: true });
  if (obs.observedAt !== undefined) requireTime(obs.observedAt, `${what}: observedAt`);
  optionalDuration(obs.maxAge, `${what}: maxAge`);
  if (obs.message !== undefined && typeof obs.message !== 'string') throw new EngineError('invalid', `${what}: message must be a string`);
  if (obs.source !== undefined) requireName(obs.source, `${what}: source`);
  if (obs.kind !== undefined) requireName(obs.kind, `${what}: kind`);
  if (obs.contact !== undefined && typeof obs.contact !== 'boolean') throw new EngineError('invalid', `${what}: contact must be a boolean`);
  if (obs.reached !== undefined && typeof obs.reached !== 'boolean') throw new EngineError('invalid', `${what}: reached must be a boolean`);
  validateTiming(obs.timing, `${what}: timing`);
  if (obs.metrics !== undefined) {
    if (typeof obs.metrics !== 'object' || obs.metrics === null) throw new EngineError('invalid', `${what}: metrics must be an object`);
    for (const [name, value] of Object.entries(obs.metrics)) {
      if (typeof value !== 'number') throw new EngineError('invalid', `${what}: metric ${name} must be a number`);
    }
  }
}

export function applyObservation(state: EngineState, obs: Observation, now: number): EngineResult {
  const ctx = beginCall(state, now);
  validateObservation(obs);
  reevaluate(ctx, [recordObservation(ctx, obs)]);
  return finish(ctx);
}

/**
 * A batch of observations at one time (a push API batch): each is recorded in order, as applyObservation records
 * it, and each subject they touch is evaluated once, after all of them. The batch shares one `now`, so what
 * evaluating in between would show (a check crit and then ok in the same batch) never exists at any instant; the
 * counters and run records still count every result. A batch of 1,000 results for 200 subjects costs 200
 * evaluations instead of 1,000 (bench/RESULTS.md, scale).
 */
export function applyObservations(state: EngineState, observations: readonly Observation[], now: number): EngineResult {
  const ctx = beginCall(state, now);
  // All of them first: a refused observation refuses the batch before anything changed.
  for (const obs of observations) validateObservation(obs);
  const touched = new Set<string>();
  for (const obs of observations) touched.add(recordObservation(ctx, obs));
  reevaluate(ctx, touched);
  return finish(ctx);
}

/** Records one validated observation (creating its subject when new) without evaluating; returns the subject id. */
function recordObservation(ctx: Context, obs: Observation): string {
  const { state, now } = ctx;
  let subject = state.subjects.get(obs.subject);
  if (!subject) {
    const spec = normaliseSpec({ id: obs.subject, kind: obs.kind ?? 'push', labels: {}, dependsOn: [], source: obs.source ?? 'api' });
    subject = createSubject(ctx, spec);
  }
  if (obs.reached === false) {
    // Not a result: only the run is recorded. Connectivity is the source's separate signal.
    recordRun(subject, obs.check, unreachedOutcome(state, subject, now));
  } else {
    if (obs.contact !== false) markContact(ctx, subject);
    if (recordResult(state, subject, obs, now)) recordRun(subject, obs.check, obs.status);
  }
  markVolatileChange(ctx, subject);
  return subject.spec.id;
}

/** Stores the result on its check; false when it arrived out of order and was not stored. */
function recordResult(state: EngineState, subject: SubjectState, obs: Observation, now: number): boolean {
  const previous = subject.checks[obs.check];
  // A result the source stamped older than the one we hold arrived out of order: it proves contact, nothing more.
  if (previous?.observedAt !== undefined && obs.observedAt !== undefined && obs.observedAt < previous.observedAt) return false;

  const statusChanged = previous === undefined || previous.reported !== obs.status;
  const check: CheckState = {
    name: obs.check,
    source: obs.source ?? subject.spec.source,
    reported: obs.status,
    period: obs.period,
    timing: resolveTiming(state.settings, subject.spec.timing, obs.timing),
    receivedAt: now,
    statusChangedAt: statusChanged ? (obs.observedAt ?? now) : previous.statusChangedAt,
    ...countersAfter(previous, obs),
    // Derived fields: placeholders until evaluation, which runs in the same call.
    expiresAt: previous?.expiresAt ?? now,
    effectiveAt: previous?.effectiveAt ?? now,
    status: previous?.status ?? obs.status,
    counted: previous?.counted ?? false,
    dropped: false,
  };
  if (previous?.notCountedReason !== undefined) check.notCountedReason = previous.notCountedReason;
  if (previous?.notCounted !== undefined) check.notCounted = previous.notCounted;
  if (obs.message !== undefined) check.message = obs.message;
  if (obs.maxAge !== undefined) check.maxAge = obs.maxAge;
  if (obs.observedAt !== undefined) check.observedAt = obs.observedAt;
  if (obs.metrics !== undefined) check.metrics = { ...obs.metrics };
  subject.checks[obs.check] = check;
  return true;
}

/** crit → failures+1, successes 0; ok or warn → successes+1, failures 0; unknown says nothing, so both restart at 0. */
function countersAfter(previous: CheckState | undefined, obs: Observation): Pick<CheckState, 'consecutiveFailures' | 'consecutiveSuccesses'> {
  switch (obs.status) {
    case 'crit':
      return { consecutiveFailures: (previous?.consecutiveFailures ?? 0) + 1, consecutiveSuccesses: 0 };
    case 'ok':
    case 'warn':
      return { consecutiveFailures: 0, consecutiveSuccesses: (previous?.consecutiveSuccesses ?? 0) + 1 };
    case 'unknown':
      return { consecutiveFailures: 0, consecutiveSuccesses: 0 };
  }
}
