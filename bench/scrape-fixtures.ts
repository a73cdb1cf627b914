// A large, realistic engine state for the scrape benchmark, built by hand (no engine code) and deterministic.
import type { CheckState, CheckStatus, EngineState, Health, RunRecord, SourceState, SubjectState } from '../src/engine/types.js';
import { TEST_SETTINGS } from '../test/helpers/settings.js';

const NOW = 1_763_760_000_000;
const HEALTHS: Health[] = ['healthy', 'healthy', 'healthy', 'unhealthy', 'unknown', 'pending', 'missing'];
const STATUSES: CheckStatus[] = ['ok', 'ok', 'ok', 'warn', 'crit', 'unknown'];
const KINDS = ['host', 'target', 'experiment', 'machine'];
const CHECK_NAMES = ['ping', 'http', 'disk', 'agent', 'hostport'];
const SOURCES = ['config', 'targets', 'agents', 'practable', 'api'];

/** A small deterministic generator so every run builds the same state. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

function check(name: string, source: string, rand: () => number, i: number): CheckState {
  const receivedAt = NOW - Math.floor(rand() * 60_000);
  const status = STATUSES[Math.floor(rand() * STATUSES.length)]!;
  const metrics: Record<string, number> | undefined =
    name === 'http'
      ? {
          duration_seconds: Math.round(rand() * 2_000) / 10_000,
          response_bytes: 512 + Math.floor(rand() * 100_000),
          http_status_code: status === 'crit' ? 500 : 200,
        }
      : name === 'ping'
        ? {
            duration_seconds: 0.002,
            icmp_packet_loss_ratio: status === 'ok' ? 0 : 0.25,
            icmp_rtt_min_seconds: 0.0011,
            icmp_rtt_avg_seconds: 0.0015,
            icmp_rtt_max_seconds: 0.0031,
          }
        : undefined;
  return {
    name,
    source,
    reported: status,
    period: 60_000,
    timing: { freshness: 2, overhead: 0, accuracy: 0, pushPeriod: 0 },
    receivedAt,
    statusChangedAt: receivedAt - Math.floor(rand() * 3_600_000),
    consecutiveFailures: status === 'ok' ? 0 : 1 + Math.floor(rand() * 5),
    consecutiveSuccesses: status === 'ok' ? 1 + Math.floor(rand() * 500) : 0,
    ...(metrics ? { metrics } : {}),
    expiresAt: receivedAt + 120_000,
    effectiveAt: receivedAt - 60_000,
    status,
    counted: status !== 'unknown',
    dropped: i % 97 === 0 && name === 'agent',
  };
}

/** A run record consistent with the check's counters; every 7th check also had an unreached run lately. */
function runRecord(c: CheckState, i: number): RunRecord {
  const total = 10 + c.consecutiveFailures + c.consecutiveSuccesses + (i % 7 === 0 ? 1 : 0);
  const last: RunRecord['last'] = { ok: c.status === 'ok' ? total : total - c.consecutiveFailures - 1 };
  if (c.status !== 'ok') last[c.status] = total;
  if (i % 7 === 0) last.unreachable = total - 1;
  return { total, last };
}

const subjectId = (i: number): string => `${KINDS[i % KINDS.length]!}-${String(i).padStart(5, '0')}.lab.example.org`;

function subject(i: number, checksPerSubject: number, rand: () => number): SubjectState {
  const kind = KINDS[i % KINDS.length]!;
  const source = SOURCES[i % SOURCES.length]!;
  const checks: Record<string, CheckState> = {};
  for (let j = 0; j < checksPerSubject; j++) {
    const name = CHECK_NAMES[j % CHECK_NAMES.length]! + (j >= CHECK_NAMES.length ? `-${j}` : '');
    checks[name] = check(name, source, rand, i);
  }
  const health = HEALTHS[i % HEALTHS.length]!;
  const runs: Record<string, RunRecord> = {};
  for (const [name, c] of Object.entries(checks)) runs[name] = runRecord(c, i);
  return {
    spec: {
      id: subjectId(i),
      kind,
      labels: { rack: `r${i % 40}`, switch: `sw${i % 200}`, team: i % 3 === 0 ? 'platform' : 'labs' },
      // every 40th subject is a switch the next 39 depend on
      dependsOn: i % 40 === 0 ? [] : [{ id: subjectId(i - (i % 40)), lag: 0 }],
      source,
    },
    createdAt: NOW - 86_400_000,
    firstSeenAt: NOW - 86_000_000,
    appearanceSince: NOW - 86_400_000,
    appeared: true,
    manipulations: i % 10 === 0 ? { reboot: { manipulation: 'reboot', startedAt: NOW - 7_260_000, endedAt: NOW - 7_200_000 } } : {},
    checks,
    runs,
    health,
    healthChangedAt: NOW - Math.floor(rand() * 86_400_000),
    healthChanges: Math.floor(rand() * 40),
    ...(i % 5 === 4 ? {} : { connectivity: i % 11 === 0 ? ('unavailable' as const) : ('available' as const), connectivityChangedAt: NOW - 500_000 }),
    connectivityChanges: Math.floor(rand() * 10),
    ...(i % 5 === 4 ? {} : { lastSeenAt: NOW - Math.floor(rand() * 30_000) }),
    warnings: Math.floor(rand() * 2),
    metadata:
      i % 4 === 0
        ? {
            FreeDiskSpace: { level: 'info', message: 'free', value: Math.floor(rand() * 1e11), updatedAt: NOW },
            HasLatestCalamari: { level: 'warning', message: 'old', updatedAt: NOW },
          }
        : {},
    specVersion: 1,
    stateVersion: 1,
  };
}

export function buildLargeState(subjectCount: number, checksPerSubject: number): EngineState {
  const rand = random(42);
  const subjects = new Map<string, SubjectState>();
  for (let i = 0; i < subjectCount; i++) {
    const s = subject(i, checksPerSubject, rand);
    subjects.set(s.spec.id, s);
  }
  const sources = new Map<string, SourceState>(
    SOURCES.map((name, k): [string, SourceState] => [
      name,
      { name, up: k !== 3, ...(k !== 4 ? { lastSuccessAt: NOW - 1_000 } : {}), errors: k === 3 ? { timeout: 12, refused: 3 } : {} },
    ]),
  );
  const state: EngineState = {
    settings: { ...TEST_SETTINGS, startupGrace: 60_000 },
    subjects,
    sources,
    seq: 123_456,
    history: new Map(),
    dependents: new Map(),
  };
  for (const s of subjects.values()) {
    for (const dependency of s.spec.dependsOn) {
      const set = state.dependents.get(dependency.id) ?? new Set<string>();
      set.add(s.spec.id);
      state.dependents.set(dependency.id, set);
    }
  }
  return state;
}
