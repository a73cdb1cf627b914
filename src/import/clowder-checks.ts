// The check half of `vigil import clowder`: each Clowder check (checks: {type: {label: config}}) becomes a vigil
// target, with a note for every value that changed meaning or was dropped (Clowder's checks/*.py). Secret header
// values become `${ENV}` references, announced in the header notes; none is copied.
import path from 'node:path';
import { formatDuration } from '../util/duration.js';
import { type Plain, integer, isPlain, number, seconds } from './clowder-values.js';

export interface ConvertedTarget {
  target: Plain;
  notes: string[];
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

/** Every check as a target with its notes; `skipped` says why a check became none. Secret-header notes go to `headerNotes`. */
export function convertChecks(checks: Plain, headerNotes: string[]): { converted: ConvertedTarget[]; skipped: string[] } {
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
