// Polling sources (Octopus, practable, Kubernetes) run on one replica at a time: the one holding the shard their
// name hashes to. They ride on the shard holds, so they inherit their fencing: a replica whose hold lapses stops
// the source before the database lets another replica take the shard and start it there. What a source reports
// goes through a RelaySink to the subjects' owners. Targets and the agents' hub stay on every replica: each reports
// only about what it owns.
import type { Logger } from 'pino';
import type { SourcePlacement } from '../sources/extension.js';
import type { Source, SourceSink } from '../sources/types.js';
import type { RelaySink } from './relay-sink.js';
import { shardOf } from './shards.js';

/** A running extension's sources and where its definition says they run. */
export interface PlacedExtension {
  placement?: SourcePlacement | undefined;
  sources?: Source[];
}

/** The shard whose holder runs the named source. */
export function pollerShard(sourceName: string): number {
  return shardOf(`source:${sourceName}`);
}

/** A source that runs only while this replica holds its poller shard, reporting through the relay sink. */
class GatedSource implements Source {
  /** serve started it (and has not stopped it). */
  private started = false;
  private running = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly inner: Source,
    private readonly relay: RelaySink,
    private readonly held: () => ReadonlySet<number>,
    private readonly log: Logger,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get polling(): boolean {
    return this.running;
  }

  /** Started by serve like any source (its sink is not used); it polls once this replica holds its shard. */
  start(_sink: SourceSink): void {
    this.started = true;
    this.follow();
  }

  /** Starts or stops the inner source to follow the held shards; one change at a time. */
  follow(): void {
    const wanted = () => this.started && this.held().has(pollerShard(this.inner.name));
    this.chain = this.chain
      .then(async () => {
        if (wanted() === this.running) return;
        if (!this.running) {
          // What the source reported before, on whichever replica: it reads that back (e.g. a machine's last health).
          await this.relay
            .warm(this.inner.name)
            .catch((error: unknown) =>
              this.log.warn({ source: this.inner.name, err: String(error) }, 'could not read back what the source reported before'),
            );
          if (!wanted()) return; // the hold lapsed meanwhile: never start past it
          this.running = true;
          this.log.info({ source: this.inner.name }, 'polling source started on this replica');
          this.inner.start(this.relay);
        } else {
          this.running = false;
          this.log.info({ source: this.inner.name }, 'polling source stopped on this replica (another replica takes it)');
          await this.inner.stop();
        }
      })
      .catch((error: unknown) => this.log.error({ source: this.inner.name, err: String(error) }, 'starting or stopping a polling source failed'));
  }

  /** Resolves once the source runs or stands still as last told. */
  settled(): Promise<void> {
    return this.chain;
  }

  async stop(): Promise<void> {
    this.started = false;
    this.follow();
    await this.chain;
  }
}

export class PollerPlacement {
  private readonly gated: GatedSource[] = [];

  constructor(
    private readonly relay: RelaySink,
    /** The shards this replica may use now (ShardHolder.held). */
    private readonly held: () => ReadonlySet<number>,
    private readonly log: Logger,
  ) {}

  /** Extensions' sources as they run here: `every-replica` ones as they are, the others gated on their shard. */
  place(extensions: readonly PlacedExtension[]): Source[] {
    return extensions.flatMap((extension) => {
      const sources = extension.sources ?? [];
      if (extension.placement === 'every-replica') return sources;
      return sources.map((source) => {
        const gate = new GatedSource(source, this.relay, this.held, this.log);
        this.gated.push(gate);
        return gate;
      });
    });
  }

  /** For the holder's onChange: start or stop polling sources as their shards come and go. */
  follow(): void {
    for (const gate of this.gated) gate.follow();
  }

  /** Resolves once every polling source follows the last held set (a source stopped before its shard is given back). */
  async settled(): Promise<void> {
    await Promise.all(this.gated.map((gate) => gate.settled()));
  }

  /** Names of every polling source (running here or not). */
  names(): ReadonlySet<string> {
    return new Set(this.gated.map((gate) => gate.name));
  }

  /** Names of the sources polling on this replica now (GET /api/v1/cluster). */
  polling(): string[] {
    return this.gated.filter((gate) => gate.polling).map((gate) => gate.name);
  }
}
