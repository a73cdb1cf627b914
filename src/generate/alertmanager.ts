// Alertmanager configuration: receivers with Alertmanager's own field names, one route per policy, inhibit rules
// from depends_on. `send_resolved` is what makes `change` differ from `failure`: a receiver used by both modes
// becomes two Alertmanager receivers.
import type { AlertingConfig, NotifyMode, ReceiverConfig } from '../config/alerting.js';
import { SUBJECT_PROBLEM_SEVERITIES, BUILTIN_ALERTS } from './rules-builtin.js';
import { dependencyInhibitions } from './dependencies.js';
import type { GenerateInput } from './input.js';
import { matcher } from './promql.js';
import { formatDuration, parseDuration } from '../util/duration.js';

/** A validated config duration (`90s`, or 0) in Prometheus' canonical form (`1m30s`). */
const duration = (value: string | number): string => formatDuration(parseDuration(value));

export const NULL_RECEIVER = 'vigil-null';
/** Relative to alertmanager.yml: Alertmanager resolves template globs against its config file's directory. */
export const TEMPLATES_GLOB = 'templates/*.tmpl';
/** Long enough to mean "never again": Alertmanager then repeats only when its data retention (120h) expires. */
export const CHANGE_REPEAT = '1y';

export interface EmailConfig {
  to: string;
  from: string;
  smarthost: string;
  auth_username?: string;
  auth_password_file?: string;
  require_tls?: boolean;
  hello?: string;
  send_resolved: boolean;
  headers: Record<string, string>;
  html: string;
  text: string;
}
export interface SlackConfig {
  api_url_file: string;
  channel?: string;
  username?: string;
  send_resolved: boolean;
  title: string;
  title_link: string;
  text: string;
}
export interface MsteamsConfig {
  webhook_url_file: string;
  send_resolved: boolean;
  title: string;
  text: string;
}
export interface WebhookConfig {
  url: string;
  send_resolved: boolean;
  max_alerts?: number;
}
export interface Receiver {
  name: string;
  email_configs?: EmailConfig[];
  slack_configs?: SlackConfig[];
  msteams_configs?: MsteamsConfig[];
  webhook_configs?: WebhookConfig[];
}
export interface Route {
  receiver: string;
  matchers?: string[];
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: Route[];
}
export interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal?: string[];
}
export interface AlertmanagerConfig {
  templates: string[];
  route: Route;
  inhibit_rules: InhibitRule[];
  receivers: Receiver[];
}

const goTemplate = (name: string) => `{{ template "${name}" . }}`;

function amReceiver(name: string, config: ReceiverConfig, sendResolved: boolean): Receiver {
  const out: Receiver = { name };
  if (config.email) {
    const { to, ...rest } = config.email;
    out.email_configs = [
      {
        to: Array.isArray(to) ? to.join(', ') : to,
        ...rest,
        send_resolved: sendResolved,
        headers: { Subject: goTemplate('vigil.email.subject') },
        html: goTemplate('vigil.email.html'),
        text: goTemplate('vigil.email.plain'),
      },
    ];
  }
  if (config.slack) {
    out.slack_configs = [
      {
        ...config.slack,
        send_resolved: sendResolved,
        title: goTemplate('vigil.slack.title'),
        title_link: goTemplate('vigil.slack.link'),
        text: goTemplate('vigil.slack.text'),
      },
    ];
  }
  if (config.msteams) {
    out.msteams_configs = [
      { ...config.msteams, send_resolved: sendResolved, title: goTemplate('vigil.msteams.title'), text: goTemplate('vigil.msteams.text') },
    ];
  }
  if (config.webhook) out.webhook_configs = [{ ...config.webhook, send_resolved: sendResolved }];
  return out;
}

/** Whether a route in this mode sends "resolved" messages: only `change` notifies both ways. */
export const sendsResolved = (mode: NotifyMode): boolean => mode === 'change';

/** Names the Alertmanager receivers: one per configured receiver, or two when used with both send_resolved values. */
export class ReceiverNames {
  private readonly uses = new Map<string, Set<boolean>>();

  use(name: string, sendResolved: boolean): void {
    const set = this.uses.get(name) ?? new Set<boolean>();
    set.add(sendResolved);
    this.uses.set(name, set);
  }

  nameFor(name: string, sendResolved: boolean): string {
    if ((this.uses.get(name)?.size ?? 0) < 2) return name;
    return `${name}-${sendResolved ? 'with-resolved' : 'firing-only'}`;
  }

  receivers(configs: AlertingConfig['receivers']): Receiver[] {
    const out: Receiver[] = [];
    for (const name of [...this.uses.keys()].sort()) {
      for (const sendResolved of [...this.uses.get(name)!].sort()) {
        out.push(amReceiver(this.nameFor(name, sendResolved), configs[name]!, sendResolved));
      }
    }
    return out;
  }
}

export function inhibitRules(input: GenerateInput): InhibitRule[] {
  const rules: InhibitRule[] = [];
  // Only real problems of the dependency mute its dependants; info alerts (notify: always results) do not.
  const problem = matcher('severity', [...SUBJECT_PROBLEM_SEVERITIES]);
  for (const inhibition of dependencyInhibitions(input.subjects)) {
    const source = [matcher('subject', inhibition.source), problem];
    for (const label of inhibition.labels) rules.push({ source_matchers: source, target_matchers: [matcher(label, inhibition.source)] });
    if (inhibition.subjects.length > 0) {
      rules.push({ source_matchers: source, target_matchers: [matcher('subject', inhibition.subjects)] });
    }
  }
  return rules;
}

export function alertmanagerConfig(input: GenerateInput): AlertmanagerConfig {
  const alerting = input.alerting;
  const names = new ReceiverNames();
  // Built-in alerts report both ways (a subject recovering is news); the watchdog never resolves.
  if (alerting.default_receiver) names.use(alerting.default_receiver, true);
  if (alerting.watchdog_receiver) names.use(alerting.watchdog_receiver, false);
  for (const policy of alerting.policies) names.use(policy.receiver, sendsResolved(policy.notify));

  const watchdogRoute: Route = {
    receiver: alerting.watchdog_receiver ? names.nameFor(alerting.watchdog_receiver, false) : NULL_RECEIVER,
    matchers: [matcher('alertname', BUILTIN_ALERTS.watchdog)],
    group_wait: '0s',
    group_interval: '1m',
    repeat_interval: '5m',
  };
  const policyRoutes: Route[] = alerting.policies.map((policy) => {
    const route: Route = {
      receiver: names.nameFor(policy.receiver, sendsResolved(policy.notify)),
      matchers: [matcher('policy', policy.name)],
      // `always`: one group per alert, so every result is its own message; otherwise one message per policy group.
      group_by: policy.group_by ?? (policy.notify === 'always' ? ['...'] : ['policy']),
    };
    if (policy.group_wait !== undefined) route.group_wait = duration(policy.group_wait);
    if (policy.group_interval !== undefined) route.group_interval = duration(policy.group_interval);
    route.repeat_interval =
      policy.repeat !== undefined ? duration(policy.repeat) : policy.notify === 'change' ? CHANGE_REPEAT : duration(alerting.repeat);
    return route;
  });

  return {
    templates: [TEMPLATES_GLOB],
    route: {
      receiver: alerting.default_receiver ? names.nameFor(alerting.default_receiver, true) : NULL_RECEIVER,
      group_by: ['policy', 'alertname'],
      group_wait: duration(alerting.group_wait),
      group_interval: duration(alerting.group_interval),
      repeat_interval: duration(alerting.repeat),
      routes: [watchdogRoute, ...policyRoutes],
    },
    inhibit_rules: inhibitRules(input),
    receivers: [{ name: NULL_RECEIVER }, ...names.receivers(alerting.receivers)],
  };
}

/** The configuration without Teams receivers, for tools older than Alertmanager 0.26 (Debian's amtool 0.25). */
export function withoutMsteams(config: AlertmanagerConfig): AlertmanagerConfig {
  return { ...config, receivers: config.receivers.map(({ msteams_configs: _omitted, ...rest }) => rest) };
}
