// The health model's vocabulary (docs/health-model.md). Every time is epoch milliseconds; every duration is milliseconds.
// State objects are plain JSON-serialisable data so the store can persist them as they are.

export type CheckStatus = 'ok' | 'warn' | 'crit' | 'unknown';
export const CHECK_STATUSES: readonly CheckStatus[] = ['ok', 'warn', 'crit', 'unknown'];

export type Health = 'healthy' | 'unhealthy' | 'unknown' | 'pending' | 'missing';
export const HEALTH_STATES: readonly Health[] = ['healthy', 'unhealthy', 'unknown', 'pending', 'missing'];

export type Connectivity = 'available' | 'unavailable';

export type MetadataLevel = 'info' | 'warning' | 'error';

/** Timing settings of a source or check (docs/health-model.md, effective timestamp). */
export interface Timing {
  /** Multiples of the period a result stays fresh. */
  freshness: number;
  overhead: number;
  accuracy: number;
  pushPeriod: number;
}

/** Engine-wide defaults (config `defaults:`). */
export interface EngineSettings {
  freshness: number;
  startupGrace: number;
  appearanceTimeout: number;
  sourceDropAfter: number;
  renameLag: number;
  disconnectGrace: number;
  eventsPerSubject: number;
  /** Settle lag of a dependency when its `depends_on` entry names none. */
  dependencyLag: number;
  /** Default timing of every check (config `defaults.overhead`, `accuracy`, `push_period`); 0 when absent. */
  overhead?: number;
  accuracy?: number;
  pushPeriod?: number;
}

export interface Dependency {
  id: string;
  /**
   * Dependants' checks wait this long on two clocks: after the dependency's last health change, and after the
   * check's own last status change.
   */
  lag: number;
}

/** What configuration or the API says a subject is. Changing it changes the configuration ETag. */
export interface SubjectSpec {
  id: string;
  kind: string;
  labels: Record<string, string>;
  dependsOn: Dependency[];
  /** Name of the source instance that owns the subject (`config`, `api`, `targets`, ...). */
  source: string;
  /** Per-subject overrides of the engine defaults. */
  startupGrace?: number;
  appearanceTimeout?: number;
  timing?: Partial<Timing>;
}

export interface Observation {
  subject: string;
  check: string;
  status: CheckStatus;
  message?: string;
  /** The source's own timestamp of the result, when it has one. */
  observedAt?: number;
  /** How often this check reports. */
  period: number;
  /** Upper bound on the age of `observedAt` for the result to be fresh. */
  maxAge?: number;
  /** Numeric measurements (probe duration, bytes, ...) kept beside the check. */
  metrics?: Record<string, number>;
  /** Source instance that produced it; defaults to the subject's source. */
  source?: string;
  /**
   * `false` for a second-hand result (relayed by a peer such as Octopus): it does not prove vigil reached the
   * subject, so connectivity and last-seen are left alone. Default true.
   */
  contact?: boolean;
  /**
   * `false`: the run did not reach the peer (timeout, DNS failure, no route, total ping loss). Only the check's run
   * record changes (an `unreachable` run); status, counters, freshness and connectivity are left alone. Default true.
   */
  reached?: boolean;
  /** Kind for a subject the observation creates (push API); default `push`. */
  kind?: string;
  timing?: Partial<Timing>;
}

export interface ConnectivitySignal {
  subject: string;
  state: Connectivity;
  reason?: string;
  /** For `unavailable`: wait this long before applying it; a later `available` cancels it. */
  grace?: number;
  source?: string;
}

export interface MetadataEntry {
  level: MetadataLevel;
  message: string;
  value?: number;
  updatedAt: number;
}

export interface Manipulation {
  manipulation: string;
  startedAt: number;
  endedAt: number;
}

/** Why a check does not count, in the order the gates are tried (the first that applies is reported). */
export type NotCountedReason = 'dropped' | 'stale' | 'unknown' | 'manipulation' | 'rename' | 'dependency';

/** Which rule kept a check from counting, with the times it compared, so an operator can see why. */
export interface NotCounted {
  reason: NotCountedReason;
  /** The rule that failed, as the formula that must hold for the check to count. */
  rule: string;
  /** The times the rule compared (epoch ms), by snake_case name. */
  times: Record<string, number>;
  /** The dependency the rule is about (reason `dependency`). */
  dependency?: string;
  /** Its health when it is not healthy, or `missing`. */
  dependencyHealth?: string;
  /** The manipulation whose end the result predates (reason `manipulation`). */
  manipulation?: string;
  /** The lag of the rule: the dependency's lag, or the rename lag. */
  lag?: number;
  /** When the check counts without a new result, unless something else changes. Absent when only a new result helps. */
  countsFrom?: number;
}

export interface CheckState {
  name: string;
  source: string;
  /** Status as last reported (before staleness is applied). */
  reported: CheckStatus;
  message?: string;
  period: number;
  maxAge?: number;
  timing: Timing;
  observedAt?: number;
  receivedAt: number;
  statusChangedAt: number;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  metrics?: Record<string, number>;
  // Derived by the engine at each evaluation, stored so readers need not recompute:
  expiresAt: number;
  effectiveAt: number;
  /** `reported`, or `unknown` once stale. */
  status: CheckStatus;
  counted: boolean;
  /** Why it does not count: `stale`, `manipulation`, `rename`, `dependency`, `dropped`; absent when counted. */
  notCountedReason?: string;
  /** The rule behind `notCountedReason` and the times involved; absent when counted. */
  notCounted?: NotCounted;
  /** Set when the source was lost for `sourceDropAfter`: the check is hidden until it reports again. */
  dropped: boolean;
}

/** What one run of a check came to: its result's status, or `unreachable` when it did not reach the peer. */
export type RunOutcome = CheckStatus | 'unreachable';
export const RUN_OUTCOMES: readonly RunOutcome[] = ['ok', 'warn', 'crit', 'unknown', 'unreachable'];

/** Runs of one check: how many so far, and the number of the latest run of each outcome. */
export interface RunRecord {
  total: number;
  last: Partial<Record<RunOutcome, number>>;
}

export interface SubjectState {
  spec: SubjectSpec;
  createdAt: number;
  firstSeenAt: number;
  renamedAt?: number;
  /** The id the subject had before its latest rename. */
  renamedFrom?: string;
  /** When the appearance timeout starts counting (creation, rename). */
  appearanceSince: number;
  /** True once a check has counted since `appearanceSince`. */
  appeared: boolean;
  manipulations: Record<string, Manipulation>;
  checks: Record<string, CheckState>;
  /** Run records by check name, unreached runs included (a check that never answered has one but no CheckState). */
  runs?: Record<string, RunRecord>;
  health: Health;
  healthChangedAt: number;
  healthChanges: number;
  healthReason?: string;
  connectivity?: Connectivity;
  connectivityChangedAt?: number;
  connectivityChanges: number;
  connectivityReason?: string;
  /** A delayed `unavailable` waiting out its grace. */
  pendingUnavailable?: { at: number; reason?: string };
  lastSeenAt?: number;
  warnings: number;
  metadata: Record<string, MetadataEntry>;
  /** Earliest time at which a tick may change this subject; the engine skips it before then. */
  nextDeadline?: number;
  /** Bumped whenever `spec` changes: drives the configuration ETag. */
  specVersion: number;
  /** Bumped whenever anything volatile changes: drives the health ETag. */
  stateVersion: number;
}

/** `rename` events carry the old id in `from` and the new one in `to`; `subject` is the new id. */
export type EventType = 'health' | 'connectivity' | 'availability' | 'warnings' | 'rename';

export interface EngineEvent {
  seq: number;
  at: number;
  subject: string;
  type: EventType;
  from: string | null;
  to: string;
  reason?: string;
  /** Id of the maintenance window the subject was in when this happened (set by the runtime, not the engine). */
  maintenance?: string;
}

export interface SourceState {
  name: string;
  up: boolean;
  lastSuccessAt?: number;
  downSince?: number;
  lastError?: string;
  errors: Record<string, number>;
  /** When the engine dropped this source's checks (source down for `sourceDropAfter`); cleared when it is up again. */
  droppedAt?: number;
}

export interface EngineState {
  settings: EngineSettings;
  subjects: Map<string, SubjectState>;
  sources: Map<string, SourceState>;
  /** Last event sequence number handed out. */
  seq: number;
  /** Bounded recent history per subject, newest last. */
  history: Map<string, EngineEvent[]>;
  /** subject id → ids of subjects that depend on it. Derived from specs. */
  dependents: Map<string, Set<string>>;
  /** Engine-internal schedule of subjects' `nextDeadline`s, kept as a binary min-heap; not persisted. */
  deadlines?: DeadlineEntry[];
}

/** One entry of the engine's deadline heap. Entries whose `at` no longer equals the subject's `nextDeadline` are ignored. */
export interface DeadlineEntry {
  at: number;
  subject: string;
}

/** What every engine call returns: the events it caused and the subjects whose state changed. */
/**
 * What one engine call (or several merged into one apply) did. Every field is required, so a result built or merged
 * by hand cannot drop one: combine results with `mergeResult` (engine/results.ts), never field by field.
 */
export interface EngineResult {
  events: EngineEvent[];
  changed: Set<string>;
  /** Names of sources whose `SourceState` changed (status, errors, drop). */
  changedSources: Set<string>;
  /** Renames in this call, in order: the store moves events up to `seq` from the old id to the new one. */
  renamed: { from: string; to: string; seq: number }[];
}

/** What the store records: an engine result, or a bare set of changed subjects (a repair, a restore). */
export type RecordedChange = Pick<EngineResult, 'events' | 'changed'> & Partial<Pick<EngineResult, 'changedSources' | 'renamed'>>;

/** One engine call at a given time, as the runtime applies it. */
export type EngineCall = (state: EngineState, now: number) => EngineResult;

/** A refusal: the input was not applied and nothing changed. */
export class EngineError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}
