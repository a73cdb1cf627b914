// The two baselines the fast renderer is measured against:
//  (b) the same series registered the ordinary way in prom-client (labelled gauges and counters, set per series,
//      then registry.metrics()), and
//  (c) a naive hand-written build of the same bytes: template literals, escaping every value every time, no cache.
import { Counter, Gauge, Registry } from 'prom-client';
import { dependencyDown } from '../src/engine/runs.js';
import {
  CHECK_STATUSES,
  HEALTH_STATES,
  RUN_OUTCOMES,
  type CheckState,
  type EngineState,
  type RunRecord,
  type SubjectState,
} from '../src/engine/types.js';
import {
  CHECK_FAMILIES as C,
  PROBE_FAMILIES as P,
  RUN_FAMILIES as R,
  SOURCE_FAMILIES as S,
  SUBJECT_FAMILIES as F,
  type FamilyDef,
} from '../src/exporter/metrics/families.js';
import { escapeLabelValue as esc, formatValue, sanitizeLabelName } from '../src/exporter/metrics/text-format.js';

const INFO_OWN = new Set(['subject', 'kind', 'source']);

function infoLabels(spec: SubjectState['spec']): Record<string, string> {
  const labels: Record<string, string> = { subject: spec.id, kind: spec.kind, source: spec.source };
  for (const key of Object.keys(spec.labels).sort()) {
    const name = sanitizeLabelName(key, INFO_OWN);
    if (!(name in labels)) labels[name] = spec.labels[key]!;
  }
  return labels;
}

function visibleChecks(s: SubjectState): CheckState[] {
  return Object.values(s.checks).filter((c) => !c.dropped);
}

function visibleRuns(s: SubjectState): [string, RunRecord][] {
  return Object.entries(s.runs ?? {}).filter(([name]) => !s.checks[name]?.dropped);
}

/** Direct and transitive dependants, counted plainly. */
function dependantsOf(state: EngineState, id: string): number {
  const seen = new Set<string>();
  const queue = [...(state.dependents.get(id) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (next === id || seen.has(next)) continue;
    seen.add(next);
    queue.push(...(state.dependents.get(next) ?? []));
  }
  return seen.size;
}

// ---- (c) naive ------------------------------------------------------------------------------------------

export function renderNaive(state: EngineState): string {
  const subjects = [...state.subjects.values()];
  let out = '';
  const family = (def: FamilyDef, lines: string): void => {
    if (lines !== '') out += def.header.text + lines;
  };
  const sk = (s: SubjectState): string => `subject="${esc(s.spec.id)}",kind="${esc(s.spec.kind)}"`;
  const ck = (s: SubjectState, c: CheckState): string => `subject="${esc(s.spec.id)}",check="${esc(c.name)}"`;
  const perSubject = (def: FamilyDef, line: (s: SubjectState) => string): void => family(def, subjects.map(line).join(''));
  const perCheck = (def: FamilyDef, line: (s: SubjectState, c: CheckState) => string): void =>
    family(
      def,
      subjects
        .map((s) =>
          visibleChecks(s)
            .map((c) => line(s, c))
            .join(''),
        )
        .join(''),
    );

  perSubject(
    F.info,
    (s) =>
      `${F.info.name}{${Object.entries(infoLabels(s.spec))
        .map(([k, v]) => `${k}="${esc(v)}"`)
        .join(',')}} 1\n`,
  );
  perSubject(F.health, (s) => HEALTH_STATES.map((h) => `${F.health.name}{${sk(s)},state="${h}"} ${s.health === h ? 1 : 0}\n`).join(''));
  perSubject(F.connectivity, (s) =>
    s.connectivity === undefined ? '' : `${F.connectivity.name}{${sk(s)}} ${s.connectivity === 'available' ? 1 : 0}\n`,
  );
  perSubject(F.warnings, (s) => `${F.warnings.name}{${sk(s)}} ${s.warnings}\n`);
  perSubject(F.lastSeen, (s) => (s.lastSeenAt === undefined ? '' : `${F.lastSeen.name}{${sk(s)}} ${s.lastSeenAt / 1000}\n`));
  perSubject(F.healthChanged, (s) => `${F.healthChanged.name}{${sk(s)}} ${s.healthChangedAt / 1000}\n`);
  perSubject(F.healthChanges, (s) => `${F.healthChanges.name}{${sk(s)}} ${s.healthChanges}\n`);
  perSubject(F.connectivityChanges, (s) => `${F.connectivityChanges.name}{${sk(s)}} ${s.connectivityChanges}\n`);
  perSubject(F.manipulation, (s) =>
    Object.entries(s.manipulations)
      .map(([name, m]) => `${F.manipulation.name}{${sk(s)},manipulation="${esc(name)}"} ${m.endedAt / 1000}\n`)
      .join(''),
  );
  perSubject(F.metadata, (s) =>
    Object.entries(s.metadata)
      .filter(([, e]) => typeof e.value === 'number')
      .map(([key, e]) => `${F.metadata.name}{${sk(s)},key="${esc(key)}"} ${formatValue(e.value!)}\n`)
      .join(''),
  );
  perSubject(F.dependencyDown, (s) =>
    s.spec.dependsOn.length === 0 ? '' : `${F.dependencyDown.name}{${sk(s)}} ${dependencyDown(state, s) ? 1 : 0}\n`,
  );
  perSubject(F.dependants, (s) => {
    const count = dependantsOf(state, s.spec.id);
    return count === 0 ? '' : `${F.dependants.name}{${sk(s)}} ${count}\n`;
  });

  perCheck(C.status, (s, c) => CHECK_STATUSES.map((st) => `${C.status.name}{${ck(s, c)},status="${st}"} ${c.status === st ? 1 : 0}\n`).join(''));
  perCheck(C.counted, (s, c) => `${C.counted.name}{${ck(s, c)}} ${c.counted ? 1 : 0}\n`);
  perCheck(C.notCounted, (s, c) => (c.counted ? '' : `${C.notCounted.name}{${ck(s, c)},reason="${esc(c.notCountedReason ?? 'unknown')}"} 1\n`));
  perCheck(C.received, (s, c) => `${C.received.name}{${ck(s, c)}} ${c.receivedAt / 1000}\n`);
  perCheck(C.statusChanged, (s, c) => `${C.statusChanged.name}{${ck(s, c)}} ${c.statusChangedAt / 1000}\n`);
  perCheck(C.effective, (s, c) => `${C.effective.name}{${ck(s, c)}} ${c.effectiveAt / 1000}\n`);
  perCheck(C.expiry, (s, c) => `${C.expiry.name}{${ck(s, c)}} ${c.expiresAt / 1000}\n`);
  perCheck(C.consecutiveFailures, (s, c) => `${C.consecutiveFailures.name}{${ck(s, c)}} ${c.consecutiveFailures}\n`);
  perCheck(C.consecutiveSuccesses, (s, c) => `${C.consecutiveSuccesses.name}{${ck(s, c)}} ${c.consecutiveSuccesses}\n`);
  const rk = (s: SubjectState, name: string): string => `subject="${esc(s.spec.id)}",check="${esc(name)}"`;
  perSubject(R.total, (s) =>
    visibleRuns(s)
      .map(([name, r]) => `${R.total.name}{${rk(s, name)}} ${r.total}\n`)
      .join(''),
  );
  perSubject(R.last, (s) =>
    visibleRuns(s)
      .map(([name, r]) =>
        RUN_OUTCOMES.map((o) => (r.last[o] === undefined ? '' : `${R.last.name}{${rk(s, name)},outcome="${o}"} ${r.last[o]}\n`)).join(''),
      )
      .join(''),
  );
  for (const def of P) {
    perCheck(def, (s, c) =>
      def.keys
        .map(({ key, stat }) =>
          c.metrics?.[key] === undefined
            ? ''
            : `${def.name}{${ck(s, c)}${stat === undefined ? '' : `,stat="${stat}"`}} ${formatValue(c.metrics[key])}\n`,
        )
        .join(''),
    );
  }

  const sources = [...state.sources.values()];
  family(S.up, sources.map((src) => `${S.up.name}{source="${esc(src.name)}"} ${src.up ? 1 : 0}\n`).join(''));
  family(
    S.lastSuccess,
    sources
      .map((src) => (src.lastSuccessAt === undefined ? '' : `${S.lastSuccess.name}{source="${esc(src.name)}"} ${src.lastSuccessAt / 1000}\n`))
      .join(''),
  );
  family(
    S.errors,
    sources
      .map((src) =>
        Object.entries(src.errors)
          .map(([reason, n]) => `${S.errors.name}{source="${esc(src.name)}",reason="${esc(reason)}"} ${n}\n`)
          .join(''),
      )
      .join(''),
  );
  return out;
}

// ---- (b) prom-client, the ordinary way ------------------------------------------------------------------

export interface PromClientBaseline {
  registry: Registry;
  /** Resets every metric and sets every series from the state (what a collect callback would do). */
  load(state: EngineState): void;
}

export function createPromClientBaseline(): PromClientBaseline {
  const registry = new Registry();
  const gauge = (def: FamilyDef, labelNames: string[]): Gauge => new Gauge({ name: def.name, help: def.help, labelNames, registers: [registry] });
  const counter = (def: FamilyDef, labelNames: string[]): Counter =>
    new Counter({ name: def.name, help: def.help, labelNames, registers: [registry] });
  const subj = ['subject', 'kind'];
  const chk = ['subject', 'check'];
  // vigil_subject_info carries configured labels, so its label names are only known from the state.
  let info: Gauge | undefined;
  const health = gauge(F.health, [...subj, 'state']);
  const connectivity = gauge(F.connectivity, subj);
  const warnings = gauge(F.warnings, subj);
  const lastSeen = gauge(F.lastSeen, subj);
  const healthChanged = gauge(F.healthChanged, subj);
  const healthChanges = counter(F.healthChanges, subj);
  const connectivityChanges = counter(F.connectivityChanges, subj);
  const manipulation = gauge(F.manipulation, [...subj, 'manipulation']);
  const metadata = gauge(F.metadata, [...subj, 'key']);
  const status = gauge(C.status, [...chk, 'status']);
  const counted = gauge(C.counted, chk);
  const notCounted = gauge(C.notCounted, [...chk, 'reason']);
  const received = gauge(C.received, chk);
  const statusChanged = gauge(C.statusChanged, chk);
  const effective = gauge(C.effective, chk);
  const expiry = gauge(C.expiry, chk);
  const failures = gauge(C.consecutiveFailures, chk);
  const successes = gauge(C.consecutiveSuccesses, chk);
  const dependencyIsDown = gauge(F.dependencyDown, subj);
  const dependants = gauge(F.dependants, subj);
  const runsTotal = counter(R.total, chk);
  const lastRun = gauge(R.last, [...chk, 'outcome']);
  const probes = P.map((def) => ({ keys: def.keys, gauge: gauge(def, def.keys.some(({ stat }) => stat !== undefined) ? [...chk, 'stat'] : chk) }));
  const sourceUp = gauge(S.up, ['source']);
  const sourceLastSuccess = gauge(S.lastSuccess, ['source']);
  const sourceErrors = counter(S.errors, ['source', 'reason']);

  return {
    registry,
    load(state) {
      for (const metric of registry.getMetricsAsArray()) (metric as unknown as Gauge | Counter).reset();
      const subjects = [...state.subjects.values()];
      if (info === undefined) {
        const names = new Set<string>();
        for (const s of subjects) for (const name of Object.keys(infoLabels(s.spec))) names.add(name);
        info = gauge(F.info, [...names]);
      }
      for (const s of subjects) {
        const sl = { subject: s.spec.id, kind: s.spec.kind };
        info.set(infoLabels(s.spec), 1);
        for (const h of HEALTH_STATES) health.set({ ...sl, state: h }, s.health === h ? 1 : 0);
        if (s.connectivity !== undefined) connectivity.set(sl, s.connectivity === 'available' ? 1 : 0);
        warnings.set(sl, s.warnings);
        if (s.lastSeenAt !== undefined) lastSeen.set(sl, s.lastSeenAt / 1000);
        healthChanged.set(sl, s.healthChangedAt / 1000);
        healthChanges.inc(sl, s.healthChanges);
        connectivityChanges.inc(sl, s.connectivityChanges);
        for (const [name, m] of Object.entries(s.manipulations)) manipulation.set({ ...sl, manipulation: name }, m.endedAt / 1000);
        for (const [key, e] of Object.entries(s.metadata)) if (typeof e.value === 'number') metadata.set({ ...sl, key }, e.value);
        if (s.spec.dependsOn.length > 0) dependencyIsDown.set(sl, dependencyDown(state, s) ? 1 : 0);
        const dependantCount = dependantsOf(state, s.spec.id);
        if (dependantCount > 0) dependants.set(sl, dependantCount);
        for (const [name, r] of visibleRuns(s)) {
          runsTotal.inc({ subject: s.spec.id, check: name }, r.total);
          for (const o of RUN_OUTCOMES) if (r.last[o] !== undefined) lastRun.set({ subject: s.spec.id, check: name, outcome: o }, r.last[o]);
        }
        for (const c of visibleChecks(s)) {
          const cl = { subject: s.spec.id, check: c.name };
          for (const st of CHECK_STATUSES) status.set({ ...cl, status: st }, c.status === st ? 1 : 0);
          counted.set(cl, c.counted ? 1 : 0);
          if (!c.counted) notCounted.set({ ...cl, reason: c.notCountedReason ?? 'unknown' }, 1);
          received.set(cl, c.receivedAt / 1000);
          statusChanged.set(cl, c.statusChangedAt / 1000);
          effective.set(cl, c.effectiveAt / 1000);
          expiry.set(cl, c.expiresAt / 1000);
          failures.set(cl, c.consecutiveFailures);
          successes.set(cl, c.consecutiveSuccesses);
          for (const probe of probes) {
            for (const { key, stat } of probe.keys)
              if (c.metrics?.[key] !== undefined) probe.gauge.set(stat === undefined ? cl : { ...cl, stat }, c.metrics[key]);
          }
        }
      }
      for (const src of state.sources.values()) {
        sourceUp.set({ source: src.name }, src.up ? 1 : 0);
        if (src.lastSuccessAt !== undefined) sourceLastSuccess.set({ source: src.name }, src.lastSuccessAt / 1000);
        for (const [reason, n] of Object.entries(src.errors)) sourceErrors.inc({ source: src.name, reason }, n);
      }
    },
  };
}
