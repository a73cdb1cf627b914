// One emitter per group of families, each family one contiguous block with its HELP/TYPE once. A family
// that can be empty writes its header, and takes it back if no series followed.
import { dependencyDown } from '../../engine/runs.js';
import { CHECK_STATUSES, HEALTH_STATES, RUN_OUTCOMES, type CheckState, type EngineState, type RunRecord, type SubjectState } from '../../engine/types.js';
import {
  CHECK_FAMILIES,
  ICMP_RTT_KEYS,
  PROBE_FAMILIES,
  PROBE_METRIC_KEYS,
  RUN_FAMILIES,
  SOURCE_FAMILIES,
  SUBJECT_FAMILIES,
  type FamilyDef,
} from './families.js';
import type { LabelCache, SubjectLabels } from './label-cache.js';
import { escapeLabelValue, formatSecondsFromMs, formatValue } from './text-format.js';
import { piece, type ExpositionWriter, type Piece } from './writer.js';

/** What one walk over the state found, in state order. */
export interface Visible {
  subjects: SubjectState[];
  subjectLabels: SubjectLabels[];
  checks: CheckState[];
  checkLabels: Piece[];
  /** The state walked, for families that look across subjects (dependencies). */
  state: EngineState;
}

/** `,state="healthy"} 1\n` / `… 0\n`, per state, built once. */
function stateSetTails(label: string, states: readonly string[]): { on: Piece[]; off: Piece[] } {
  return {
    on: states.map((state) => piece(`,${label}="${state}"} 1\n`)),
    off: states.map((state) => piece(`,${label}="${state}"} 0\n`)),
  };
}
const HEALTH_TAILS = stateSetTails('state', HEALTH_STATES);
const STATUS_TAILS = stateSetTails('status', CHECK_STATUSES);
const TAIL_0 = piece('} 0\n');
const TAIL_1 = piece('} 1\n');

/** Writes an optional family: header, then `body`; the header is taken back when `body` wrote nothing. */
function optionalFamily(w: ExpositionWriter, family: FamilyDef, body: () => number): number {
  const mark = w.mark();
  w.put(family.header);
  const written = body();
  if (written === 0) w.rewind(mark);
  return written;
}

export function renderSubjects(v: Visible, cache: LabelCache, w: ExpositionWriter): number {
  const { subjects, subjectLabels: labels } = v;
  const n = subjects.length;
  if (n === 0) return 0;
  const f = SUBJECT_FAMILIES;
  let series = n * (1 + HEALTH_STATES.length + 4);

  w.put(f.info.header);
  for (let i = 0; i < n; i++) w.sample(f.info.open, labels[i]!.info, TAIL_1);

  w.put(f.health.header);
  for (let i = 0; i < n; i++) {
    const health = subjects[i]!.health;
    const subjectKind = labels[i]!.subjectKind;
    for (let k = 0; k < HEALTH_STATES.length; k++) {
      w.sample(f.health.open, subjectKind, health === HEALTH_STATES[k] ? HEALTH_TAILS.on[k]! : HEALTH_TAILS.off[k]!);
    }
  }

  series += optionalFamily(w, f.connectivity, () => {
    let written = 0;
    for (let i = 0; i < n; i++) {
      const connectivity = subjects[i]!.connectivity;
      if (connectivity === undefined) continue; // never known: absent, not 0
      w.sample(f.connectivity.open, labels[i]!.subjectKind, connectivity === 'available' ? TAIL_1 : TAIL_0);
      written++;
    }
    return written;
  });

  w.put(f.warnings.header);
  for (let i = 0; i < n; i++) w.sampleValue(f.warnings.open, labels[i]!.subjectKind, subjects[i]!.warnings);

  series += optionalFamily(w, f.lastSeen, () => {
    let written = 0;
    for (let i = 0; i < n; i++) {
      const lastSeenAt = subjects[i]!.lastSeenAt;
      if (lastSeenAt === undefined) continue; // never seen
      w.sampleSeconds(f.lastSeen.open, labels[i]!.subjectKind, lastSeenAt);
      written++;
    }
    return written;
  });

  w.put(f.healthChanged.header);
  for (let i = 0; i < n; i++) w.sampleSeconds(f.healthChanged.open, labels[i]!.subjectKind, subjects[i]!.healthChangedAt);
  w.put(f.healthChanges.header);
  for (let i = 0; i < n; i++) w.sampleValue(f.healthChanges.open, labels[i]!.subjectKind, subjects[i]!.healthChanges);
  w.put(f.connectivityChanges.header);
  for (let i = 0; i < n; i++) w.sampleValue(f.connectivityChanges.open, labels[i]!.subjectKind, subjects[i]!.connectivityChanges);

  series += optionalFamily(w, f.manipulation, () => {
    let written = 0;
    for (let i = 0; i < n; i++) {
      const manipulations = subjects[i]!.manipulations;
      for (const name in manipulations) {
        const rest = `,manipulation="${cache.value(name)}"} ${formatSecondsFromMs(manipulations[name]!.endedAt)}\n`;
        w.sampleRest(f.manipulation.open, labels[i]!.subjectKind, rest);
        written++;
      }
    }
    return written;
  });

  series += optionalFamily(w, f.metadata, () => {
    let written = 0;
    for (let i = 0; i < n; i++) {
      const metadata = subjects[i]!.metadata;
      for (const key in metadata) {
        const value = metadata[key]!.value;
        if (typeof value !== 'number') continue; // text-only entries live in the API, not in metrics
        w.sampleRest(f.metadata.open, labels[i]!.subjectKind, `,key="${cache.value(key)}"} ${formatValue(value)}\n`);
        written++;
      }
    }
    return written;
  });

  series += optionalFamily(w, f.dependencyDown, () => {
    let written = 0;
    for (let i = 0; i < n; i++) {
      if (subjects[i]!.spec.dependsOn.length === 0) continue;
      w.sample(f.dependencyDown.open, labels[i]!.subjectKind, dependencyDown(v.state, subjects[i]!) ? TAIL_1 : TAIL_0);
      written++;
    }
    return written;
  });

  series += optionalFamily(w, f.dependants, () => {
    let written = 0;
    for (let i = 0; i < n; i++) {
      const count = dependantCount(v.state.dependents, subjects[i]!.spec.id);
      if (count === 0) continue;
      w.sampleValue(f.dependants.open, labels[i]!.subjectKind, count);
      written++;
    }
    return written;
  });
  return series;
}

/** Direct and transitive dependants of `id` (the engine refuses cycles; `seen` keeps an old one finite). */
function dependantCount(dependents: ReadonlyMap<string, ReadonlySet<string>>, id: string): number {
  const direct = dependents.get(id);
  if (direct === undefined || direct.size === 0) return 0;
  const seen = new Set<string>();
  const queue = [...direct];
  for (let i = 0; i < queue.length; i++) {
    const next = queue[i]!;
    if (next === id || seen.has(next)) continue;
    seen.add(next);
    for (const further of dependents.get(next) ?? []) queue.push(further);
  }
  return seen.size;
}

const RUN_OUTCOME_TAILS = RUN_OUTCOMES.map((outcome) => `,outcome="${outcome}"} `);

/** Calls `each` with the labels and record of every visible run record (checks that never answered included). */
function forEachRunRecord(v: Visible, cache: LabelCache, each: (labels: Piece, record: RunRecord) => void): void {
  for (let i = 0; i < v.subjects.length; i++) {
    const subject = v.subjects[i]!;
    const runs = subject.runs;
    if (runs === undefined) continue;
    for (const name in runs) {
      if (subject.checks[name]?.dropped) continue; // hidden with the rest of the check's series
      each(cache.check(v.subjectLabels[i]!, name), runs[name]!);
    }
  }
}

/** vigil_check_runs_total and vigil_check_last_run{outcome}: what rules count "consecutive runs in on:" from. */
export function renderRuns(v: Visible, cache: LabelCache, w: ExpositionWriter): number {
  let series = optionalFamily(w, RUN_FAMILIES.total, () => {
    let written = 0;
    forEachRunRecord(v, cache, (labels, record) => {
      w.sampleValue(RUN_FAMILIES.total.open, labels, record.total);
      written++;
    });
    return written;
  });
  if (series === 0) return 0;
  w.put(RUN_FAMILIES.last.header);
  forEachRunRecord(v, cache, (labels, record) => {
    for (let k = 0; k < RUN_OUTCOMES.length; k++) {
      const last = record.last[RUN_OUTCOMES[k]!];
      if (last === undefined) continue;
      w.sampleRest(RUN_FAMILIES.last.open, labels, `${RUN_OUTCOME_TAILS[k]}${formatValue(last)}\n`);
      series++;
    }
  });
  return series;
}

export function renderChecks(v: Visible, w: ExpositionWriter): number {
  const { checks, checkLabels: labels } = v;
  const n = checks.length;
  if (n === 0) return 0;
  const f = CHECK_FAMILIES;

  w.put(f.status.header);
  for (let i = 0; i < n; i++) {
    const status = checks[i]!.status;
    const checkLabels = labels[i]!;
    for (let k = 0; k < CHECK_STATUSES.length; k++) {
      w.sample(f.status.open, checkLabels, status === CHECK_STATUSES[k] ? STATUS_TAILS.on[k]! : STATUS_TAILS.off[k]!);
    }
  }
  w.put(f.counted.header);
  for (let i = 0; i < n; i++) w.sample(f.counted.open, labels[i]!, checks[i]!.counted ? TAIL_1 : TAIL_0);
  w.put(f.received.header);
  for (let i = 0; i < n; i++) w.sampleSeconds(f.received.open, labels[i]!, checks[i]!.receivedAt);
  w.put(f.statusChanged.header);
  for (let i = 0; i < n; i++) w.sampleSeconds(f.statusChanged.open, labels[i]!, checks[i]!.statusChangedAt);
  w.put(f.effective.header);
  for (let i = 0; i < n; i++) w.sampleSeconds(f.effective.open, labels[i]!, checks[i]!.effectiveAt);
  w.put(f.expiry.header);
  for (let i = 0; i < n; i++) w.sampleSeconds(f.expiry.open, labels[i]!, checks[i]!.expiresAt);
  w.put(f.consecutiveFailures.header);
  for (let i = 0; i < n; i++) w.sampleValue(f.consecutiveFailures.open, labels[i]!, checks[i]!.consecutiveFailures);
  w.put(f.consecutiveSuccesses.header);
  for (let i = 0; i < n; i++) w.sampleValue(f.consecutiveSuccesses.open, labels[i]!, checks[i]!.consecutiveSuccesses);
  return n * (CHECK_STATUSES.length + 7);
}

/** One probe family fed by one `metrics` key; checks without it have no series. */
function probeFamily(v: Visible, w: ExpositionWriter, family: FamilyDef, key: string): number {
  return optionalFamily(w, family, () => {
    const { checks, checkLabels: labels } = v;
    let written = 0;
    for (let i = 0; i < checks.length; i++) {
      const value = checks[i]!.metrics?.[key];
      if (value === undefined) continue;
      w.sampleValue(family.open, labels[i]!, value);
      written++;
    }
    return written;
  });
}

export function renderProbes(v: Visible, w: ExpositionWriter): number {
  const p = PROBE_FAMILIES;
  let series = 0;
  series += probeFamily(v, w, p.duration, PROBE_METRIC_KEYS.duration);
  series += probeFamily(v, w, p.responseBytes, PROBE_METRIC_KEYS.responseBytes);
  series += probeFamily(v, w, p.httpStatusCode, PROBE_METRIC_KEYS.httpStatusCode);
  series += probeFamily(v, w, p.icmpPacketLoss, PROBE_METRIC_KEYS.icmpPacketLoss);
  series += probeFamily(v, w, p.tlsCertExpiry, PROBE_METRIC_KEYS.tlsCertExpiry);
  series += optionalFamily(w, p.icmpRtt, () => {
    const { checks, checkLabels: labels } = v;
    let written = 0;
    for (let i = 0; i < checks.length; i++) {
      const metrics = checks[i]!.metrics;
      if (metrics === undefined) continue;
      for (const [stat, key] of ICMP_RTT_KEYS) {
        const value = metrics[key];
        if (value === undefined) continue;
        w.sampleRest(p.icmpRtt.open, labels[i]!, `,stat="${stat}"} ${formatValue(value)}\n`);
        written++;
      }
    }
    return written;
  });
  return series;
}

export function renderSources(state: EngineState, cache: LabelCache, w: ExpositionWriter): number {
  if (state.sources.size === 0) return 0;
  const f = SOURCE_FAMILIES;
  const sources = [...state.sources.values()];
  const labels = sources.map((source) => piece(`source="${escapeLabelValue(source.name)}"`));

  w.put(f.up.header);
  sources.forEach((source, i) => w.sample(f.up.open, labels[i]!, source.up ? TAIL_1 : TAIL_0));
  let series = sources.length;
  series += optionalFamily(w, f.lastSuccess, () => {
    let written = 0;
    sources.forEach((source, i) => {
      if (source.lastSuccessAt === undefined) return;
      w.sampleSeconds(f.lastSuccess.open, labels[i]!, source.lastSuccessAt);
      written++;
    });
    return written;
  });
  series += optionalFamily(w, f.errors, () => {
    let written = 0;
    sources.forEach((source, i) => {
      for (const reason in source.errors) {
        w.sampleRest(f.errors.open, labels[i]!, `,reason="${cache.value(reason)}"} ${formatValue(source.errors[reason]!)}\n`);
        written++;
      }
    });
    return written;
  });
  return series;
}
