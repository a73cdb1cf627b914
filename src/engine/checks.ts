// Per-check rules of docs/health-model.md: freshness, effective timestamp, and whether a check counts toward health.
import type { CheckState, EngineSettings, Timing } from './types.js';

/** Why a check does not count, in the order the gates are tried (the first that applies is reported). */
export type NotCountedReason = 'dropped' | 'stale' | 'unknown' | 'manipulation' | 'rename' | 'dependency';

/** Everything outside the check itself that decides whether it counts, computed once per subject evaluation. */
export interface CountingGate {
  now: number;
  /** End of the latest manipulation of the subject. */
  lastManipulationEnd?: number;
  renamedAt?: number;
  renameLag: number;
  /** Set when a dependency is missing, not healthy, or still settling: every check is suppressed. */
  dependencyBlocked: boolean;
  /** Latest health change among the dependencies: a check must have been effective after it. */
  latestDependencyChange?: number;
}

export function resolveTiming(settings: EngineSettings, ...overrides: (Partial<Timing> | undefined)[]): Timing {
  const timing: Timing = { freshness: settings.freshness, overhead: 0, accuracy: 0, pushPeriod: 0 };
  for (const override of overrides) {
    if (!override) continue;
    if (override.freshness !== undefined) timing.freshness = override.freshness;
    if (override.overhead !== undefined) timing.overhead = override.overhead;
    if (override.accuracy !== undefined) timing.accuracy = override.accuracy;
    if (override.pushPeriod !== undefined) timing.pushPeriod = override.pushPeriod;
  }
  return timing;
}

/** Freshness: received_at + freshness × period, capped by observed_at + max_age when the source stamps its results. */
export function expiresAtOf(check: CheckState): number {
  const byPeriod = check.receivedAt + check.timing.freshness * check.period;
  if (check.observedAt !== undefined && check.maxAge !== undefined) return Math.min(byPeriod, check.observedAt + check.maxAge);
  return byPeriod;
}

/**
 * Effective timestamp: the time after which the current status is known to hold.
 * A source clock running ahead of ours must not make a result look newer than its receipt, hence the cap at received_at.
 */
export function effectiveAtOf(check: CheckState): number {
  const { overhead, accuracy, pushPeriod } = check.timing;
  if (check.observedAt !== undefined) return Math.min(check.observedAt - accuracy, check.receivedAt);
  return Math.max(
    check.statusChangedAt - overhead - accuracy,
    check.receivedAt - overhead - pushPeriod - 2 * check.period - accuracy,
  );
}

export function notCountedReasonOf(check: CheckState, expiresAt: number, effectiveAt: number, gate: CountingGate): NotCountedReason | undefined {
  if (check.dropped) return 'dropped';
  if (gate.now >= expiresAt) return 'stale';
  if (check.reported === 'unknown') return 'unknown';
  if (gate.lastManipulationEnd !== undefined && !(effectiveAt > gate.lastManipulationEnd)) return 'manipulation';
  if (gate.renamedAt !== undefined && !(check.statusChangedAt > gate.renamedAt || effectiveAt > gate.renamedAt + gate.renameLag)) {
    return 'rename';
  }
  if (gate.dependencyBlocked) return 'dependency';
  if (gate.latestDependencyChange !== undefined && !(effectiveAt > gate.latestDependencyChange)) return 'dependency';
  return undefined;
}

/** Stores the derived fields on the check; returns whether any of them changed. */
export function deriveCheck(check: CheckState, gate: CountingGate): boolean {
  const expiresAt = expiresAtOf(check);
  const effectiveAt = effectiveAtOf(check);
  const reason = notCountedReasonOf(check, expiresAt, effectiveAt, gate);
  const status = reason === 'dropped' || reason === 'stale' ? 'unknown' : check.reported;
  const counted = reason === undefined;
  const changed =
    check.expiresAt !== expiresAt ||
    check.effectiveAt !== effectiveAt ||
    check.status !== status ||
    check.counted !== counted ||
    check.notCountedReason !== reason;
  check.expiresAt = expiresAt;
  check.effectiveAt = effectiveAt;
  check.status = status;
  check.counted = counted;
  if (reason === undefined) delete check.notCountedReason;
  else check.notCountedReason = reason;
  return changed;
}
