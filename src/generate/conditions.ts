// What a policy's `on:` conditions become in PromQL.
//
// Check scope — runs (crit, warn, unreachable) are counted exactly from the exporter's run records:
//   consecutive runs in `on` = vigil_check_runs_total − (number of the latest run whose outcome is not in `on`),
// so `on: [crit, unreachable]` counts FUFUU as 5 however the runs failed. A passing run is ok, or warn/crit when not
// listed; unknown, and unreachable when not listed, end a streak both ways (they say nothing about the service).
// When crit is the only run condition (the default `on: [crit]`, or `[crit, stale]`), the rule keeps vigil's result
// counters, on which unreached runs are not results at all.
// `stale` has no runs to count: it counts evaluation intervals since the result expired.
//
// Subject scope — states, counted in evaluation intervals (`for`, `keep_firing_for`).
import { policyConditions, type CheckCondition, type PolicyConfig, type SubjectCondition } from '../config/alerting.js';
import { RUN_OUTCOMES, type RunOutcome } from '../engine/types.js';
import { held, selector, type Matchers } from './promql.js';

/** One outage, one message: nothing of a subject's own while a dependency of it is down (its alert says it all). */
export const UNLESS_DEPENDENCY_DOWN = 'unless on (subject) vigil_subject_dependency_down == 1';

const RUN_CONDITIONS = ['crit', 'warn', 'unreachable'] as const satisfies readonly (CheckCondition & RunOutcome)[];

/** Whether the policy is the classic one: check scope counting crit results, or subject scope on unhealthy. */
export function isClassic(policy: Pick<PolicyConfig, 'on' | 'scope'>): boolean {
  const conditions = policyConditions(policy);
  return conditions.length === 1 && conditions[0] === (policy.scope === 'subject' ? 'unhealthy' : 'crit');
}

export interface CheckTerms {
  /** Fires: enough consecutive failing runs (or stale long enough), and nothing says the check is not to be counted. */
  firing: string[];
  /** Consecutive passing runs, for the hysteresis branch; undefined when the policy counts no runs. */
  passing?: string;
}

/** Consecutive runs up to the latest whose outcome is not one of `breaking` (0 when none of them happened yet). */
function streak(breaking: readonly RunOutcome[], series: Matchers, gap?: string): string {
  const total = held(selector('vigil_check_runs_total', series), gap);
  const last = held(selector('vigil_check_last_run', { ...series, outcome: [...breaking] }), gap);
  return `${total} - on (subject, check) max by (subject, check) (${last} or ${total} * 0)`;
}

export function checkTerms(policy: PolicyConfig, series: Matchers, evaluationMs: number, gap: string | undefined): CheckTerms {
  const conditions = policyConditions(policy) as CheckCondition[];
  const runConditions = RUN_CONDITIONS.filter((condition) => conditions.includes(condition));
  const terms: CheckTerms = { firing: [] };
  if (runConditions.length === 1 && runConditions[0] === 'crit') {
    terms.firing.push(
      `${selector('vigil_check_consecutive_failures', series)} >= ${policy.threshold}\n    unless on (subject, check) vigil_check_not_counted`,
    );
    terms.passing = held(selector('vigil_check_consecutive_successes', series), gap);
  } else if (runConditions.length > 0) {
    const failing: readonly RunOutcome[] = runConditions;
    const passing: RunOutcome[] = ['ok', ...(['warn', 'crit'] as const).filter((outcome) => !conditions.includes(outcome))];
    // A fresh result that does not count (before a manipulation, after a rename, behind a dependency) holds it back;
    // a stale one does not: a check goes stale precisely while its runs do not reach the peer.
    terms.firing.push(
      [
        `(${streak(
          RUN_OUTCOMES.filter((outcome) => !failing.includes(outcome)),
          series,
        )}) >= ${policy.threshold}`,
        '    unless on (subject, check) vigil_check_not_counted{reason!="stale"}',
        `    ${UNLESS_DEPENDENCY_DOWN}`,
      ].join('\n'),
    );
    terms.passing = `(${streak(
      RUN_OUTCOMES.filter((outcome) => !passing.includes(outcome)),
      series,
      gap,
    )})`;
  }
  if (conditions.includes('stale')) {
    // Not held through gaps: while vigil is down every expiry would seem to pass (VigilExporterDown says so instead).
    // Reads vigil_check_expiry_timestamp_seconds, which is opt-in (metrics.include): generate-rules says so.
    const seconds = ((policy.threshold - 1) * evaluationMs) / 1000;
    terms.firing.push(`time() - ${selector('vigil_check_expiry_timestamp_seconds', series)} >= ${seconds}\n    ${UNLESS_DEPENDENCY_DOWN}`);
  }
  return terms;
}

/** One term per subject condition: the subjects in that state, by (subject, kind). */
export function subjectTerms(policy: PolicyConfig, series: Matchers, gap: string | undefined): string[] {
  const conditions = policyConditions(policy) as SubjectCondition[];
  const health = (state: string) => `max by (subject, kind) (${held(selector('vigil_subject_health', { ...series, state }), gap)}) == 1`;
  const term: Record<SubjectCondition, string> = {
    unhealthy: health('unhealthy'),
    missing: `(${health('missing')} ${UNLESS_DEPENDENCY_DOWN})`,
    unavailable: `(max by (subject, kind) (${held(selector('vigil_subject_connectivity', series), gap)}) == 0 ${UNLESS_DEPENDENCY_DOWN})`,
    warnings: `max by (subject, kind) (${held(selector('vigil_subject_warnings', series), gap)}) > 0`,
  };
  return conditions.map((condition) => term[condition]);
}

/** Which built-in alert each condition stands for: a policy covering it takes over for the subjects it matches. */
export type CoveredBuiltin = 'unhealthy' | 'unavailable' | 'missing' | 'stale';

/** Built-ins a policy takes over. A check policy covers a subject state only when it watches every check. */
export function coveredBuiltins(policy: PolicyConfig): CoveredBuiltin[] {
  if (policy.notify === 'always') return [];
  const conditions = policyConditions(policy);
  if (policy.scope === 'subject') return conditions.filter((c): c is CoveredBuiltin => c === 'unhealthy' || c === 'unavailable' || c === 'missing');
  const covered: CoveredBuiltin[] = conditions.includes('stale') ? ['stale'] : [];
  if (!('check' in policy.match)) {
    if (conditions.includes('crit')) covered.push('unhealthy');
    if (conditions.includes('unreachable')) covered.push('unavailable');
  }
  return covered;
}
