// When a store's next group-commit flush runs, and who waits for it. Both stores (SQLite, PostgreSQL) time their
// flushes the same way; how a flush writes (synchronously, or asynchronously one at a time) stays in each store.
//
// A timer, armed only while something is dirty, calls the store's `flushDue` once per interval and is armed again
// while something is still dirty after it. `commit()` callers wait here until a flush takes them and settles them;
// an API write may ask for its flush soon (after the current event-loop turn) instead of at the interval.

/** A timer the schedule can keep the process alive with (ref) or not (unref), and cancel. */
export interface IntervalTimer {
  ref(): void;
  unref(): void;
  cancel(): void;
}

/** The timers a schedule uses; tests inject fakes to drive it without waiting. */
export interface FlushTimers {
  /** Runs `run` once, `ms` from now. */
  after(ms: number, run: () => void): IntervalTimer;
  /** Runs `run` after the current event-loop turn (Node's setImmediate); returns the cancel. */
  afterThisTurn(run: () => void): () => void;
}

export const nodeFlushTimers: FlushTimers = {
  after(ms, run) {
    const timeout = setTimeout(run, ms);
    return { ref: () => void timeout.ref(), unref: () => void timeout.unref(), cancel: () => clearTimeout(timeout) };
  },
  afterThisTurn(run) {
    const immediate = setImmediate(run);
    return () => clearImmediate(immediate);
  },
};

export interface FlushScheduleOptions {
  intervalMs: number;
  /** Whether anything recorded is not yet written: the timer is armed again after a flush only while it is. */
  dirty: () => boolean;
  /**
   * The interval (or a soon flush) is up: flush, or re-arm when a flush cannot start yet. An asynchronous flush
   * returns its promise: the re-arm waits for it.
   */
  flushDue: () => Promise<unknown> | undefined;
  timers?: FlushTimers;
}

/** The `commit()` callers one flush took: it settles them all with its outcome. */
export interface Waiters {
  resolve(): void;
  reject(error: Error): void;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class FlushSchedule {
  private readonly timers: FlushTimers;
  private waiters: Waiter[] = [];
  private timer: IntervalTimer | undefined;
  /** Cancels the early flush for acknowledgements someone is waiting on (commit(true)). */
  private cancelSoon: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly options: FlushScheduleOptions) {
    this.timers = options.timers ?? nodeFlushTimers;
  }

  /**
   * Arms the flush timer if it is not armed. The timer is unref'd so a merely dirty store never holds the process
   * open (close() flushes), but ref'd while someone awaits commit(): a pending acknowledgement must reach the disk.
   */
  arm(): void {
    if (this.stopped) return;
    if (!this.timer) this.timer = this.timers.after(this.options.intervalMs, () => this.intervalUp());
    if (this.waiters.length > 0) this.timer.ref();
    else this.timer.unref();
  }

  /**
   * Resolves or rejects with the flush that takes this caller (call it only while something is dirty). `soon`: a
   * client waits for the answer, so flush after the current event-loop turn instead of at the interval.
   */
  wait(soon = false): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.arm();
      if (soon && this.cancelSoon === undefined) {
        this.cancelSoon = this.timers.afterThisTurn(() => {
          this.cancelSoon = undefined;
          if (!this.stopped) this.flushNow(() => undefined);
        });
      }
    });
  }

  /** Takes everyone waiting now, for the flush that starts now to settle; later callers wait for the next one. */
  takeWaiters(): Waiters {
    const waiters = this.waiters;
    this.waiters = [];
    return {
      resolve: () => {
        for (const waiter of waiters) waiter.resolve();
      },
      reject: (error) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    };
  }

  /** Cancels the timer and any soon flush; arming does nothing afterwards (the store's close() flushes itself). */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.cancelSoon?.();
    this.cancelSoon = undefined;
  }

  private intervalUp(): void {
    this.timer = undefined;
    this.flushNow(() => {
      if (this.options.dirty()) this.arm();
    });
  }

  private flushNow(then: () => void): void {
    const flushing = this.options.flushDue();
    // A failed flush is not an error here: the store reports it through onError and the waiters.
    if (flushing) flushing.then(then, then);
    else then();
  }
}
