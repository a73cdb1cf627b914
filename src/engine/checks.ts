// Per-check rules of docs/health-model.md: freshness, effective timestamp, and whether a check counts toward health.
import type { CheckState, EngineSettings, Health, NotCounted, SourceState, Timing } from './types.js';

/** What a check needs to know about one dependency of its subject. */
export interface DependencyFact {
  id: string;
  lag: number;
  /** Absent when the dependency does not exist. */
  health?: Health;
  healthChangedAt?: number;
}

/** Everything outside the check itself that decides whether it counts, computed once per subject evaluation. */
export interface CountingGate {
  now: number;
  /** The manipulation of the subject that ended last. */
  lastManipulation?: { name: string; endedAt: number };
  renamedAt?: number;
  renameLag: number;
  dependencies: DependencyFact[];
  /** The sources, for when a lost source's checks were dropped (`droppedAt`, absent once it is up again). */
  sources?: ReadonlyMap<string, Pick<SourceState, 'droppedAt'>>;
}

/** The formula each gate requires, as reported in `NotCounted.rule` (docs/health-model.md states the same). */
export const RULES = {
  dropped: 'received_at > dropped_at',
  stale: 'now < expires_at',
  unknown: 'status ≠ unknown',
  manipulation: 'effective_at > manipulation_ended_at',
  rename: 'status_changed_at > renamed_at or effective_at > renamed_at + rename_lag',
  dependencyExists: 'dependency exists',
  dependencyHealthy: 'dependency health = healthy',
  dependencyChange: 'effective_at > dependency_changed_at',
  dependencySettled: 'now − dependency_changed_at > lag',
  ownStatusSettled: 'now − status_changed_at > lag',
} as const;

export function resolveTiming(settings: EngineSettings, ...overrides: (Partial<Timing> | undefined)[]): Timing {
  const timing: Timing = {
    freshness: settings.freshness,
    overhead: settings.overhead ?? 0,
    accuracy: settings.accuracy ?? 0,
    pushPeriod: settings.pushPeriod ?? 0,
  };
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
  return Math.max(check.statusChangedAt - overhead - accuracy, check.receivedAt - overhead - pushPeriod - 2 * check.period - accuracy);
}

/** The first gate that keeps the check from counting, with the times it compared; undefined when it counts. */
export function notCountedOf(check: CheckState, expiresAt: number, effectiveAt: number, gate: CountingGate): NotCounted | undefined {
  const { now } = gate;
  if (check.dropped) {
    const times: Record<string, number> = { received_at: check.receivedAt };
    const droppedAt = gate.sources?.get(check.source)?.droppedAt;
    if (droppedAt !== undefined) times['dropped_at'] = droppedAt;
    return { reason: 'dropped', rule: RULES.dropped, times };
  }
  if (now >= expiresAt) {
    const times: Record<string, number> = { received_at: check.receivedAt, expires_at: expiresAt };
    if (check.observedAt !== undefined) times['observed_at'] = check.observedAt;
    return { reason: 'stale', rule: RULES.stale, times };
  }
  if (check.reported === 'unknown') return { reason: 'unknown', rule: RULES.unknown, times: {} };
  const manipulation = gate.lastManipulation;
  if (manipulation !== undefined && !(effectiveAt > manipulation.endedAt)) {
    return {
      reason: 'manipulation',
      rule: RULES.manipulation,
      manipulation: manipulation.name,
      times: { effective_at: effectiveAt, manipulation_ended_at: manipulation.endedAt },
    };
  }
  const { renamedAt } = gate;
  if (renamedAt !== undefined && !(check.statusChangedAt > renamedAt || effectiveAt > renamedAt + gate.renameLag)) {
    return {
      reason: 'rename',
      rule: RULES.rename,
      lag: gate.renameLag,
      times: { status_changed_at: check.statusChangedAt, effective_at: effectiveAt, renamed_at: renamedAt },
    };
  }
  return dependencyWait(check, effectiveAt, gate);
}

/**
 * The dependency wait: every dependency exists and is healthy, the result is effective after its last change,
 * and more than its lag has passed both since that change and since the check's own status change. Hard blocks
 * are reported first, then a result that predates a change (only a new result helps), then the wait that ends
 * last (that is when the check counts). A lag of 0 means no wait.
 */
function dependencyWait(check: CheckState, effectiveAt: number, gate: CountingGate): NotCounted | undefined {
  let predates: NotCounted | undefined;
  let wait: NotCounted | undefined;
  for (const dependency of gate.dependencies) {
    const { id, lag, health, healthChangedAt } = dependency;
    if (health === undefined || healthChangedAt === undefined) {
      return { reason: 'dependency', rule: RULES.dependencyExists, dependency: id, dependencyHealth: 'missing', times: {} };
    }
    if (health !== 'healthy') {
      return {
        reason: 'dependency',
        rule: RULES.dependencyHealthy,
        dependency: id,
        dependencyHealth: health,
        times: { dependency_changed_at: healthChangedAt },
      };
    }
    if (predates === undefined && !(effectiveAt > healthChangedAt)) {
      predates = {
        reason: 'dependency',
        rule: RULES.dependencyChange,
        dependency: id,
        lag,
        times: { effective_at: effectiveAt, dependency_changed_at: healthChangedAt },
      };
    }
    if (lag <= 0) continue;
    // Both clocks are strict ("more than the lag"): counting resumes 1 ms after the later of the two ends.
    const settled = healthChangedAt + lag + 1;
    if (gate.now < settled && (wait?.countsFrom ?? -Infinity) < settled) {
      wait = {
        reason: 'dependency',
        rule: RULES.dependencySettled,
        dependency: id,
        lag,
        countsFrom: settled,
        times: { dependency_changed_at: healthChangedAt },
      };
    }
    const held = check.statusChangedAt + lag + 1;
    if (gate.now < held && (wait?.countsFrom ?? -Infinity) < held) {
      wait = {
        reason: 'dependency',
        rule: RULES.ownStatusSettled,
        dependency: id,
        lag,
        countsFrom: held,
        times: { status_changed_at: check.statusChangedAt, dependency_changed_at: healthChangedAt },
      };
    }
  }
  return predates ?? wait;
}

function sameNotCounted(a: NotCounted | undefined, b: NotCounted | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (
    a.reason !== b.reason ||
    a.rule !== b.rule ||
    a.dependency !== b.dependency ||
    a.dependencyHealth !== b.dependencyHealth ||
    a.manipulation !== b.manipulation ||
    a.lag !== b.lag ||
    a.countsFrom !== b.countsFrom
  ) {
    return false;
  }
  const keys = Object.keys(a.times);
  return keys.length === Object.keys(b.times).length && keys.every((key) => a.times[key] === b.times[key]);
}

/** Stores the derived fields on the check; returns whether any of them changed. */
export function deriveCheck(check: CheckState, gate: CountingGate): boolean {
  const expiresAt = expiresAtOf(check);
  const effectiveAt = effectiveAtOf(check);
  const notCounted = notCountedOf(check, expiresAt, effectiveAt, gate);
  const reason = notCounted?.reason;
  const status = reason === 'dropped' || reason === 'stale' ? 'unknown' : check.reported;
  const counted = notCounted === undefined;
  const changed =
    check.expiresAt !== expiresAt ||
    check.effectiveAt !== effectiveAt ||
    check.status !== status ||
    check.counted !== counted ||
    check.notCountedReason !== reason ||
    !sameNotCounted(check.notCounted, notCounted);
  check.expiresAt = expiresAt;
  check.effectiveAt = effectiveAt;
  check.status = status;
  check.counted = counted;
  if (notCounted === undefined) {
    delete check.notCountedReason;
    delete check.notCounted;
  } else {
    check.notCountedReason = notCounted.reason;
    check.notCounted = notCounted;
  }
  return changed;
}
