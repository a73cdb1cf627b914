// Types and shared helpers of the rule builders (policies in rules.ts, built-ins in rules-builtin.ts).
import { formatDuration, parseDuration } from '../util/duration.js';
import { dependencyLabelNames } from './dependencies.js';
import type { GenerateInput } from './input.js';
import { acrossReplicas, unlessInMaintenance } from './promql.js';
import { AnnotationRenderer } from './templates.js';

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval: string;
  rules: AlertingRule[];
}

export interface RuleFile {
  groups: RuleGroup[];
}

/** Everything a rule builder needs besides its own policy. */
export interface RuleContext {
  renderer: AnnotationRenderer;
  /** Subject labels that name dependencies (`rack`, `switch`), joined onto subject alerts. */
  dependencyLabels: string[];
  evaluationMs: number;
  interval: string;
  runbookBase: string;
  scrapeJob: string;
  /** How long alerts hold their last known data through gaps (`5m`); undefined when disabled. */
  gap: string | undefined;
  /** vigil's own address (external_url with subject_links), under which /subjects/<id> is a subject's page. */
  statusPage: string | undefined;
}

/** The `policy` label value of built-in alerts. */
export const BUILTIN_POLICY = 'builtin';

export const runbookUrl = (context: RuleContext, anchor: string): string => `${context.runbookBase}#${anchor.toLowerCase()}`;

export function ruleContext(input: GenerateInput): RuleContext {
  const evaluationMs = parseDuration(input.alerting.evaluation_interval);
  const gapMs = parseDuration(input.alerting.data_gap_tolerance);
  return {
    renderer: new AnnotationRenderer(input.templates),
    dependencyLabels: dependencyLabelNames(input.subjects),
    evaluationMs,
    interval: formatDuration(evaluationMs),
    runbookBase: input.alerting.runbook_url,
    scrapeJob: input.alerting.scrape_job,
    gap: gapMs > 0 ? formatDuration(gapMs) : undefined,
    statusPage: input.alerting.external_url && input.alerting.subject_links ? input.alerting.external_url.replace(/\/+$/, '') : undefined,
  };
}

export function annotations(context: RuleContext, key: string, templateContext: object, runbookAnchor: string): Record<string, string> {
  const { summary, description } = context.renderer.render(key, templateContext);
  return { summary, description, runbook_url: runbookUrl(context, runbookAnchor) };
}

/**
 * The `dependants` annotation: how many subjects depend on the alert's subject (and are held back while it is
 * down), so the one message of an outage says how far it reaches. Read at evaluation from vigil_subject_dependants.
 */
export const DEPENDANTS_ANNOTATION =
  '{{ with printf "vigil_subject_dependants{subject=%q}" $labels.subject | query }}{{ . | first | value }}{{ else }}0{{ end }}';

export function withDependants(annotations: Record<string, string>): Record<string, string> {
  return { ...annotations, dependants: DEPENDANTS_ANNOTATION };
}

/** Rules in the conventional key order (alert, expr, for, keep_firing_for, labels, annotations), whatever built them. */
export function orderedRule(rule: AlertingRule): AlertingRule {
  const { alert, expr, for: pending, keep_firing_for: keepFiringFor, labels, annotations } = rule;
  return {
    alert,
    expr,
    ...(pending === undefined ? {} : { for: pending }),
    ...(keepFiringFor === undefined ? {} : { keep_firing_for: keepFiringFor }),
    labels,
    annotations,
  };
}

/**
 * A rule about one subject: muted while the subject is in a maintenance window, and, when external_url is vigil's
 * status page, annotated with the subject's page (`subject_url`) for the notification templates to link.
 */
export function aboutSubject(rule: AlertingRule, context: RuleContext): AlertingRule {
  const annotations = context.statusPage
    ? { ...rule.annotations, subject_url: `${context.statusPage}/subjects/{{ $labels.subject | urlquery }}` }
    : rule.annotations;
  return { ...rule, expr: acrossReplicas(unlessInMaintenance(rule.expr)), annotations };
}
