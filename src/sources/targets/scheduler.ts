// One scheduler for every probe: jittered first run, then a fixed period with no drift (the next run is the
// previous *scheduled* time plus the interval, whatever the probe took), a global concurrency limit, no probe
// overlapping itself (a run still going at its next slot makes that slot skipped and counted), and a hung probe
// aborted at its timeout. Clock and timers are injected so tests run without wall-clock sleeps.
import { raceAbort } from '../../util/abort.js';
import { heapPop, heapPush } from '../../util/heap.js';

export interface Timers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface ScheduledJob {
  key: string;
  /** Period in ms. */
  interval: number;
  /** The run's signal aborts this many ms after it started. */
  timeout: number;
  run(signal: AbortSignal): Promise<void>;
}

export interface SchedulerOptions {
  timers?: Timers;
  /** Most runs in flight at once; others wait in order of their scheduled time. */
  concurrency?: number;
  /** Source of jitter in [0, 1); the first run of a job is at start + random() × interval. */
  random?: () => number;
  /** Called as each run starts: `startedAt − scheduledAt` is its lateness. */
  onStart?: (job: ScheduledJob, scheduledAt: number, startedAt: number) => void;
}

export interface SchedulerStats {
  started: number;
  finished: number;
  /** Runs whose signal was aborted at their timeout. */
  timedOut: number;
  /** Slots not run because the previous run (or its wait for a concurrency slot) was still going. */
  skipped: number;
  /** Runs in flight now. */
  active: number;
  /** Runs due and waiting for a concurrency slot. */
  waiting: number;
}

interface Entry {
  job: ScheduledJob;
  seq: number;
  nextAt: number;
  /** Due and waiting for a slot, or running: either way the next slot must not start another. */
  busy: boolean;
  controller?: AbortController;
  /** Bumped per run, so a hung run that settles after its timeout cannot release a later run. */
  generation: number;
  settled?: Promise<void>;
}

export const DEFAULT_CONCURRENCY = 512;

export class Scheduler {
  private readonly timers: Timers;
  private readonly concurrency: number;
  private readonly random: () => number;
  private readonly onStart: SchedulerOptions['onStart'];
  private readonly entries: Entry[] = [];
  private readonly heap: Entry[] = [];
  private readonly ready: { entry: Entry; scheduledAt: number }[] = [];
  private readyHead = 0;
  private timer: unknown;
  private timerAt = Infinity;
  private running = false;
  private readonly stats: SchedulerStats = { started: 0, finished: 0, timedOut: 0, skipped: 0, active: 0, waiting: 0 };

  constructor(options: SchedulerOptions = {}) {
    this.timers = options.timers ?? realTimers;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    this.random = options.random ?? Math.random;
    this.onStart = options.onStart;
  }

  add(job: ScheduledJob): void {
    if (!(job.interval > 0)) throw new Error(`job ${job.key}: interval must be positive`);
    const entry: Entry = { job, seq: this.entries.length, nextAt: 0, busy: false, generation: 0 };
    this.entries.push(entry);
    if (this.running) this.schedule(entry, this.timers.now() + this.random() * job.interval);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.timers.now();
    for (const entry of this.entries) this.schedule(entry, now + this.random() * entry.job.interval);
  }

  /** Stops scheduling, aborts runs in flight and waits (at most `graceMs`) for them to settle. */
  async stop(graceMs = 2_000): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.heap.length = 0;
    this.ready.length = 0;
    this.readyHead = 0;
    const inFlight: Promise<void>[] = [];
    for (const entry of this.entries) {
      entry.controller?.abort();
      if (entry.settled) inFlight.push(entry.settled);
      entry.busy = false;
    }
    if (inFlight.length === 0 || graceMs <= 0) return;
    // Shutdown waits on the real clock (AbortSignal.timeout's timer never holds the process open).
    await raceAbort(Promise.allSettled(inFlight), AbortSignal.timeout(graceMs), () => []);
  }

  getStats(): SchedulerStats {
    return { ...this.stats, waiting: this.ready.length - this.readyHead };
  }

  private schedule(entry: Entry, at: number): void {
    entry.nextAt = at;
    heapPush(this.heap, entry, before);
    this.arm();
  }

  private arm(): void {
    const first = this.heap[0];
    if (!first || !this.running) return;
    if (first.nextAt >= this.timerAt && this.timer !== undefined) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timerAt = first.nextAt;
    this.timer = this.timers.setTimeout(() => this.fire(), Math.max(0, first.nextAt - this.timers.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (!this.running) return;
    const now = this.timers.now();
    while (this.heap.length > 0 && this.heap[0]!.nextAt <= now) {
      const entry = heapPop(this.heap, before)!;
      const scheduledAt = entry.nextAt;
      if (entry.busy) this.stats.skipped++;
      else {
        entry.busy = true;
        this.ready.push({ entry, scheduledAt });
      }
      // No drift: the next slot follows the scheduled one. Slots already past (a stalled event loop) are skipped.
      let next = scheduledAt + entry.job.interval;
      if (next <= now) {
        const missed = Math.floor((now - next) / entry.job.interval) + 1;
        this.stats.skipped += missed;
        next += missed * entry.job.interval;
      }
      entry.nextAt = next;
      heapPush(this.heap, entry, before);
    }
    this.pump();
    this.arm();
  }

  private pump(): void {
    while (this.stats.active < this.concurrency && this.readyHead < this.ready.length) {
      const { entry, scheduledAt } = this.ready[this.readyHead++]!;
      this.begin(entry, scheduledAt);
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready.splice(0, this.readyHead);
      this.readyHead = 0;
    }
  }

  private begin(entry: Entry, scheduledAt: number): void {
    const generation = ++entry.generation;
    const controller = new AbortController();
    entry.controller = controller;
    this.stats.active++;
    this.stats.started++;
    const startedAt = this.timers.now();
    this.onStart?.(entry.job, scheduledAt, startedAt);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.timers.clearTimeout(timeoutHandle);
      this.stats.active--;
      this.stats.finished++;
      if (entry.generation === generation) {
        entry.busy = false;
        entry.controller = undefined;
      }
      if (this.running) this.pump();
    };
    // A probe that ignores its signal must not hold its slot (or block its own next run) forever.
    const timeoutHandle = this.timers.setTimeout(() => {
      this.stats.timedOut++;
      controller.abort();
      release();
    }, entry.job.timeout);
    const settled = Promise.resolve()
      .then(() => entry.job.run(controller.signal))
      .catch(() => {})
      .finally(release);
    entry.settled = settled;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.nextAt < b.nextAt || (a.nextAt === b.nextAt && a.seq < b.seq);
}
