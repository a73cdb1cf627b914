// One emitter per large family, writing the series of ONE subject (its own, or those of its checks): the
// incremental renderer (render.ts) runs each over a chunk of subjects and keeps the bytes until one of them
// changes (or one it depends on: render.ts says which). The per-source families are few and written whole.
import { dependencyDown } from '../../engine/runs.js';
import {
  CHECK_STATUSES,
  HEALTH_STATES,
  RUN_OUTCOMES,
  type CheckState,
  type EngineState,
  type RunRecord,
  type SubjectState,
} from '../../engine/types.js';
import { CHECK_FAMILIES, PROBE_FAMILIES, RUN_FAMILIES, SOURCE_FAMILIES, SUBJECT_FAMILIES, type FamilyDef, type ProbeFamilyDef } from './families.js';
import type { LabelCache, SubjectLabels } from './label-cache.js';
import { escapeLabelValue, formatSecondsFromMs, formatValue } from './text-format.js';
import { optionalFamily } from './whole-families.js';
import { piece, type ExpositionWriter, type Piece } from './writer.js';

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

/** Writes the series of one subject for one family; returns how many. */
export type SubjectEmitter = (subject: SubjectState, labels: SubjectLabels, cache: LabelCache, w: ExpositionWriter, state: EngineState) => number;

export interface LargeFamily {
  def: FamilyDef;
  emit: SubjectEmitter;
}

/** Runs `each` over the visible (not dropped) checks of a subject with their cached label sets. */
function forChecks(subject: SubjectState, labels: SubjectLabels, cache: LabelCache, each: (check: CheckState, checkLabels: Piece) => number): number {
  let written = 0;
  const checks = subject.checks;
  for (const name in checks) {
    const check = checks[name]!;
    if (check.dropped) continue; // a lost source's checks disappear until they report again
    written += each(check, cache.check(labels, name));
  }
  return written;
}

const RUN_OUTCOME_TAILS = RUN_OUTCOMES.map((outcome) => `,outcome="${outcome}"} `);

/** Runs `each` over the run records of a subject's visible checks. */
function forRuns(subject: SubjectState, labels: SubjectLabels, cache: LabelCache, each: (checkLabels: Piece, record: RunRecord) => number): number {
  const runs = subject.runs;
  if (runs === undefined) return 0;
  let written = 0;
  for (const name in runs) {
    if (subject.checks[name]?.dropped) continue;
    written += each(cache.check(labels, name), runs[name]!);
  }
  return written;
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

const S = SUBJECT_FAMILIES;
const C = CHECK_FAMILIES;

function checkFamily(def: FamilyDef, write: (w: ExpositionWriter, check: CheckState, labels: Piece) => number): LargeFamily {
  return { def, emit: (subject, labels, cache, w) => forChecks(subject, labels, cache, (check, checkLabels) => write(w, check, checkLabels)) };
}

/** A probe family: one series per check metric key; keys that share the family each add `stat="…"`. */
function probeFamily(def: ProbeFamilyDef): LargeFamily {
  const [only] = def.keys;
  if (def.keys.length === 1 && only!.stat === undefined) {
    const key = only!.key;
    return checkFamily(def, (w, check, labels) => {
      const value = check.metrics?.[key];
      if (value === undefined) return 0;
      w.sampleValue(def.open, labels, value);
      return 1;
    });
  }
  const tails = def.keys.map(({ key, stat }) => ({ key, tail: `,stat="${stat}"} ` }));
  return checkFamily(def, (w, check, labels) => {
    const metrics = check.metrics;
    if (metrics === undefined) return 0;
    let written = 0;
    for (const { key, tail } of tails) {
      const value = metrics[key];
      if (value === undefined) continue;
      w.sampleRest(def.open, labels, `${tail}${formatValue(value)}\n`);
      written++;
    }
    return written;
  });
}

/** Every large family in exposition order. */
export const LARGE_FAMILIES: readonly LargeFamily[] = [
  { def: S.info, emit: (_s, l, _c, w) => (w.sample(S.info.open, l.info, TAIL_1), 1) },
  {
    def: S.health,
    emit: (s, l, _c, w) => {
      for (let k = 0; k < HEALTH_STATES.length; k++) {
        w.sample(S.health.open, l.subjectKind, s.health === HEALTH_STATES[k] ? HEALTH_TAILS.on[k]! : HEALTH_TAILS.off[k]!);
      }
      return HEALTH_STATES.length;
    },
  },
  {
    def: S.connectivity,
    emit: (s, l, _c, w) => {
      if (s.connectivity === undefined) return 0; // never known: absent, not 0
      w.sample(S.connectivity.open, l.subjectKind, s.connectivity === 'available' ? TAIL_1 : TAIL_0);
      return 1;
    },
  },
  { def: S.warnings, emit: (s, l, _c, w) => (w.sampleValue(S.warnings.open, l.subjectKind, s.warnings), 1) },
  {
    def: S.lastSeen,
    emit: (s, l, _c, w) => {
      if (s.lastSeenAt === undefined) return 0; // never seen
      w.sampleSeconds(S.lastSeen.open, l.subjectKind, s.lastSeenAt);
      return 1;
    },
  },
  { def: S.healthChanged, emit: (s, l, _c, w) => (w.sampleSeconds(S.healthChanged.open, l.subjectKind, s.healthChangedAt), 1) },
  { def: S.healthChanges, emit: (s, l, _c, w) => (w.sampleValue(S.healthChanges.open, l.subjectKind, s.healthChanges), 1) },
  { def: S.connectivityChanges, emit: (s, l, _c, w) => (w.sampleValue(S.connectivityChanges.open, l.subjectKind, s.connectivityChanges), 1) },
  {
    def: S.manipulation,
    emit: (s, l, cache, w) => {
      let written = 0;
      for (const name in s.manipulations) {
        w.sampleRest(
          S.manipulation.open,
          l.subjectKind,
          `,manipulation="${cache.value(name)}"} ${formatSecondsFromMs(s.manipulations[name]!.endedAt)}\n`,
        );
        written++;
      }
      return written;
    },
  },
  {
    def: S.metadata,
    emit: (s, l, cache, w) => {
      let written = 0;
      for (const key in s.metadata) {
        const value = s.metadata[key]!.value;
        if (typeof value !== 'number') continue; // text-only entries live in the API, not in metrics
        w.sampleRest(S.metadata.open, l.subjectKind, `,key="${cache.value(key)}"} ${formatValue(value)}\n`);
        written++;
      }
      return written;
    },
  },
  {
    // Follows the subject's dependencies: the renderer re-renders a subject whose dependency changed.
    def: S.dependencyDown,
    emit: (s, l, _c, w, state) => {
      if (s.spec.dependsOn.length === 0) return 0; // absent without dependencies
      w.sample(S.dependencyDown.open, l.subjectKind, dependencyDown(state, s) ? TAIL_1 : TAIL_0);
      return 1;
    },
  },
  {
    def: S.dependants,
    emit: (s, l, _c, w, state) => {
      const count = dependantCount(state.dependents, s.spec.id);
      if (count === 0) return 0;
      w.sampleValue(S.dependants.open, l.subjectKind, count);
      return 1;
    },
  },
  checkFamily(C.status, (w, check, labels) => {
    for (let k = 0; k < CHECK_STATUSES.length; k++) {
      w.sample(C.status.open, labels, check.status === CHECK_STATUSES[k] ? STATUS_TAILS.on[k]! : STATUS_TAILS.off[k]!);
    }
    return CHECK_STATUSES.length;
  }),
  checkFamily(C.counted, (w, check, labels) => (w.sample(C.counted.open, labels, check.counted ? TAIL_1 : TAIL_0), 1)),
  {
    def: C.notCounted,
    emit: (s, l, cache, w) =>
      forChecks(s, l, cache, (check, labels) => {
        if (check.counted) return 0; // present only while the check does not count
        w.sampleRest(C.notCounted.open, labels, `,reason="${cache.value(check.notCountedReason ?? 'unknown')}"} 1\n`);
        return 1;
      }),
  },
  checkFamily(C.received, (w, check, labels) => (w.sampleSeconds(C.received.open, labels, check.receivedAt), 1)),
  checkFamily(C.statusChanged, (w, check, labels) => (w.sampleSeconds(C.statusChanged.open, labels, check.statusChangedAt), 1)),
  checkFamily(C.effective, (w, check, labels) => (w.sampleSeconds(C.effective.open, labels, check.effectiveAt), 1)),
  checkFamily(C.expiry, (w, check, labels) => (w.sampleSeconds(C.expiry.open, labels, check.expiresAt), 1)),
  checkFamily(C.consecutiveFailures, (w, check, labels) => (w.sampleValue(C.consecutiveFailures.open, labels, check.consecutiveFailures), 1)),
  checkFamily(C.consecutiveSuccesses, (w, check, labels) => (w.sampleValue(C.consecutiveSuccesses.open, labels, check.consecutiveSuccesses), 1)),
  // Run records (unreached runs included): what rules count "consecutive runs in on:" from. Checks that never
  // answered have runs too; a dropped check's are hidden with the rest of its series.
  {
    def: RUN_FAMILIES.total,
    emit: (s, l, cache, w) => forRuns(s, l, cache, (labels, record) => (w.sampleValue(RUN_FAMILIES.total.open, labels, record.total), 1)),
  },
  {
    def: RUN_FAMILIES.last,
    emit: (s, l, cache, w) =>
      forRuns(s, l, cache, (labels, record) => {
        let written = 0;
        for (let k = 0; k < RUN_OUTCOMES.length; k++) {
          const last = record.last[RUN_OUTCOMES[k]!];
          if (last === undefined) continue;
          w.sampleRest(RUN_FAMILIES.last.open, labels, `${RUN_OUTCOME_TAILS[k]}${formatValue(last)}\n`);
          written++;
        }
        return written;
      }),
  },
  ...PROBE_FAMILIES.map(probeFamily),
];

/** The per-source families, whole (a handful of series); `enabled` filters by family name. */
export function renderSources(state: EngineState, cache: LabelCache, w: ExpositionWriter, enabled: (name: string) => boolean): number {
  if (state.sources.size === 0) return 0;
  const f = SOURCE_FAMILIES;
  const sources = [...state.sources.values()];
  const labels = sources.map((source) => piece(`source="${escapeLabelValue(source.name)}"`));
  let series = 0;
  if (enabled(f.up.name)) {
    w.put(f.up.header);
    for (const [i, source] of sources.entries()) w.sample(f.up.open, labels[i]!, source.up ? TAIL_1 : TAIL_0);
    series += sources.length;
  }
  if (enabled(f.lastSuccess.name)) {
    series += optionalFamily(w, f.lastSuccess, () => {
      let written = 0;
      sources.forEach((source, i) => {
        if (source.lastSuccessAt === undefined) return;
        w.sampleSeconds(f.lastSuccess.open, labels[i]!, source.lastSuccessAt);
        written++;
      });
      return written;
    });
  }
  if (enabled(f.errors.name)) {
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
  }
  return series;
}
