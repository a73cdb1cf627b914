// `vigil import practable-env`: reads practable status's STATUS_* environment variables (practable/status
// cmd/status/cmd/serve.go) and prints the equivalent vigil config. Secrets are never printed: the config refers to the same variables
// as `${STATUS_SECRET_*}`, which vigil interpolates at load time, and the SMTP password becomes a *_file path.
// The output is built as a YAML document, with a comment for everything that changed meaning or has no equivalent.
import path from 'node:path';
import { Document, isMap } from 'yaml';
import { formatDuration, parseDuration } from '../util/duration.js';
import { parseGoDuration } from '../sources/practable/go-format.js';
import { optInFamiliesFor, type PolicyShape } from '../exporter/metrics/selection.js';

type Env = Record<string, string | undefined>;

export class PractableEnvError extends Error {}

const SERVICES = ['RELAY', 'JUMP', 'BOOK'] as const;
const LOG_LEVELS: Record<string, string> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
  panic: 'fatal',
};

/** A Go duration (or, for upstream's own unparseable `1d` defaults, a vigil one) as a vigil duration string. */
function duration(env: Env, name: string, fallback: string): string {
  const raw = (env[`STATUS_${name}`] ?? '').trim() || fallback;
  const go = parseGoDuration(raw);
  let ms: number | undefined = go;
  if (ms === undefined) {
    try {
      ms = parseDuration(raw);
    } catch {
      throw new PractableEnvError(`STATUS_${name}="${raw}" is not a duration`);
    }
  }
  if (!(ms > 0)) throw new PractableEnvError(`STATUS_${name}="${raw}" must be longer than 0`);
  return formatDuration(Math.max(1, Math.round(ms)));
}

/** Converts status's environment into the text of a vigil config. */
export function importPractableEnv(env: Env): string {
  const get = (name: string): string => (env[`STATUS_${name}`] ?? '').trim();
  const missing = SERVICES.flatMap((s) => [`HOST_${s}`, `SECRET_${s}`]).filter((name) => get(name) === '');
  if (missing.length > 0) throw new PractableEnvError(`status requires ${missing.map((n) => `STATUS_${n}`).join(', ')} (not set)`);
  const notes: string[] = [];

  const scheme = (service: string): string => {
    const value = (get(`SCHEME_${service}`) || 'https').toLowerCase();
    if (value !== 'http' && value !== 'https') throw new PractableEnvError(`STATUS_SCHEME_${service}="${value}" must be http or https`);
    return value;
  };
  // status joins host and base path with Go's path.Join for relay and jump (reference §1).
  const joined = (service: 'RELAY' | 'JUMP'): string =>
    `${scheme(service)}://${path.posix.join(get(`HOST_${service}`), get(`BASEPATH_${service}`) || '/').replace(/\/+$/, '')}`;
  // ... but concatenates them for book, and that string is the token audience.
  const bookAudience = `${scheme('BOOK')}://${get('HOST_BOOK')}${get('BASEPATH_BOOK') || '/'}`;
  const bookUrl = bookAudience.replace(/\/+$/, '');

  const relayEvery = duration(env, 'RECONNECT_RELAY_EVERY', '1d');
  const jumpEvery = duration(env, 'RECONNECT_JUMP_EVERY', '1d');
  const reconnectEvery = parseDuration(relayEvery) <= parseDuration(jumpEvery) ? relayEvery : jumpEvery;
  if (relayEvery !== jumpEvery)
    notes.push(
      `STATUS_RECONNECT_RELAY_EVERY (${relayEvery}) and STATUS_RECONNECT_JUMP_EVERY (${jumpEvery}) differ: ` +
        'vigil has one reconnect_every, the shorter is used.',
    );

  const book: Record<string, unknown> = {
    url: bookUrl,
    secret: '${STATUS_SECRET_BOOK}',
    timeout: duration(env, 'TIMEOUT_BOOK', '5s'),
    set_availability: true,
  };
  if (bookAudience !== bookUrl) book['audience'] = bookAudience;

  const config: Record<string, unknown> = {};
  const logLevel = LOG_LEVELS[get('LOG_LEVEL').toLowerCase() || 'warn'];
  if (logLevel) config['log'] = { level: logLevel };
  const events = Number(get('HEALTH_EVENTS') || '100');
  if (Number.isInteger(events) && events > 0) config['defaults'] = { events_per_subject: events };
  config['practable'] = {
    relay: { url: joined('RELAY'), secret: '${STATUS_SECRET_RELAY}' },
    jump: { url: joined('JUMP'), secret: '${STATUS_SECRET_JUMP}' },
    book,
    health_last_active: duration(env, 'HEALTH_LAST_ACTIVE', '10s'),
    health_last_checked: duration(env, 'HEALTH_LAST_CHECKED', '10s'),
    startup_grace: duration(env, 'HEALTH_STARTUP', '1m'),
    query_book_every: duration(env, 'QUERY_BOOK_EVERY', '15m'),
    reconnect_every: reconnectEvery,
  };

  // E-mail becomes an Alertmanager receiver and a policy for experiments; vigil itself never sends mail.
  // status splits the lists on spaces (viper), practable's own docs and deployments write commas: accept both.
  const addresses = (name: string): string[] =>
    get(name)
      .split(/[\s,;]+/)
      .filter(Boolean);
  const to = addresses('EMAIL_TO');
  const cc = addresses('EMAIL_CC');
  const from = get('EMAIL_FROM');
  const host = get('EMAIL_HOST');
  if (from && host && to.length > 0) {
    const email: Record<string, unknown> = { to: [...to, ...cc], from, smarthost: `${host}:${get('EMAIL_PORT') || '587'}` };
    if ((get('EMAIL_AUTH_TYPE') || 'none').toLowerCase() === 'plain') {
      email['auth_username'] = from;
      email['auth_password_file'] = '/run/secrets/status-email-password';
      notes.push('Write STATUS_EMAIL_PASSWORD into /run/secrets/status-email-password on the Alertmanager host (it is not copied here).');
    }
    // status mailed every change of a stream, of the jump and of its relay/jump connection. Each stream and the jump
    // is a check of the experiment (crit / warn): one alert per check, both ways. The relay and jump connections are
    // vigil's sources: VigilSourceDown (and stale checks) go to default_receiver, so to the same addresses.
    const alerting: Record<string, unknown> = {
      default_receiver: 'practable-mail',
      receivers: { 'practable-mail': { email } },
      policies: [{ name: 'labs', match: { kind: 'experiment' }, on: ['crit', 'warn'], notify: 'change', receiver: 'practable-mail' }],
    };
    if (get('EMAIL_LINK')) alerting['external_url'] = get('EMAIL_LINK');
    config['alerting'] = alerting;
    config['metrics'] = { include: optInFamiliesFor(alerting['policies'] as PolicyShape[]) }; // on: [crit, warn] reads run records
    if (cc.length > 0) notes.push('STATUS_EMAIL_CC recipients are added to "to" (Alertmanager has no Cc).');
    if (get('EMAIL_SUBJECT'))
      notes.push(`STATUS_EMAIL_SUBJECT "${get('EMAIL_SUBJECT')}" has no equivalent: the subject comes from the notification template.`);
  } else if (from || host || to.length > 0) {
    notes.push('STATUS_EMAIL_* is incomplete (FROM, HOST and TO are all needed): no alerting receiver was written.');
  }

  const unmapped = ['HEALTH_LOG_EVERY', 'PORT_SERVE', 'PROFILE', 'PORT_PROFILE', 'LOG_FORMAT', 'LOG_FILE'].filter((n) => get(n) !== '');
  if (unmapped.length > 0)
    notes.push(`No equivalent (vigil logs JSON to stdout and serves everything on "listen"): ${unmapped.map((n) => `STATUS_${n}`).join(', ')}.`);

  const doc = new Document(config);
  doc.commentBefore = [
    " vigil config converted from practable status's STATUS_* environment by `vigil import practable-env`.",
    ' Secrets stay in the environment: vigil reads ${STATUS_SECRET_*} when it loads this file.',
    " status's API is served at /api/v1/practable/experiments on vigil's listen address.",
    ' Availability differs from status: an experiment is unavailable whenever a required stream is unhealthy',
    ' (status only did so for never-seen streams); a missing jump is a warning and never changes it.',
    ...notes.map((note) => ` ${note}`),
  ].join('\n');
  const practable = doc.get('practable', true);
  if (isMap(practable))
    practable.commentBefore = ' URLs as status built them: relay and jump with path.Join, book by concatenation (its token audience).';
  return doc.toString({ lineWidth: 0 });
}

/** The CLI entry: prints the config, or a message on stderr. Returns the exit code (0, or 2 for unusable input). */
export async function importPractableEnvCommand(env: Env = process.env): Promise<number> {
  try {
    process.stdout.write(importPractableEnv(env));
    return 0;
  } catch (error) {
    if (!(error instanceof PractableEnvError)) throw error;
    process.stderr.write(`vigil import practable-env: ${error.message}\n`);
    return 2;
  }
}
