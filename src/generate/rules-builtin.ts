// Built-in alerts every vigil user needs, whatever their policies: subject health and connectivity, subjects that
// never reported, stale checks, lost sources, vigil itself down or gone, and an always-firing watchdog.
// They carry `policy="builtin"` and go to `alerting.default_receiver` (the watchdog to `alerting.watchdog_receiver`).
import type { PolicyConfig } from '../config/alerting.js';
import { coveredBuiltins, UNLESS_DEPENDENCY_DOWN, type CoveredBuiltin } from './conditions.js';
import {
  aboutSubject,
  annotations,
  BUILTIN_POLICY,
  orderedRule,
  withDependants,
  type AlertingRule,
  type RuleContext,
  type RuleGroup,
} from './rule-context.js';
import { held, joinSubjectInfo, selector } from './promql.js';

export const BUILTIN_ALERTS = {
  subjectUnhealthy: 'VigilSubjectUnhealthy',
  subjectUnavailable: 'VigilSubjectUnavailable',
  subjectMissing: 'VigilSubjectMissing',
  checkStale: 'VigilCheckStale',
  sourceDown: 'VigilSourceDown',
  exporterDown: 'VigilExporterDown',
  exporterAbsent: 'VigilExporterAbsent',
  watchdog: 'VigilWatchdog',
} as const;

/** Alerts about a subject being in trouble: these mute the alerts of the subjects that depend on it. */
export const SUBJECT_PROBLEM_SEVERITIES = ['critical', 'warning'] as const;

interface BuiltinSpec {
  alert: string;
  expr: string;
  /** Pending period; the engine has already applied its own grace (freshness, disconnect_grace, timeouts). */
  for: string;
  severity: 'critical' | 'warning' | 'none';
  template: string;
  /** Carries the `dependants` annotation: a subject alert that may be the one message of an outage. */
  dependants?: boolean;
}

function rule(spec: BuiltinSpec, context: RuleContext): AlertingRule {
  const out: AlertingRule = {
    alert: spec.alert,
    expr: spec.expr,
    labels: { policy: BUILTIN_POLICY, severity: spec.severity },
    annotations: annotations(context, spec.template, { for: spec.for, scrape_job: context.scrapeJob }, spec.alert),
  };
  if (spec.dependants) out.annotations = withDependants(out.annotations);
  if (spec.for !== '0s') out.for = spec.for;
  return orderedRule(out);
}

/**
 * `unless` clauses that leave to the policies the subjects (or checks) they cover for a condition: a subject matched
 * by a policy for `unavailable` gets that policy's alert, not also VigilSubjectUnavailable to default_receiver.
 */
export function coveredBy(policies: readonly PolicyConfig[], builtin: CoveredBuiltin, gap?: string): string {
  const clauses: string[] = [];
  for (const policy of policies) {
    if (!coveredBuiltins(policy).includes(builtin)) continue;
    const { check, ...subjectMatch } = policy.match;
    // Held like the alert's own data: through a gap in vigil's series the subject stays covered (else the built-in
    // would fire for it once the gap outlasts its `for`).
    const info = held(selector('vigil_subject_info', subjectMatch), gap);
    clauses.push(
      check === undefined
        ? `unless on (subject) ${info}`
        : `unless on (subject, check) (${selector('vigil_check_consecutive_failures', { check })} and on (subject) ${info})`,
    );
  }
  return [...new Set(clauses)].map((clause) => `\n${clause}`).join('');
}

const subjectRule = (spec: BuiltinSpec, context: RuleContext): AlertingRule =>
  spec.alert === BUILTIN_ALERTS.sourceDown ? rule(spec, context) : aboutSubject(rule(spec, context), context);

export function builtinRuleGroups(context: RuleContext, policies: readonly PolicyConfig[] = []): RuleGroup[] {
  const join = (lhs: string, builtin: CoveredBuiltin) =>
    `${joinSubjectInfo(lhs, context.dependencyLabels, {}, context.gap)}${coveredBy(policies, builtin, context.gap)}`;
  const subjectState = (state: string) => `(max by (subject, kind) (${held(selector('vigil_subject_health', { state }), context.gap)}) == 1)`;
  const up = selector('up', { job: context.scrapeJob });
  // Not held through gaps (no `context.gap`): see the stale rule below.
  const staleChecks = joinSubjectInfo(
    'max without (reason) (vigil_check_not_counted{reason="stale"})',
    ['kind', ...context.dependencyLabels],
    {},
    undefined,
  );

  const subjects: BuiltinSpec[] = [
    {
      alert: BUILTIN_ALERTS.subjectUnhealthy,
      expr: join(subjectState('unhealthy'), 'unhealthy'),
      for: '1m',
      severity: 'warning',
      template: 'subject-unhealthy',
      dependants: true,
    },
    {
      alert: BUILTIN_ALERTS.subjectUnavailable,
      expr: join(`(${held('vigil_subject_connectivity', context.gap)} == 0 ${UNLESS_DEPENDENCY_DOWN})`, 'unavailable'),
      for: '1m',
      severity: 'warning',
      template: 'subject-unavailable',
      dependants: true,
    },
    // `missing` is already the end of the appearance timeout: no further wait.
    {
      alert: BUILTIN_ALERTS.subjectMissing,
      expr: join(`(${subjectState('missing')} ${UNLESS_DEPENDENCY_DOWN})`, 'missing'),
      for: '0s',
      severity: 'warning',
      template: 'subject-missing',
      dependants: true,
    },
    {
      // vigil marks a check stale when its result expires; `for` absorbs a result that arrives just after.
      // Not held through gaps: while vigil is down nothing is stale (VigilExporterDown says so instead).
      // A subject vigil cannot reach has stale checks because of that one outage, which VigilSubjectUnavailable
      // already reports: `unless` keeps it to one alert.
      alert: BUILTIN_ALERTS.checkStale,
      expr: `${staleChecks}
unless on (subject) (vigil_subject_connectivity == 0)
${UNLESS_DEPENDENCY_DOWN}${coveredBy(policies, 'stale')}`,
      for: '1m',
      severity: 'warning',
      template: 'check-stale',
    },
    {
      alert: BUILTIN_ALERTS.sourceDown,
      expr: `${held('vigil_source_up', context.gap)} == 0`,
      for: '2m',
      severity: 'warning',
      template: 'source-down',
    },
  ];
  const meta: BuiltinSpec[] = [
    { alert: BUILTIN_ALERTS.exporterDown, expr: `${up} == 0`, for: '1m', severity: 'critical', template: 'exporter-down' },
    { alert: BUILTIN_ALERTS.exporterAbsent, expr: `absent(${up})`, for: '5m', severity: 'critical', template: 'exporter-absent' },
    // severity "none": routed to a dead-man switch, never to people (kube-prometheus convention).
    { alert: BUILTIN_ALERTS.watchdog, expr: 'vector(1)', for: '0s', severity: 'none', template: 'watchdog' },
  ];
  return [
    // Alerts about one subject: muted in its maintenance windows, linked to its page.
    { name: 'vigil-subjects', interval: context.interval, rules: subjects.map((spec) => subjectRule(spec, context)) },
    { name: 'vigil-meta', interval: context.interval, rules: meta.map((spec) => rule(spec, context)) },
  ];
}
