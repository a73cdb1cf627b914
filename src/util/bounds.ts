// The sane window for times and the ceiling for durations, in one place. Every edge (API bodies, agent messages,
// config durations), the engine's own guard and the start-up repair of stored state check against these, so a
// value one of them accepts never makes another fail (a time past year 275760 cannot even be formatted).

/** Times before this are refused: nothing vigil watches reported before 2000, so such a time is a unit mistake. */
export const EARLIEST_TIME_MS = Date.UTC(2000, 0, 1);
/** How far ahead of vigil's clock a reported time may be (clock skew); beyond it the time is refused. */
export const MAX_FUTURE_MS = 86_400_000;
/** Longest duration accepted anywhere (periods, lags, timeouts, waits): 366 days. */
export const MAX_DURATION_MS = 366 * 86_400_000;

const iso = (ms: number): string => new Date(ms).toISOString();

/** Why `ms` is not a usable reported time at `now`, or undefined when it is. */
export function timeWindowProblem(ms: number, now: number): string | undefined {
  if (!Number.isFinite(ms)) return 'must be a finite time';
  if (ms < EARLIEST_TIME_MS) return `is before ${iso(EARLIEST_TIME_MS)}; send RFC 3339 or Unix seconds (not milliseconds)`;
  if (ms > now + MAX_FUTURE_MS) return `is more than a day ahead of vigil's clock (${iso(now)}); check the sender's clock and unit`;
  return undefined;
}

/** Why `ms` is not a usable time for something scheduled (a maintenance window): up to 366 days ahead, not before 2000. */
export function scheduleWindowProblem(ms: number, now: number): string | undefined {
  if (!Number.isFinite(ms)) return 'must be a finite time';
  if (ms < EARLIEST_TIME_MS) return `is before ${iso(EARLIEST_TIME_MS)}; send RFC 3339 or Unix seconds (not milliseconds)`;
  if (ms > now + MAX_DURATION_MS) return `is more than 366 days ahead of vigil's clock (${iso(now)})`;
  return undefined;
}

/** Why `ms` is not a usable duration, or undefined when it is. */
export function durationProblem(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms < 0) return 'must be a finite, non-negative duration';
  if (ms > MAX_DURATION_MS) return `is longer than the maximum of 366d`;
  return undefined;
}

/** `ms` if it lies in the time window, else `fallback`: the start-up repair of stored values. */
export const clampTime = (ms: number, now: number): number => (Number.isFinite(ms) && ms <= now + MAX_FUTURE_MS ? ms : now);
