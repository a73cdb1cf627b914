// Exponential backoff with jitter, for every reconnect loop in vigil: the first retry waits about `min`, each
// failure multiplies the wait by `factor` up to `max`, and a success resets it. "Full jitter" picks each delay
// uniformly between `(1 − jitter) × base` and `base`, so many clients that lost the same peer do not return in
// lockstep (upstream practable clients have no jitter, which is exactly the herd this avoids).

export interface BackoffOptions {
  /** First delay, milliseconds. */
  min: number;
  /** Largest delay, milliseconds. */
  max: number;
  /** Growth per consecutive failure; default 2. */
  factor?: number;
  /** Fraction of each delay that is random, 0 (none) to 1 (anything from 0 to the base); default 0.5. */
  jitter?: number;
  /** Source of randomness in [0, 1); tests inject a fixed one. */
  random?: () => number;
}

export class Backoff {
  private failures = 0;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    if (!(options.min > 0) || !(options.max >= options.min)) throw new RangeError('backoff: need 0 < min <= max');
    this.factor = options.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
    this.random = options.random ?? Math.random;
    if (!(this.factor >= 1)) throw new RangeError('backoff: factor must be >= 1');
  }

  /** Consecutive failures since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt; counts one more failure. */
  next(): number {
    const base = Math.min(this.options.max, this.options.min * this.factor ** Math.min(this.failures, 64));
    this.failures++;
    return Math.round(base * (1 - this.jitter * this.random()));
  }

  /** After a success: the next failure waits about `min` again. */
  reset(): void {
    this.failures = 0;
  }
}
