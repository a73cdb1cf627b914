// Keeps book's availability of each experiment in line with vigil's judgement: read book's value when it is not
// known, PUT only when it differs, then read it back (as status does). One update per experiment at a time; a
// change that arrives meanwhile is applied right after. Nothing during grace, without fresh relay data or a
// resource name.
import type { BookClient } from './book.js';
import type { Experiment } from './model.js';

export interface AvailabilitySyncOptions {
  enabled: boolean;
  clock: () => number;
  inGrace(experiment: Experiment, now: number): boolean;
  /** Book reachable (up) or not, with the error. */
  onBookStatus(up: boolean, error?: unknown): void;
  counters: { ok: number; error: number };
  log: { info(obj: object, msg: string): void };
}

export class AvailabilitySync {
  /** What book said about each experiment, as last read or set; forgotten at each reconciliation. */
  readonly known = new Map<string, boolean>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly rerun = new Set<string>();
  stopped = false;

  constructor(
    private readonly book: BookClient,
    private readonly options: AvailabilitySyncOptions,
  ) {}

  /** The next reconcile of each experiment reads book again (the periodic reconciliation). */
  forget(): void {
    this.known.clear();
  }

  /** Resolves when no update is running. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight.values()]);
  }

  reconcile(experiment: Experiment): void {
    const { options } = this;
    if (!options.enabled || this.stopped) return;
    const resource = experiment.resourceName;
    if (resource === undefined || experiment.available === undefined || options.inGrace(experiment, options.clock())) return;
    if (this.inflight.has(experiment.key)) {
      this.rerun.add(experiment.key);
      return;
    }
    const run = (async () => {
      // Yield first, so the entry below is in `inflight` before this body can reach its `finally`.
      await Promise.resolve();
      try {
        await this.update(experiment, resource);
        options.onBookStatus(true);
      } catch (error) {
        this.known.delete(experiment.key);
        if (!this.stopped) options.onBookStatus(false, error);
      } finally {
        this.inflight.delete(experiment.key);
        if (this.rerun.delete(experiment.key)) this.reconcile(experiment);
      }
    })();
    this.inflight.set(experiment.key, run);
  }

  private async update(experiment: Experiment, resource: string): Promise<void> {
    let known = this.known.get(experiment.key);
    if (known === undefined) {
      known = await this.book.availability(resource);
      this.known.set(experiment.key, known);
    }
    const wanted = experiment.available;
    if (wanted === undefined || known === wanted) return;
    const reason = `vigil ${new Date(this.options.clock()).toISOString()}: ${experiment.availabilityReason ?? ''}`;
    try {
      await this.book.setAvailability(resource, wanted, reason);
      this.options.counters.ok++;
    } catch (error) {
      this.options.counters.error++;
      throw error;
    }
    this.known.set(experiment.key, await this.book.availability(resource));
    this.options.log.info({ experiment: experiment.key, available: wanted }, 'practable availability set in book');
  }
}
