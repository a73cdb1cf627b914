// Subject evaluation (docs/health-model.md): derive every check, then health, warnings and the next deadline, emit the
// events, and re-evaluate dependants whose gate may have moved.
import { deriveCheck, type CountingGate } from './checks.js';
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

interface DependencyGate {
  blocked: boolean;
  blocker?: string;
  latestChange?: number;
  /** When the earliest still-settling dependency finishes settling. */
  settledAt?: number;
}

export function dependencyGateOf(state: EngineState, subject: SubjectState, now: number): DependencyGate {
  const gate: DependencyGate = { blocked: false };
  const block = (why: string): void => {
    gate.blocked = true;
    gate.blocker ??= why;
  };
  for (const dependency of subject.spec.dependsOn) {
    const other = state.subjects.get(dependency.id);
    if (!other) {
      block(`${dependency.id} does not exist`);
      continue;
    }
    if (other.health !== 'healthy') {
      block(`${dependency.id} is ${other.health}`);
      continue;
    }
    gate.latestChange = Math.max(gate.latestChange ?? -Infinity, other.healthChangedAt);
    // The settle lag is strict ("exceeds"): counting resumes 1 ms after healthChangedAt + lag.
    if (now - other.healthChangedAt <= dependency.lag) {
      block(`${dependency.id} settling after recovery`);
      const settledAt = other.healthChangedAt + dependency.lag + 1;
      gate.settledAt = Math.min(gate.settledAt ?? Infinity, settledAt);
    }
  }
  return gate;
}

function lastManipulationEnd(subject: SubjectState): number | undefined {
  let latest: number | undefined;
  for (const manipulation of Object.values(subject.manipulations)) {
    if (latest === undefined || manipulation.endedAt > latest) latest = manipulation.endedAt;
  }
  return latest;
}

/** Re-derives one subject at ctx.now. Returns whether its health changed (its dependants need a look). */
export function evaluateSubject(ctx: Context, subject: SubjectState): boolean {
  const { state, now } = ctx;
  const { settings } = state;
  const initial = ctx.created.delete(subject);
  applyDueUnavailability(ctx, subject);

  const dependencies = dependencyGateOf(state, subject, now);
  const gate: CountingGate = { now, renameLag: settings.renameLag, dependencyBlocked: dependencies.blocked };
  const manipulationEnd = lastManipulationEnd(subject);
  if (manipulationEnd !== undefined) gate.lastManipulationEnd = manipulationEnd;
  if (subject.renamedAt !== undefined) gate.renamedAt = subject.renamedAt;
  if (dependencies.latestChange !== undefined) gate.latestDependencyChange = dependencies.latestChange;

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

  const reasonInputs = { subject, checks, startupGrace, appearanceTimeout };
  const reason = healthReasonOf(
    health,
    dependencies.blocker === undefined ? reasonInputs : { ...reasonInputs, dependencyBlocker: dependencies.blocker },
  );
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
  for (const check of checks) if (!check.dropped && check.expiresAt > now) deadline = Math.min(deadline, check.expiresAt);
  if (graceEnd > now) deadline = Math.min(deadline, graceEnd);
  if (!subject.appeared && appearanceEnd > now) deadline = Math.min(deadline, appearanceEnd);
  if (dependencies.settledAt !== undefined) deadline = Math.min(deadline, dependencies.settledAt);
  if (subject.pendingUnavailable) deadline = Math.min(deadline, subject.pendingUnavailable.at);
  setSubjectDeadline(state, subject, Number.isFinite(deadline) ? deadline : undefined);
  return healthChanged;
}
