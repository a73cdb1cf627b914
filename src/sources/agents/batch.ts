// Coalesces sink calls into few sink batches (one apply each): a storm of connects becomes a few large results
// instead of thousands of small ones, and so a few store transactions. Quiet traffic is applied on the next turn of
// the event loop (setImmediate); once more than `stormThreshold` calls were applied inside one `stormWindow`, the rest
// of that window (and each following window while the storm lasts) is gathered and applied when it ends, so a storm
// costs one apply (and about one transaction) per window while every call still lands within a window of arriving.
// Calls keep their order; one refused call (EngineError) does not stop the others.

/** Where gathered calls go: a sink's `batch`, which applies everything `fill` does as one change. */
export interface BatchTarget<S> {
  batch(fill: (sink: S) => void): void;
}

export interface BatchOptions {
  /** Milliseconds; 0 turns storm gathering off. */
  stormWindow: number;
  /** Calls per window above which the window's remaining calls are gathered. */
  stormThreshold: number;
  /** Monotonic milliseconds; tests inject one. */
  clock?: () => number;
}

interface Queued<S> {
  call: (sink: S) => void;
  onError?: (error: unknown) => void;
}

export const DEFAULT_BATCH_OPTIONS: BatchOptions = { stormWindow: 500, stormThreshold: 200 };

export class BatchApplier<S> {
  private queue: Queued<S>[] = [];
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private windowStart = -Infinity;
  private appliedInWindow = 0;
  private readonly clock: () => number;
  /** Applies so far (tests and the benchmark). */
  batches = 0;

  constructor(
    private readonly target: BatchTarget<S>,
    private readonly options: BatchOptions = DEFAULT_BATCH_OPTIONS,
  ) {
    this.clock = options.clock ?? (() => performance.now());
  }

  enqueue(call: (sink: S) => void, onError?: (error: unknown) => void): void {
    this.queue.push(onError ? { call, onError } : { call });
    if (this.immediate || this.timer) return;
    const now = this.clock();
    if (now - this.windowStart >= this.options.stormWindow) {
      // A storm that filled the window just ended goes on: gather the new window from its start.
      const stormGoesOn = this.appliedInWindow >= this.options.stormThreshold && now - this.windowStart < 2 * this.options.stormWindow;
      this.windowStart = now;
      this.appliedInWindow = stormGoesOn ? this.options.stormThreshold : 0;
    }
    if (this.options.stormWindow > 0 && this.appliedInWindow >= this.options.stormThreshold) {
      this.timer = setTimeout(() => this.flush(), Math.max(0, this.windowStart + this.options.stormWindow - now));
    } else {
      this.immediate = setImmediate(() => this.flush());
    }
  }

  /** Applies everything queued now, in order. */
  flush(): void {
    if (this.immediate) clearImmediate(this.immediate);
    if (this.timer) clearTimeout(this.timer);
    this.immediate = undefined;
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const queued = this.queue;
    this.queue = [];
    this.batches++;
    this.appliedInWindow += queued.length;
    this.target.batch((sink) => {
      for (const { call, onError } of queued) {
        try {
          call(sink);
        } catch (error) {
          onError?.(error); // refused: it changed nothing, the others still apply
        }
      }
    });
  }
}
