// Bounded waits for tests: every wait gives up with an error naming what it awaited, never hangs a run.
// Two mechanics: `until` for real I/O, bounded by the wall clock; `untilTurns` for code whose time is an injected
// fake clock, bounded by how many event-loop turns it was given (a slow, shared machine stretches the time, not
// the number of looks).

export interface UntilOptions {
  /** Give up once this much wall-clock time has passed (one last look is taken after it). Default 5 s. */
  timeoutMs?: number;
  /** Pause between looks. Default 10 ms; poll real processes (Prometheus, a replica) slower. */
  intervalMs?: number;
  /**
   * Count a check that throws as "not yet" (a process still starting refuses connections); the last error is
   * named when the wait gives up. Otherwise a throwing check fails the wait at once.
   */
  retryErrors?: boolean;
}

/** A look that found nothing yet: checks answer with a boolean, or with the value they were after. */
type NotYet = false | undefined;

/** What is awaited, for the failure; a function is asked only then, so it can name the state at that moment. */
export type What = string | (() => string);

const describe = (what: What): string => (typeof what === 'function' ? what() : what);

/**
 * Looks at `check` (sync or async) until it answers something other than `false` or `undefined`, and returns that
 * answer: `true` for a condition, or the value found. Throws `timed out … waiting for <what>` past the deadline.
 */
export async function until<T>(check: () => T | Promise<T>, what: What, options: UntilOptions = {}): Promise<Exclude<T, NotYet>> {
  const { timeoutMs = 5_000, intervalMs = 10, retryErrors = false } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const answer = await check();
      if (answer !== false && answer !== undefined) return answer as Exclude<T, NotYet>;
    } catch (error) {
      if (!retryErrors) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe(what)}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Looks at `condition` once per event-loop turn (a 1 ms timer, so loopback I/O and timers due get their go) until
 * it holds; throws `timed out … waiting for <what>` after `maxTurns` turns. Default 10 000 turns: at least 10 s.
 */
export async function untilTurns(condition: () => boolean, what: What, maxTurns = 10_000): Promise<void> {
  for (let turn = 0; turn < maxTurns; turn++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  if (condition()) return;
  throw new Error(`timed out after ${maxTurns} event-loop turns waiting for ${describe(what)}`);
}
