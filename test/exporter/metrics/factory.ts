// Hand-made engine states for the exposition tests: plain data, no engine code, every field explicit.
import type { CheckState, EngineState, SourceState, SubjectState } from '../../../src/engine/types.js';
import { TEST_SETTINGS } from '../../helpers/settings.js';

export const T0 = 1_763_760_000_000; // 2025-11-21T21:20:00Z, in ms

export function makeCheck(name: string, over: Partial<CheckState> = {}): CheckState {
  return {
    name,
    source: 'config',
    reported: 'ok',
    period: 60_000,
    timing: { freshness: 2, overhead: 0, accuracy: 0, pushPeriod: 0 },
    receivedAt: T0,
    statusChangedAt: T0 - 600_000,
    consecutiveFailures: 0,
    consecutiveSuccesses: 10,
    expiresAt: T0 + 120_000,
    effectiveAt: T0 - 600_000,
    status: 'ok',
    counted: true,
    dropped: false,
    ...over,
  };
}

export function makeSubject(id: string, over: Partial<SubjectState> = {}, checks: CheckState[] = []): SubjectState {
  return {
    spec: { id, kind: 'host', labels: {}, dependsOn: [], source: 'config' },
    createdAt: T0 - 86_400_000,
    firstSeenAt: T0 - 86_400_000,
    appearanceSince: T0 - 86_400_000,
    appeared: true,
    manipulations: {},
    checks: Object.fromEntries(checks.map((c) => [c.name, c])),
    health: 'healthy',
    healthChangedAt: T0 - 3_600_000,
    healthChanges: 0,
    connectivityChanges: 0,
    warnings: 0,
    metadata: {},
    specVersion: 1,
    stateVersion: 1,
    ...over,
  };
}

export function makeState(subjects: SubjectState[], sources: SourceState[] = [], seq = 0): EngineState {
  return {
    settings: { ...TEST_SETTINGS, startupGrace: 60_000 },
    subjects: new Map(subjects.map((s) => [s.spec.id, s])),
    sources: new Map(sources.map((s) => [s.name, s])),
    seq,
    history: new Map(),
    dependents: new Map(),
  };
}

/** A state that exercises every family and the awkward cases: escaping, non-ASCII, dropped, unknown. */
export function realisticState(): EngineState {
  const web = makeSubject(
    'web "front"\\prod\nline2',
    {
      spec: {
        id: 'web "front"\\prod\nline2',
        kind: 'target',
        labels: { team: 'sré', 'app.kubernetes.io/name': 'web', source: 'clash' },
        dependsOn: [],
        source: 'targets',
      },
      health: 'unhealthy',
      connectivity: 'available',
      connectivityChangedAt: T0 - 5_000,
      connectivityChanges: 3,
      lastSeenAt: T0 - 1_500,
      warnings: 1,
      healthChanges: 7,
      manipulations: { redeploy: { manipulation: 'redeploy', startedAt: T0 - 7_260_000, endedAt: T0 - 7_200_250 } },
      metadata: {
        FreeDiskSpace: { level: 'info', message: 'free', value: 12_345_678_901, updatedAt: T0 },
        Note: { level: 'warning', message: 'text only', updatedAt: T0 },
      },
    },
    [
      makeCheck('http', {
        status: 'crit',
        reported: 'crit',
        consecutiveFailures: 3,
        consecutiveSuccesses: 0,
        metrics: { duration_seconds: 0.1234, response_bytes: 5120, http_status_code: 503 },
      }),
      makeCheck('ping', {
        status: 'warn',
        reported: 'warn',
        metrics: {
          duration_seconds: 0.002,
          icmp_packet_loss_ratio: 0.25,
          icmp_rtt_min_seconds: 0.0011,
          icmp_rtt_avg_seconds: 0.0015,
          icmp_rtt_max_seconds: 0.0031,
        },
      }),
      makeCheck('agent', { dropped: true, counted: false, status: 'unknown', notCountedReason: 'dropped' }),
    ],
  );
  const lab = makeSubject('lab-1', { spec: { id: 'lab-1', kind: 'experiment', labels: {}, dependsOn: [], source: 'practable' }, health: 'pending' }, [
    makeCheck('stream-video', {
      status: 'unknown',
      reported: 'ok',
      counted: false,
      notCountedReason: 'stale',
      receivedAt: T0 - 300_000,
      expiresAt: T0 - 180_000,
    }),
  ]);
  return makeState(
    [web, lab],
    [
      { name: 'targets', up: true, lastSuccessAt: T0 - 1_000, errors: {} },
      { name: 'practable', up: false, downSince: T0 - 60_000, errors: { timeout: 4, refused: 1 } },
    ],
    42,
  );
}
