// `--format prometheus-operator`: the same rules and routing as Kubernetes resources (PrometheusRule,
// AlertmanagerConfig, and a ConfigMap holding the notification templates).
// Secrets: each `*_file` becomes a key of the Secret `vigil-alerting`, named after the file (basename).
import { basename } from 'node:path';
import type { AlertmanagerConfig, Receiver, Route } from './alertmanager.js';
import type { RuleGroup } from './rule-context.js';

export const OPERATOR_SECRET = 'vigil-alerting';
export const TEMPLATES_CONFIGMAP = 'vigil-alertmanager-templates';
const METADATA = { name: 'vigil', labels: { 'app.kubernetes.io/name': 'vigil', 'app.kubernetes.io/component': 'alerting' } };

export function prometheusRuleResource(groups: RuleGroup[]): object {
  return { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: METADATA, spec: { groups } };
}

interface OperatorMatcher {
  name: string;
  value: string;
  matchType: string;
}

const MATCHER_RE = /^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)"((?:[^"\\]|\\.)*)"$/;

/** `name=~"a|b"` (as written by promql.ts) → the operator's structured matcher. */
export function structuredMatcher(text: string): OperatorMatcher {
  const match = MATCHER_RE.exec(text);
  if (!match) throw new Error(`cannot convert matcher ${text}`);
  return { name: match[1]!, matchType: match[2]!, value: match[3]!.replace(/\\(.)/g, '$1') };
}

const secretRef = (file: string) => ({ name: OPERATOR_SECRET, key: basename(file).replace(/[^-._a-zA-Z0-9]/g, '_') });

function route(input: Route): Record<string, unknown> {
  const out: Record<string, unknown> = { receiver: input.receiver };
  if (input.matchers) out.matchers = input.matchers.map(structuredMatcher);
  if (input.group_by) out.groupBy = input.group_by;
  if (input.group_wait) out.groupWait = input.group_wait;
  if (input.group_interval) out.groupInterval = input.group_interval;
  if (input.repeat_interval) out.repeatInterval = input.repeat_interval;
  if (input.routes) out.routes = input.routes.map(route);
  return out;
}

function receiver(input: Receiver): Record<string, unknown> {
  const out: Record<string, unknown> = { name: input.name };
  if (input.email_configs) {
    out.emailConfigs = input.email_configs.map((email) => ({
      to: email.to,
      from: email.from,
      smarthost: email.smarthost,
      ...(email.hello ? { hello: email.hello } : {}),
      ...(email.auth_username ? { authUsername: email.auth_username } : {}),
      ...(email.auth_password_file ? { authPassword: secretRef(email.auth_password_file) } : {}),
      ...(email.require_tls === undefined ? {} : { requireTLS: email.require_tls }),
      sendResolved: email.send_resolved,
      headers: Object.entries(email.headers).map(([key, value]) => ({ key, value })),
      html: email.html,
      text: email.text,
    }));
  }
  if (input.slack_configs) {
    out.slackConfigs = input.slack_configs.map((slack) => ({
      apiURL: secretRef(slack.api_url_file),
      ...(slack.channel ? { channel: slack.channel } : {}),
      ...(slack.username ? { username: slack.username } : {}),
      sendResolved: slack.send_resolved,
      title: slack.title,
      titleLink: slack.title_link,
      text: slack.text,
    }));
  }
  if (input.msteams_configs) {
    out.msteamsConfigs = input.msteams_configs.map((teams) => ({
      webhookUrl: secretRef(teams.webhook_url_file),
      sendResolved: teams.send_resolved,
      title: teams.title,
      text: teams.text,
    }));
  }
  if (input.webhook_configs) {
    out.webhookConfigs = input.webhook_configs.map((hook) => ({
      url: hook.url,
      sendResolved: hook.send_resolved,
      ...(hook.max_alerts === undefined ? {} : { maxAlerts: hook.max_alerts }),
    }));
  }
  return out;
}

export function alertmanagerConfigResource(config: AlertmanagerConfig): object {
  return {
    apiVersion: 'monitoring.coreos.com/v1alpha1',
    kind: 'AlertmanagerConfig',
    metadata: METADATA,
    spec: {
      route: route(config.route),
      receivers: config.receivers.map(receiver),
      inhibitRules: config.inhibit_rules.map((rule) => ({
        sourceMatch: rule.source_matchers.map(structuredMatcher),
        targetMatch: rule.target_matchers.map(structuredMatcher),
        ...(rule.equal ? { equal: rule.equal } : {}),
      })),
    },
  };
}

/** Mount it in the Alertmanager resource (spec.configMaps) and list its files under the global templates. */
export function templatesConfigMap(templates: Map<string, string>, header: string): object {
  const data: Record<string, string> = {};
  for (const [name, text] of templates) data[name] = `{{/* ${header} */}}\n${text.trim()}\n`;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...METADATA, name: TEMPLATES_CONFIGMAP }, data };
}
