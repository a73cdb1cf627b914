// Evaluates the shared condition vocabulary (config/probe-options.ts) and the verdicts every probe shares:
// timing limits and certificate expiry. Each failing condition names itself, so the check's message says which
// condition failed and why, without echoing secrets (values are cut short).
import type { BodyCondition, HeaderCondition, TextCondition } from '../../config/probe-options.js';
import { formatSeconds, type ProbeResult } from './probe.js';

const SHOWN = 60;

function shorten(text: string): string {
  return text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text;
}

export function describeCondition(condition: TextCondition): string {
  const test =
    condition.matches !== undefined
      ? `matches /${shorten(condition.matches)}/`
      : condition.contains !== undefined
        ? `contains "${shorten(condition.contains)}"`
        : `equals ${shorten(JSON.stringify(condition.equals))}`;
  return condition.not ? `not ${test}` : test;
}

/** Compiled regular expressions, per source string (conditions are few and fixed by config). */
const compiled = new Map<string, RegExp>();
function regex(source: string): RegExp {
  let re = compiled.get(source);
  if (!re) compiled.set(source, (re = new RegExp(source, 'm')));
  return re;
}

/** Whether `value` passes the test of `condition`, before `not` is applied. `undefined` (absent) passes nothing. */
function passesTest(condition: TextCondition, value: unknown): boolean {
  if (value === undefined) return false;
  if (condition.equals !== undefined) {
    return typeof condition.equals === 'string' ? textOf(value) === condition.equals : value === condition.equals;
  }
  const text = textOf(value);
  if (condition.contains !== undefined) return text.includes(condition.contains);
  return regex(condition.matches!).test(text);
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? 'undefined';
}

/** Undefined when the condition holds; otherwise what failed, e.g. `body contains "ok"`. */
export function failedCondition(what: string, condition: TextCondition, value: unknown): string | undefined {
  return passesTest(condition, value) !== condition.not ? undefined : `${what} ${describeCondition(condition)}`;
}

/** The first failing body condition, or undefined. A JSON path on a body that is not JSON fails with that reason. */
export function failedBodyCondition(conditions: readonly BodyCondition[], body: string): string | undefined {
  let parsed: { ok: true; value: unknown } | { ok: false } | undefined;
  for (const condition of conditions) {
    if (condition.json_path === undefined) {
      const failed = failedCondition('body', condition, body);
      if (failed) return failed;
      continue;
    }
    if (!parsed) {
      try {
        parsed = { ok: true, value: JSON.parse(body) as unknown };
      } catch {
        parsed = { ok: false };
      }
    }
    if (!parsed.ok) return `body is not JSON (for ${condition.json_path})`;
    const failed = failedCondition(`body ${condition.json_path}`, condition, selectJsonPath(parsed.value, condition.json_path));
    if (failed) return failed;
  }
  return undefined;
}

/** The first failing header condition, or undefined. */
export function failedHeaderCondition(conditions: readonly HeaderCondition[], header: (name: string) => string | undefined): string | undefined {
  for (const condition of conditions) {
    const failed = failedCondition(`header ${condition.name}`, condition, header(condition.name));
    if (failed) return failed;
  }
  return undefined;
}

const PATH_STEP_RE = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["([^"]*)"\]/g;

/** The value at a path like `$.items[0].name` or `$["odd key"]`; undefined when a step is missing. */
export function selectJsonPath(value: unknown, path: string): unknown {
  let current = value;
  for (const step of path.replace(/^\$/, '').matchAll(PATH_STEP_RE)) {
    if (current === null || typeof current !== 'object') return undefined;
    const key = step[1] ?? step[3];
    if (key !== undefined) {
      if (Array.isArray(current) || !Object.hasOwn(current, key)) return undefined;
      current = (current as Record<string, unknown>)[key];
    } else {
      if (!Array.isArray(current)) return undefined;
      current = current[Number(step[2])];
    }
  }
  return current;
}

export interface TimingLimits {
  max_duration?: number | undefined;
  warn_duration?: number | undefined;
}

export interface CertLimits {
  cert_expiry_warn?: number | undefined;
  cert_expiry_crit?: number | undefined;
}

/**
 * Applies the limits every probe shares to a reached `ok`/`warn` result: duration (max → crit `slow`, warn → warn)
 * and certificate expiry (crit → crit `cert_expiry`, warn → warn). `now` is the wall clock in ms, for expiry.
 * A result that already failed is left as it is: its own reason says more.
 */
export function applyLimits(result: ProbeResult, limits: TimingLimits & CertLimits, now: number): ProbeResult {
  if (!result.reached || result.status === 'crit') return result;
  const seconds = result.metrics.duration_seconds;
  const expiry = result.metrics.tls_cert_expiry_timestamp_seconds;
  const left = expiry === undefined ? undefined : expiry * 1000 - now;
  const leftText = left === undefined ? '' : left <= 0 ? 'expired' : `expires in ${formatDays(left)}`;
  if (left !== undefined && limits.cert_expiry_crit !== undefined && left <= limits.cert_expiry_crit) {
    return {
      ...result,
      status: 'crit',
      reason: 'cert_expiry',
      message: `${result.message}; certificate ${leftText} (crit within ${formatDays(limits.cert_expiry_crit)})`,
    };
  }
  if (seconds !== undefined && limits.max_duration !== undefined && seconds * 1000 > limits.max_duration) {
    return {
      ...result,
      status: 'crit',
      reason: 'slow',
      message: `${result.message}; slower than max_duration ${formatSeconds(limits.max_duration / 1000)}`,
    };
  }
  if (left !== undefined && limits.cert_expiry_warn !== undefined && left <= limits.cert_expiry_warn) {
    return {
      ...result,
      status: 'warn',
      reason: 'cert_expiry',
      message: `${result.message}; certificate ${leftText} (warn within ${formatDays(limits.cert_expiry_warn)})`,
    };
  }
  if (seconds !== undefined && limits.warn_duration !== undefined && seconds * 1000 > limits.warn_duration) {
    return {
      ...result,
      status: 'warn',
      reason: 'slow',
      message: `${result.message}; slower than warn_duration ${formatSeconds(limits.warn_duration / 1000)}`,
    };
  }
  return result;
}

function formatDays(ms: number): string {
  const days = ms / 86_400_000;
  return days >= 1 ? `${days.toFixed(1)}d` : `${(ms / 3_600_000).toFixed(1)}h`;
}
