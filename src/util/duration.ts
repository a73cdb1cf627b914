// Prometheus-style durations ("90s", "1h30m", "500ms", "1d") and API times, in one place.
import { durationProblem } from './bounds.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};
const DURATION_RE = /^(?:(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y))+$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g;

/** Parses `"10s"`, `"1h30m"`, `"250ms"`; a bare number means seconds. Throws on anything else, and past 366 days. */
export function parseDuration(input: string | number): number {
  const ms = parseUnboundedDuration(input);
  const problem = durationProblem(ms);
  if (problem) throw new Error(`invalid duration ${typeof input === 'number' ? input : `"${input}"`}: ${problem}`);
  return ms;
}

/**
 * Durations already parsed: a push batch repeats the same few ("1h", "5m") on every observation, and the regular
 * expressions below cost a visible part of the write path (bench/RESULTS.md, scale). Bounded: cleared when full.
 */
const parsed = new Map<string, number>();
const MAX_PARSED = 1_000;

function parseUnboundedDuration(input: string | number): number {
  if (typeof input === 'string') {
    const known = parsed.get(input);
    if (known !== undefined) return known;
    const ms = parseDurationText(input);
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(input, ms);
    return ms;
  }
  if (!Number.isFinite(input) || input < 0) throw new Error(`invalid duration ${input}: must be a non-negative number of seconds`);
  return Math.round(input * 1000);
}

function parseDurationText(input: string): number {
  const text = input.trim();
  if (text === '0') return 0;
  if (!DURATION_RE.test(text)) {
    throw new Error(`invalid duration "${input}": use a number and a unit such as 10s, 5m, 1h30m, 1d`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART_RE)) total += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(total);
}

/** Formats milliseconds the way Prometheus does ("1h30m", "15s", "250ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ['y', 'w', 'd', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit]!;
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

/** Parses an API time: an RFC 3339 string or Unix seconds. Returns epoch milliseconds. */
export function parseTime(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new Error(`invalid time ${input}: expected Unix seconds`);
    return Math.round(input * 1000);
  }
  if (/^\d+(\.\d+)?$/.test(input)) return Math.round(Number(input) * 1000);
  const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
  const ms = rfc3339.test(input) ? Date.parse(input) : NaN;
  if (Number.isNaN(ms)) throw new Error(`invalid time "${input}": expected RFC 3339 (2026-01-02T15:04:05Z) or Unix seconds`);
  return ms;
}
