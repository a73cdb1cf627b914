// At most `limit` passes per interval, counting what it held back: log lines about client junk must not become
// a way to fill the disk or drown the log, and the next line that passes says how many were held back.

export class Throttle {
  private windowStart = -Infinity;
  private passed = 0;
  private held = 0;

  constructor(
    private readonly limit: number,
    private readonly intervalMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Undefined when held back; otherwise how many were held back since the last pass. */
  pass(): number | undefined {
    const now = this.clock();
    if (now - this.windowStart >= this.intervalMs) {
      this.windowStart = now;
      this.passed = 0;
    }
    if (this.passed >= this.limit) {
      this.held++;
      return undefined;
    }
    this.passed++;
    const held = this.held;
    this.held = 0;
    return held;
  }
}
