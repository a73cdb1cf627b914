// Run records: every run of a check, reached or not, numbered per check, with the number of the latest run of
// each outcome. Alert rules derive any "consecutive runs whose outcome is one of …" count from them exactly:
// runs_total − (number of the latest run whose outcome is not in the list). The result counters of CheckState
// (consecutiveFailures/Successes) stay as they were: results only, unreached runs are not results.
import type { EngineState, RunOutcome, RunRecord, SubjectState } from './types.js';

export function recordRun(subject: SubjectState, check: string, outcome: RunOutcome): void {
  subject.runs ??= {};
  const record: RunRecord = subject.runs[check] ?? { total: 0, last: {} };
  record.total += 1;
  record.last[outcome] = record.total;
  subject.runs[check] = record;
}

/**
 * The outcome of a run that did not reach the subject: `unreachable`, or `unknown` while one of its dependencies
 * is down (unavailable, not healthy or still settling). Behind a dead switch a host's silence says nothing about
 * the host, so it neither starts nor extends a streak: one outage, one alert (the switch's).
 */
export function unreachedOutcome(state: EngineState, subject: SubjectState, now: number): RunOutcome {
  if (dependencyDown(state, subject)) return 'unknown';
  // Still settling after a recovery (the dependency lag of docs/health-model.md): its dependants' silence may be its own.
  for (const dependency of subject.spec.dependsOn) {
    const other = state.subjects.get(dependency.id);
    if (other !== undefined && now - other.healthChangedAt <= dependency.lag) return 'unknown';
  }
  return 'unreachable';
}

/** Whether a dependency of `subject` is missing, not healthy, or cannot be reached (or is about to be declared so). */
export function dependencyDown(state: EngineState, subject: SubjectState): boolean {
  for (const dependency of subject.spec.dependsOn) {
    const other = state.subjects.get(dependency.id);
    if (other === undefined || other.health !== 'healthy') return true;
    if (other.connectivity === 'unavailable' || other.pendingUnavailable !== undefined) return true;
  }
  return false;
}
