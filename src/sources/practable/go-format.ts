// Go's spellings of durations and times, as practable's Go services write and read them: relay reports carry
// `time.Duration` strings ("41.2ms", "1h2m3.5s", "Never"), and status's JSON API prints `Duration.String()` and
// `Time.String()`. Durations here are milliseconds (fractional where Go has nanoseconds).

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const GO_DURATION_RE = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const GO_DURATION_PART_RE = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/** Parses a Go duration string ("1h2m3.5s", "41.2ms", "0"); milliseconds, or undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0' || trimmed === '+0' || trimmed === '-0') return 0;
  if (!GO_DURATION_RE.test(trimmed)) return undefined;
  let ns = 0;
  for (const [, amount, unit] of trimmed.matchAll(GO_DURATION_PART_RE)) ns += Number(amount) * UNIT_NS[unit!]!;
  return (trimmed.startsWith('-') ? -ns : ns) / 1e6;
}

/** Go's `time.Duration.String()` of a duration in milliseconds: "0s", "41.2ms", "1.5µs", "1h2m3.5s". */
export function formatGoDuration(ms: number): string {
  let ns = BigInt(Math.round(ms * 1e6));
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  if (ns < 0n) ns = -ns;
  if (ns < 1_000_000_000n) {
    if (ns < 1_000n) return `${sign}${ns}ns`;
    if (ns < 1_000_000n) return `${sign}${fraction(ns, 1_000n)}µs`;
    return `${sign}${fraction(ns, 1_000_000n)}ms`;
  }
  const hours = ns / 3_600_000_000_000n;
  const minutes = (ns / 60_000_000_000n) % 60n;
  const seconds = fraction(ns % 60_000_000_000n, 1_000_000_000n);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** `value / unit` with the fraction's trailing zeros trimmed, as Go prints it. */
function fraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return `${whole}`;
  const digits = String(unit).length - 1;
  return `${whole}.${rest.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}

/** Go's zero `time.Time` as `Time.String()` prints it. */
export const GO_ZERO_TIME = '0001-01-01 00:00:00 +0000 UTC';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Go's `Time.String()` in UTC of an epoch-millisecond time, e.g. "2024-05-02 10:00:00.1 +0000 UTC". */
export function formatGoTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return GO_ZERO_TIME;
  const d = new Date(ms);
  const frac = d.getUTCMilliseconds() === 0 ? '' : `.${pad(d.getUTCMilliseconds(), 3).replace(/0+$/, '')}`;
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac} +0000 UTC`;
}

const RFC3339_UTC_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * An RFC 3339 time from a relay or jump report as Go's `Time.String()` would print it after decoding, keeping
 * nanoseconds ("2024-05-02T09:00:00.123456789Z" → "2024-05-02 09:00:00.123456789 +0000 UTC"). Anything not
 * in UTC is converted through Date (milliseconds); anything unparseable is the zero time.
 */
export function goTimeFromRfc3339(text: string | undefined): string {
  if (text === undefined) return GO_ZERO_TIME;
  const match = RFC3339_UTC_RE.exec(text);
  if (match) {
    const [, y, mo, d, h, mi, s, frac] = match;
    const fractional = frac ? frac.replace(/0+$/, '') : '';
    return `${y}-${mo}-${d} ${h}:${mi}:${s}${fractional ? `.${fractional}` : ''} +0000 UTC`;
  }
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? GO_ZERO_TIME : formatGoTime(ms);
}
