// `vigil import clowder FILE`: converts a Clowder healthmonitor config (checks: {type: {label: config}},
// notifiers: {type: config}) into a vigil config on stdout, with a comment for everything that has no equivalent.
// Clowder's semantics and bugs: clowder-framework/healthmonitor checks/*.py, notifiers/*.py. The output is built as
// a YAML document (never by string concatenation), and no secret from the Clowder file is copied into it:
// secret-looking header values become `${ENV}` references, webhook URLs become `*_file` paths.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Document, isMap, isScalar, isSeq, parse } from 'yaml';
import { formatDuration } from '../util/duration.js';
import { isMailbox } from '../util/mailbox.js';
import { optInFamiliesFor } from '../exporter/metrics/selection.js';

type Plain = Record<string, unknown>;

interface ConvertedTarget {
  target: Plain;
  notes: string[];
}

interface ConvertedAlerting {
  receivers: Record<string, Plain>;
  policies: Plain[];
  notes: string[];
  /** Receives the built-in alerts (stale checks, vigil itself down): e-mail if Clowder had it, else the first receiver. */
  defaultReceiver?: string;
}

const CLOWDER_DEFAULT_SLEEP_S = 60;
/** The keys each Clowder check reads (checks/*.py, and `sleep` in checks/monitor.py); any other key was ignored. */
const CHECK_KEYS: Record<string, readonly string[]> = {
  ping: ['sleep', 'host', 'count', 'loss', 'timeout'],
  hostport: ['sleep', 'host', 'port', 'timeout'],
  filewrite: ['sleep', 'file'],
  download: ['sleep', 'url', 'timeout', 'headers', 'ssl'],
};
const CREDENTIAL_KEY_RE = /^(user(name)?|login|pass(word)?|token|secret|api[_-]?key|auth.*)$/i;
/** requests' `verify` in Clowder's download check: `ssl.lower() in ('yes', 'true', 't', 'y', '1')`. */
const SSL_VERIFY_WORDS = new Set(['yes', 'true', 't', 'y', '1']);
const SECRET_HEADER_RE = /auth|key|token|secret|cookie|pass|session|signature/i;

export class ClowderImportError extends Error {}

/** Converts the text of a Clowder healthmonitor config into the text of a vigil config. */
export function importClowder(yamlText: string): string {
  let input: unknown;
  try {
    input = parse(yamlText);
  } catch (error) {
    throw new ClowderImportError(`not valid YAML: ${(error as Error).message}`);
  }
  if (!isPlain(input)) throw new ClowderImportError('expected a mapping with checks: and notifiers:');
  const checks = isPlain(input.checks) ? input.checks : {};
  const notifiers = isPlain(input.notifiers) ? input.notifiers : {};
  const headerNotes: string[] = [];
  const targets = convertChecks(checks, headerNotes);
  const alerting = convertNotifiers(notifiers);

  const config: Plain = { targets: targets.converted.map((entry) => entry.target) };
  if (alerting.policies.length > 0) {
    config.alerting = {
      ...(alerting.defaultReceiver === undefined ? {} : { default_receiver: alerting.defaultReceiver }),
      receivers: alerting.receivers,
      policies: alerting.policies,
    };
    const include = optInFamiliesFor(alerting.policies);
    if (include.length > 0) config.metrics = { include };
  }
  const doc = new Document(config);
  doc.commentBefore = [
    ' vigil config converted from a Clowder healthmonitor config by `vigil import clowder`.',
    ' Review the comments below: each marks something that changed meaning or has no equivalent.',
    ' Clowder\'s "sleep" is now "interval" (a fixed period; Clowder drifted by the check\'s duration).',
    ...headerNotes.map((note) => ` ${note}`),
  ].join('\n');
  const comment = (notes: string[]): string => notes.map((note) => ` ${note}`).join('\n');
  const targetsNode = doc.get('targets', true);
  if (isSeq(targetsNode)) {
    targets.converted.forEach((entry, index) => {
      const node = targetsNode.items[index];
      if (isMap(node) && entry.notes.length > 0) node.commentBefore = comment(entry.notes);
    });
    if (targets.skipped.length > 0) targetsNode.comment = comment(targets.skipped);
  }
  if (alerting.notes.length > 0) {
    const root = doc.contents;
    const alertingKey = isMap(root) ? root.items.find((pair) => isScalar(pair.key) && pair.key.value === 'alerting')?.key : undefined;
    if (isScalar(alertingKey)) alertingKey.commentBefore = comment(alerting.notes);
    else doc.comment = comment(alerting.notes);
  }
  return doc.toString({ lineWidth: 0 });
}

/** CLI entry: prints the converted config; returns the process exit code. */
export async function importClowderCommand(file: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    process.stderr.write(`vigil import clowder: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return 2;
  }
  try {
    process.stdout.write(importClowder(text));
    return 0;
  } catch (error) {
    process.stderr.write(`vigil import clowder: ${file}: ${(error as Error).message}\n`);
    return 2;
  }
}

function convertChecks(checks: Plain, headerNotes: string[]): { converted: ConvertedTarget[]; skipped: string[] } {
  const converted: ConvertedTarget[] = [];
  const skipped: string[] = [];
  const labelCount = new Map<string, number>();
  for (const byLabel of Object.values(checks)) {
    if (!isPlain(byLabel)) continue;
    for (const label of Object.keys(byLabel)) labelCount.set(sanitize(label), (labelCount.get(sanitize(label)) ?? 0) + 1);
  }
  for (const [type, byLabel] of Object.entries(checks)) {
    if (!isPlain(byLabel)) {
      skipped.push(`checks.${type}: not a mapping of labels, skipped`);
      continue;
    }
    for (const [label, raw] of Object.entries(byLabel)) {
      const config = isPlain(raw) ? raw : {};
      const subject = sanitize(label);
      // Clowder labels are unique per check type only; vigil target names are unique overall.
      const name = (labelCount.get(subject) ?? 0) > 1 ? `${subject}-${type}` : subject;
      const common: Plain = { name };
      if (name !== subject) common.subject = subject;
      const intervalS = seconds(config.sleep) ?? CLOWDER_DEFAULT_SLEEP_S;
      const notes: string[] = [];
      if (subject !== label) notes.push(`Clowder label "${label}" renamed to "${subject}" (letters, digits, _ . : - only).`);
      noteIgnoredKeys(type, config, notes);
      switch (type) {
        case 'ping':
          converted.push({ target: { ...common, ...ping(config, intervalS, notes) }, notes });
          break;
        case 'hostport':
          converted.push({ target: { ...common, ...hostport(config, intervalS, notes) }, notes });
          break;
        case 'filewrite':
          converted.push({ target: { ...common, ...filewrite(config, intervalS, notes) }, notes });
          break;
        case 'download':
          converted.push({ target: { ...common, ...download(config, name, intervalS, notes, headerNotes) }, notes });
          break;
        case 'random':
          skipped.push(
            `checks.random.${label}: no equivalent (a random pass/fail generator for testing; Clowder also mis-registered it as "filewrite").`,
          );
          break;
        default:
          skipped.push(`checks.${type}.${label}: unknown Clowder check type "${type}", not converted.`);
      }
    }
  }
  return { converted, skipped };
}

/** Values Clowder never read: each is named, never copied (a credential's value least of all). */
function noteIgnoredKeys(type: string, config: Plain, notes: string[]): void {
  const known = CHECK_KEYS[type];
  if (!known) return;
  for (const key of Object.keys(config)) {
    if (known.includes(key)) continue;
    if (key === 'threshold' || key === 'report') {
      notes.push(`${key}: Clowder reads ${key} on notifiers only, so this check-level value was ignored; dropped (set it on the policy).`);
    } else if (CREDENTIAL_KEY_RE.test(key)) {
      notes.push(`${key}: a credential Clowder's ${type} check never used; dropped, and its value is not copied here.`);
    } else {
      notes.push(`${key}: not read by Clowder's ${type} check; dropped.`);
    }
  }
}

/** vigil's timeout must fit in the interval: a longer one is cut to the interval, and said so. */
function timing(intervalS: number, timeoutS: number, notes: string[]): Plain {
  if (timeoutS > intervalS) {
    notes.push(
      `timeout ${duration(timeoutS)} is longer than the interval ${duration(intervalS)}: ` +
        `cut to ${duration(intervalS)} (a run must end before the next starts).`,
    );
  }
  return { interval: duration(intervalS), timeout: duration(Math.min(timeoutS, intervalS)) };
}

function ping(config: Plain, intervalS: number, notes: string[]): Plain {
  let count = integer(config.count) ?? 5;
  // Clowder ran `ping -c COUNT -W 1`: one echo a second, one second to wait for each reply.
  const neededS = count - 1 + 1;
  if (neededS + 1 > intervalS) {
    count = Math.max(1, Math.floor(intervalS) - 1);
    notes.push(`count lowered to ${count} so the pings fit in the interval.`);
  }
  const out: Plain = { type: 'ping', host: String(config.host ?? ''), count, ...timing(intervalS, Math.max(10, count + 1), notes) };
  if (config.timeout !== undefined) notes.push('Clowder parsed "timeout" for ping but never used it; vigil\'s timeout bounds the whole ping run.');
  const loss = number(config.loss);
  if (loss !== undefined) {
    const converted = lossThreshold(loss, count);
    out.max_loss_ratio = converted.ratio;
    notes.push(converted.note);
  } else {
    notes.push('Clowder read partial loss as 0% on Linux; vigil measures it and is crit above max_loss_ratio (default 0.5).');
  }
  return out;
}

/**
 * Clowder failed a ping at `loss% >= threshold`, but with `count` packets only the loss values k/count happen.
 * What it meant is "fail from the first reachable loss at or above the threshold": k lost packets out of count,
 * which vigil (crit strictly above max_loss_ratio) says as (k − 1)/count. A threshold no count can reach is flagged.
 */
function lossThreshold(threshold: number, count: number): { ratio: number; note: string } {
  const lostToFail = Math.max(1, Math.ceil((threshold / 100) * count - 1e-9));
  const ratio = Math.round(((lostToFail - 1) / count) * 1e4) / 1e4;
  if (lostToFail > count) {
    return {
      ratio: 1,
      note:
        `FLAG: Clowder's loss ${threshold}% can never be reached with count ${count}: the check never failed. ` +
        'max_loss_ratio 1 keeps that (vigil still reports total loss as lost connectivity); set the threshold you want.',
    };
  }
  if (lostToFail === count) {
    return {
      ratio,
      note:
        `Clowder's loss ${threshold}% with count ${count} fails only when all ${count} packets are lost ` +
        `(the loss steps are ${round(100 / count)}%): max_loss_ratio ${ratio}. ` +
        'vigil reports total loss as lost connectivity (VigilSubjectUnavailable), not as a failed check.',
    };
  }
  return {
    ratio,
    note:
      `Clowder's loss ${threshold}% with count ${count} fails from ${lostToFail} lost packets (${round((lostToFail / count) * 100)}%): ` +
      `vigil is crit above max_loss_ratio ${ratio}; total loss is lost connectivity, not a failed check.`,
  };
}

const round = (value: number): number => Math.round(value * 100) / 100;

/**
 * Clowder failed the check on any connect error. vigil fails it on a refused connection too (the service is down),
 * so threshold policies keep working for a closed port; a timeout, DNS failure or no route is lost connectivity
 * instead, which those thresholds do not count (docs/targets.md).
 */
const CONNECT_FAILURE_NOTE =
  'A refused connection fails the check as in Clowder; a timeout, DNS failure or no route is an unreachable run, ' +
  'which the policies below count too (on: [crit, unreachable]).';

function hostport(config: Plain, intervalS: number, notes: string[]): Plain {
  const port = integer(config.port);
  if (port === undefined) notes.push('Clowder config had no valid port: set one.');
  notes.push(CONNECT_FAILURE_NOTE);
  return { type: 'hostport', host: String(config.host ?? ''), port: port ?? 0, ...timing(intervalS, seconds(config.timeout) ?? 30, notes) };
}

function filewrite(config: Plain, intervalS: number, notes: string[]): Plain {
  const file = String(config.file ?? '');
  notes.push(`Clowder wrote to ${file}; vigil writes, fsyncs, reads back and removes .vigil-filewrite-<name> in that directory.`);
  return { type: 'filewrite', directory: path.posix.dirname(file) || '.', ...timing(intervalS, 10, notes) };
}

function download(config: Plain, name: string, intervalS: number, notes: string[], headerNotes: string[]): Plain {
  const url = String(config.url ?? '');
  const out: Plain = { type: 'download', url, ...timing(intervalS, seconds(config.timeout) ?? 10, notes) };
  if (/^[a-z]+:\/\/[^/]*@/i.test(url)) notes.push('The URL carries credentials: move them into an Authorization header from header_files.');
  if (isPlain(config.headers)) {
    const headers: Record<string, string> = {};
    for (const [header, value] of Object.entries(config.headers)) {
      if (SECRET_HEADER_RE.test(header)) {
        const variable = `CLOWDER_${name}_${header}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
        headers[header] = `\${${variable}}`;
        headerNotes.push(`Set ${variable} to the value of header ${header} of check "${name}" (kept out of this file).`);
      } else {
        headers[header] = String(value);
      }
    }
    out.headers = headers;
  }
  const ssl = String(config.ssl ?? 'true');
  if (!SSL_VERIFY_WORDS.has(ssl.toLowerCase())) {
    // Clowder verified TLS only for yes/true/t/y/1; any other value (no, off, 0, a typo) turned verification off.
    out.insecure_skip_verify = true;
    notes.push(
      `ssl: ${JSON.stringify(ssl)} → insecure_skip_verify: true (Clowder verified only for yes, true, t, y, 1); ` +
        "prefer ca_file with the server's CA.",
    );
  }
  notes.push('Clowder accepted any status below 400 after redirects; vigil expects 2xx (expected_status).');
  notes.push(CONNECT_FAILURE_NOTE);
  return out;
}

function convertNotifiers(notifiers: Plain): ConvertedAlerting {
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

/** Clowder's report/threshold as a vigil policy, its bugs left behind (see §A.3). */
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

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Clowder reads files with yaml.BaseLoader: every scalar is a string. Accept both. */
function number(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function integer(value: unknown): number | undefined {
  const parsed = number(value);
  return parsed === undefined ? undefined : Math.round(parsed);
}

function seconds(value: unknown): number | undefined {
  const parsed = number(value);
  return parsed !== undefined && parsed > 0 ? parsed : undefined;
}

function duration(secondsValue: number): string {
  return formatDuration(Math.round(secondsValue * 1000));
}

function sanitize(label: string): string {
  const cleaned = label
    .replace(/[^A-Za-z0-9_.:-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return cleaned === '' ? 'target' : cleaned;
}
