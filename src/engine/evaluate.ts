// Subject evaluation (docs/health-model.md): derive every check, then health, warnings and the next deadline, emit the
// events, and re-evaluate dependants whose gate may have moved.
import { deriveCheck, type CountingGate, type DependencyFact } from './checks.js';
import { applyDueUnavailability } from './connectivity-state.js';
import { emitEvent, markVolatileChange, type Context } from './context.js';
import { setSubjectDeadline } from './deadlines.js';
import { healthReasonOf, warningsReasonOf } from './reasons.js';
import type { CheckState, EngineState, Health, SubjectState } from './types.js';

/** Safety net against dependency cycles restored from an old database; upsert and rename refuse new cycles. */
const MAX_PASSES_PER_CALL = 32;

/** Evaluates the given subjects at ctx.now and, transitively, the dependants of those whose health changed. */
export function reevaluate(ctx: Context, ids: Iterable<string>): void {
  const queue: string[] = [];
  const queued = new Set<string>();
  const passes = new Map<string, number>();
  const enqueue = (id: string): void => {
    if (queued.has(id)) return;
    queued.add(id);
    queue.push(id);
  };
  for (const id of ids) enqueue(id);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    queued.delete(id);
    const subject = ctx.state.subjects.get(id);
    if (!subject) continue;
    const pass = (passes.get(id) ?? 0) + 1;
    if (pass > MAX_PASSES_PER_CALL) continue;
    passes.set(id, pass);
    if (evaluateSubject(ctx, subject)) {
      for (const dependant of ctx.state.dependents.get(id) ?? []) enqueue(dependant);
    }
  }
}

/** The facts about each dependency that its dependants' checks are judged against. */
function dependencyFactsOf(state: EngineState, subject: SubjectState): DependencyFact[] {
  return subject.spec.dependsOn.map(({ id, lag }) => {
    const other = state.subjects.get(id);
    return other ? { id, lag, health: other.health, healthChangedAt: other.healthChangedAt } : { id, lag };
  });
}

/** The manipulation that ended last: results must be effective after it. */
function lastManipulationOf(subject: SubjectState): CountingGate['lastManipulation'] {
  let latest: CountingGate['lastManipulation'];
  for (const manipulation of Object.values(subject.manipulations)) {
    if (latest === undefined || manipulation.endedAt > latest.endedAt) latest = { name: manipulation.manipulation, endedAt: manipulation.endedAt };
  }
  return latest;
}

/** Re-derives one subject at ctx.now. Returns whether its health changed (its dependants need a look). */
export function evaluateSubject(ctx: Context, subject: SubjectState): boolean {
  const { state, now } = ctx;
  const { settings } = state;
  const initial = ctx.created.delete(subject);
  applyDueUnavailability(ctx, subject);

  const gate: CountingGate = {
    now,
    renameLag: settings.renameLag,
    dependencies: dependencyFactsOf(state, subject),
    sources: state.sources,
  };
  const lastManipulation = lastManipulationOf(subject);
  if (lastManipulation !== undefined) gate.lastManipulation = lastManipulation;
  if (subject.renamedAt !== undefined) gate.renamedAt = subject.renamedAt;

  let changed = initial;
  const checks: CheckState[] = Object.values(subject.checks);
  let crit = 0;
  let fine = 0;
  let warnChecks = 0;
  for (const check of checks) {
    if (deriveCheck(check, gate)) changed = true;
    if (!check.counted) continue;
    if (check.status === 'crit') crit += 1;
    else fine += 1;
    if (check.status === 'warn') warnChecks += 1;
  }
  if (crit + fine > 0 && !subject.appeared) {
    subject.appeared = true;
    changed = true;
  }

  const startupGrace = subject.spec.startupGrace ?? settings.startupGrace;
  const appearanceTimeout = subject.spec.appearanceTimeout ?? settings.appearanceTimeout;
  const graceEnd = subject.firstSeenAt + startupGrace;
  const appearanceEnd = subject.appearanceSince + appearanceTimeout;
  let health: Health;
  if (now < graceEnd) health = 'pending';
  else if (crit > 0) health = 'unhealthy';
  else if (fine > 0) health = 'healthy';
  else if (!subject.appeared && now >= appearanceEnd) health = 'missing';
  else health = 'unknown';

  const reason = healthReasonOf(health, { subject, checks, startupGrace, appearanceTimeout });
  const healthChanged = initial || subject.health !== health;
  if (healthChanged) {
    const from = initial ? null : subject.health;
    subject.health = health;
    subject.healthChangedAt = now;
    if (!initial) subject.healthChanges += 1;
    subject.healthReason = reason;
    emitEvent(ctx, subject.spec.id, 'health', from, health, reason);
    changed = true;
  } else if (subject.healthReason !== reason) {
    subject.healthReason = reason;
    changed = true;
  }

  let warnings = warnChecks;
  for (const entry of Object.values(subject.metadata)) if (entry.level === 'warning') warnings += 1;
  if (warnings !== subject.warnings) {
    emitEvent(ctx, subject.spec.id, 'warnings', String(subject.warnings), String(warnings), warningsReasonOf(checks, subject.metadata));
    subject.warnings = warnings;
    changed = true;
  }

  if (changed) markVolatileChange(ctx, subject);

  let deadline = Infinity;
  for (const check of checks) {
    if (!check.dropped && check.expiresAt > now) deadline = Math.min(deadline, check.expiresAt);
    // The end of a dependency wait (either clock): the check counts then without a new result.
    const countsFrom = check.notCounted?.countsFrom;
    if (countsFrom !== undefined && countsFrom > now) deadline = Math.min(deadline, countsFrom);
  }
  if (graceEnd > now) deadline = Math.min(deadline, graceEnd);
  if (!subject.appeared && appearanceEnd > now) deadline = Math.min(deadline, appearanceEnd);
  if (subject.pendingUnavailable) deadline = Math.min(deadline, subject.pendingUnavailable.at);
  setSubjectDeadline(state, subject, Number.isFinite(deadline) ? deadline : undefined);
  return healthChanged;
}
