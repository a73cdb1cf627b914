// Prometheus alerting rules: one group per policy (notify failure | change | always) and the built-in alerts.
//
// Check-scoped policies use the exporter's exact run counters (docs/metrics.md), so `threshold` and `recovery` count
// check runs, not evaluations or scrapes (conditions.ts says how for each `on:` condition):
//   fires    when the failing streak >= threshold and the check is not held back (dependency, manipulation, ...),
//   resolves when the passing streak >= recovery   (hysteresis through the alert's own ALERTS series).
// failure and change policies share this expression; they differ in Alertmanager (send_resolved, repeat).
import { camelCase, policyConditions, type PolicyConfig } from '../config/alerting.js';
import { checkTerms, isClassic, subjectTerms } from './conditions.js';
import { formatDuration } from '../util/duration.js';
import type { GenerateInput } from './input.js';
import { held, joinSubjectInfo, quote, selector, type Matchers } from './promql.js';
import {
  aboutSubject,
  annotations,
  orderedRule,
  ruleContext,
  withDependants,
  type AlertingRule,
  type RuleContext,
  type RuleGroup,
} from './rule-context.js';
import { builtinRuleGroups } from './rules-builtin.js';

export { BUILTIN_POLICY, type AlertingRule, type RuleFile, type RuleGroup } from './rule-context.js';

/** Alert families documented in docs/runbook.md; policy alerts are `Vigil<Policy><Suffix>`. */
export const POLICY_ALERT_SUFFIX = {
  check: 'CheckFailing',
  subject: 'SubjectUnhealthy',
  subjectOther: 'SubjectFailing',
  always: 'CheckResult',
} as const;

/** `SubjectUnhealthy` only for the classic subject policy: `on: [unavailable]` is not about health. */
function suffixOf(policy: Pick<PolicyConfig, 'notify' | 'scope' | 'on'>): string {
  if (policy.notify === 'always') return POLICY_ALERT_SUFFIX.always;
  if (policy.scope === 'subject') return isClassic(policy) ? POLICY_ALERT_SUFFIX.subject : POLICY_ALERT_SUFFIX.subjectOther;
  return POLICY_ALERT_SUFFIX.check;
}

export function policyAlertName(policy: Pick<PolicyConfig, 'name' | 'notify' | 'scope' | 'on'>): string {
  return `Vigil${camelCase(policy.name)}${suffixOf(policy)}`;
}

/** Consecutive successes that resolve a policy's alert: as set, else the threshold for change, 1 for failure. */
export function policyRecovery(policy: PolicyConfig): number {
  return policy.recovery ?? (policy.notify === 'change' ? policy.threshold : 1);
}

/** Splits a policy's `match` into matchers on the per-check (or per-subject) series and on vigil_subject_info. */
function splitMatch(match: PolicyConfig['match'], seriesKeys: readonly string[]): { series: Matchers; info: Matchers } {
  const series: Record<string, string | string[]> = {};
  const info: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(match)) (seriesKeys.includes(name) ? series : info)[name] = value;
  return { series, info };
}

function policyRule(policy: PolicyConfig, context: RuleContext): AlertingRule {
  const alert = policyAlertName(policy);
  const recovery = policyRecovery(policy);
  const severity = policy.severity ?? (policy.notify === 'always' ? 'info' : 'warning');
  const labels: Record<string, string> = { policy: policy.name, severity };
  const conditions = policyConditions(policy);
  const templateContext = {
    policy: policy.name,
    notify: policy.notify,
    threshold: policy.threshold,
    recovery,
    scope: policy.scope,
    classic: isClassic(policy),
    on: conditions.join(' or '),
    runs: conditions.filter((condition) => condition !== 'stale').join(' or '),
    states: conditions.map((condition) => (condition === 'warnings' ? 'with warnings' : condition)).join(' or '),
    stale: conditions.includes('stale'),
  };

  if (policy.notify === 'always') {
    // Every result is its own alert: `result_at` (the receive time) changes with each result, so Alertmanager
    // sees a new alert and notifies once per result (at most once per evaluation interval).
    const { series, info } = splitMatch(policy.match, ['subject', 'check']);
    const expr = joinSubjectInfo(
      [
        '(',
        `  ${held(selector('vigil_check_received_timestamp_seconds', series), context.gap)}`,
        `  * on (subject, check) group_left (status) (${held('vigil_check_status', context.gap)} == 1)`,
        ')',
      ].join('\n'),
      ['kind', ...context.dependencyLabels],
      info,
      context.gap,
    );
    return {
      alert,
      expr,
      labels: { ...labels, result_at: '{{ printf "%.0f" $value }}' },
      annotations: annotations(context, 'policy-check-result', templateContext, 'VigilPolicyCheckResult'),
    };
  }

  if (policy.scope === 'subject') {
    // Subject states have no run counter: count evaluations instead, with `for` and `keep_firing_for`.
    const { series, info } = splitMatch(policy.match, ['subject', 'kind']);
    const rule: AlertingRule = {
      alert,
      expr: joinSubjectInfo(
        `(\n  ${subjectTerms(policy, series, context.gap).join('\n  or on (subject)\n  ')}\n)`,
        context.dependencyLabels,
        info,
        context.gap,
      ),
      labels,
      annotations: withDependants(annotations(context, 'policy-subject-unhealthy', templateContext, `VigilPolicy${suffixOf(policy)}`)),
    };
    if (policy.threshold > 1) rule.for = formatDuration((policy.threshold - 1) * context.evaluationMs);
    if (recovery > 1) rule.keep_firing_for = formatDuration((recovery - 1) * context.evaluationMs);
    return rule;
  }

  const { series, info } = splitMatch(policy.match, ['subject', 'check']);
  const firing = `ALERTS{alertname=${quote(alert)}, alertstate="firing"}`;
  const terms = checkTerms(policy, series, context.evaluationMs, context.gap);
  const branches = terms.firing.map((term) => `  (\n    ${term}\n  )`);
  if (terms.passing !== undefined) {
    branches.push(`  (\n    ${terms.passing} < ${recovery}\n    and on (subject, check) ${firing}\n  )`);
  }
  const expr = joinSubjectInfo(`(\n${branches.join('\n  or on (subject, check)\n')}\n)`, ['kind', ...context.dependencyLabels], info, context.gap);
  return {
    alert,
    expr,
    labels,
    annotations: withDependants(annotations(context, 'policy-check-failing', templateContext, 'VigilPolicyCheckFailing')),
  };
}

/** Group name of a policy's rules. */
export const policyGroupName = (policy: Pick<PolicyConfig, 'name'>): string => `vigil-policy-${policy.name}`;

export function ruleGroups(input: GenerateInput, context: RuleContext = ruleContext(input)): RuleGroup[] {
  const policyGroups = input.alerting.policies.map((policy) => ({
    name: policyGroupName(policy),
    interval: context.interval,
    rules: [aboutSubject(orderedRule(policyRule(policy, context)), context)],
  }));
  return [...builtinRuleGroups(context, input.alerting.policies), ...policyGroups];
}
