// Coalesces engine calls made in one turn of the event loop into one `Vigil.apply`: a storm of connects becomes a
// few large results instead of thousands of small ones (fewer store records, commit waiters and tick reschedules).
// Calls keep their order; one refused call (EngineError) does not stop the others.
import type { EngineResult, EngineState } from '../../engine/types.js';

export type EngineCall = (state: EngineState, now: number) => EngineResult;

export interface Applier {
  apply(change: EngineCall): EngineResult;
}

interface Queued {
  call: EngineCall;
  onError?: (error: unknown) => void;
}

export class BatchApplier {
  private queue: Queued[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  /** Batches applied so far (for tests and the benchmark). */
  batches = 0;

  constructor(private readonly target: Applier) {}

  enqueue(call: EngineCall, onError?: (error: unknown) => void): void {
    this.queue.push(onError ? { call, onError } : { call });
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Applies everything queued now, in order. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.queue.length === 0) return;
    const queued = this.queue;
    this.queue = [];
    this.batches++;
    this.target.apply((state, now) => {
      const merged: EngineResult = { events: [], changed: new Set(), changedSources: new Set() };
      for (const { call, onError } of queued) {
        let result: EngineResult;
        try {
          result = call(state, now);
        } catch (error) {
          onError?.(error);
          continue;
        }
        for (const event of result.events) merged.events.push(event);
        for (const id of result.changed) merged.changed.add(id);
        for (const name of result.changedSources ?? []) merged.changedSources!.add(name);
      }
      return merged;
    });
  }
}
