// The notifier half of `vigil import clowder`: each Clowder notifier (notifiers: {type: config}) becomes an alerting
// receiver and a policy carrying its report/threshold (Clowder's notifiers/*.py); webhook URLs become `*_file` paths.
import { isMailbox } from '../util/mailbox.js';
import { type Plain, integer, isPlain } from './clowder-values.js';

export interface ConvertedAlerting {
  receivers: Record<string, Plain>;
  policies: Plain[];
  notes: string[];
  /** Receives the built-in alerts (stale checks, vigil itself down): e-mail if Clowder had it, else the first receiver. */
  defaultReceiver?: string;
}

/** Every notifier with an equivalent as a receiver and a policy; a note for each one without. */
export function convertNotifiers(notifiers: Plain): ConvertedAlerting {
  const result: ConvertedAlerting = { receivers: {}, policies: [], notes: [] };
  for (const [type, raw] of Object.entries(notifiers)) {
    const config = isPlain(raw) ? raw : {};
    const receiver = receiverFor(type, config, result.notes);
    if (!receiver) continue;
    result.receivers[type] = receiver;
    const converted = policy(config, type, result.notes);
    // A host that is down must notify, as it did in Clowder: a run that does not reach it fails like a crit result.
    const on = converted.notify === 'always' ? {} : { on: ['crit', 'unreachable'] };
    result.policies.push({ name: `clowder-${type}`, match: { kind: 'target' }, ...on, ...converted, receiver: type });
    if (result.defaultReceiver === undefined || type === 'email') result.defaultReceiver = type;
    if (config.tags !== undefined) result.notes.push(`notifiers.${type}.tags: no equivalent; put such labels on the targets (labels:).`);
  }
  return result;
}

function receiverFor(type: string, config: Plain, notes: string[]): Plain | undefined {
  switch (type) {
    case 'email': {
      const to = Array.isArray(config.to) ? config.to.map(String) : config.to !== undefined ? [String(config.to)] : [];
      const server = String(config.server ?? 'localhost:25');
      // Display names (`hm <hm@example.com>`, the form Clowder documents) are kept: Alertmanager and vigil accept them.
      const from = String(config.from ?? 'healthmonitor@example.org');
      if (config.from === undefined)
        notes.push("notifiers.email: Clowder's default sender healthmonitor@localhost replaced by healthmonitor@example.org: set a real one.");
      for (const address of [from, ...to])
        if (!isMailbox(address)) notes.push(`notifiers.email: "${address}" is not an e-mail address vigil can use: fix it.`);
      for (const key of ['username', 'password']) {
        if (config[key] !== undefined)
          notes.push(
            `notifiers.email.${key}: Clowder never used it (it sends without SMTP auth); dropped, not copied. ` +
              'If your server needs auth, set auth_username and auth_password_file.',
          );
      }
      if (config.prefix !== undefined)
        notes.push('notifiers.email.prefix: no equivalent; subjects come from the notification templates (alerting.templates_dir).');
      return { email: { to: to.length === 1 ? to[0] : to, from, smarthost: server.includes(':') ? server : `${server}:25` } };
    }
    case 'slack': {
      notes.push(
        'notifiers.slack: write the Slack webhook URL from the Clowder file into /etc/alertmanager/secrets/slack-webhook-url ' +
          'on the Alertmanager host.',
      );
      const slack: Plain = { api_url_file: '/etc/alertmanager/secrets/slack-webhook-url' };
      if (config.channel !== undefined) slack.channel = String(config.channel);
      if (config.user !== undefined) slack.username = String(config.user);
      return { slack };
    }
    case 'msteams':
      notes.push(
        'notifiers.msteams: Clowder never loaded it (its module did not import); ' +
          'write the Teams webhook URL into /etc/alertmanager/secrets/msteams-webhook-url on the Alertmanager host.',
      );
      return { msteams: { webhook_url_file: '/etc/alertmanager/secrets/msteams-webhook-url' } };
    case 'console':
      notes.push('notifiers.console: no equivalent; every result is on /metrics and every change in /api/v1/events.');
      return undefined;
    case 'influxdb':
    case 'influxdb_v2':
      notes.push(
        `notifiers.${type}: no equivalent; scrape vigil's /metrics (vigil_probe_*, vigil_check_*) ` +
          "with Prometheus or Telegraf's prometheus input instead.",
      );
      return undefined;
    case 'rabbitmq':
    case 'mongo':
      notes.push(`notifiers.${type}: no equivalent (Clowder never wired it either); use an alerting webhook receiver or /api/v1/events/stream.`);
      return undefined;
    default:
      notes.push(`notifiers.${type}: unknown Clowder notifier, not converted.`);
      return undefined;
  }
}

/** Clowder's report/threshold as a vigil policy, its bugs left behind (docs/alerting.md). */
function policy(config: Plain, type: string, notes: string[]): Plain {
  const report = String(config.report ?? 'failure');
  const threshold = Math.max(1, integer(config.threshold) ?? 1);
  switch (report) {
    case 'always':
      return { notify: 'always' };
    case 'change':
      return { notify: 'change', threshold, recovery: threshold };
    default:
      if (report !== 'failure') notes.push(`notifiers.${type}.report: unknown value "${report}", treated as failure.`);
      notes.push(`notifiers.${type}: Clowder's report: failure notified only the first outage per process; vigil notifies every one.`);
      return { notify: 'failure', threshold };
  }
}
