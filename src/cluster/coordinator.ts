// Keeps a replica's in-memory state to the shards it holds: loads a shard's subjects from the database when the
// shard is taken, drops them when it is given up or the hold lapses. In between, the replica evaluates, ticks and
// exposes only those subjects, and its sources report only about them (Vigil.admits).
import type { Logger } from 'pino';
import * as engine from '../engine/index.js';
import type { EngineEvent, SubjectSpec, SubjectState } from '../engine/types.js';
import type { Vigil } from '../runtime/vigil.js';
import type { PostgresStore } from '../store/postgres/store.js';
import { shardOf } from './shards.js';

export class ShardCoordinator {
  /** Shards whose subjects are in memory: the replica answers for these. */
  private readonly ready = new Set<number>();
  private chain: Promise<void> = Promise.resolve();
  private wanted: ReadonlySet<number> = new Set();
  /** Told the subjects of shards given up, as they were last here (the relay keeps what its sources read back). */
  onDropped: (subjects: SubjectState[]) => void = () => undefined;

  constructor(
    private readonly vigil: Vigil,
    private readonly store: PostgresStore,
    /** Subjects of the config file: each replica defines those of its shards. */
    private readonly configured: readonly SubjectSpec[],
    /** Renames of the config file; applied where both ids are in this replica's shards. */
    private readonly renames: readonly { from: string; to: string }[],
    private readonly log: Logger,
  ) {
    vigil.admits = (subjectId) => this.owns(subjectId);
  }

  /** Whether this replica holds the subject's shard and has its state loaded. */
  owns(subjectId: string): boolean {
    const shard = shardOf(subjectId);
    return this.ready.has(shard) && this.wanted.has(shard);
  }

  readyShards(): ReadonlySet<number> {
    return this.ready;
  }

  /** For ShardHolder.onChange: follow the usable set, one change at a time. */
  readonly onChange = (held: ReadonlySet<number>): void => {
    this.wanted = new Set(held);
    this.chain = this.chain
      .then(() => this.follow())
      .catch((error: unknown) => this.log.error({ err: String(error) }, 'taking or giving up shards failed'));
  };

  /** For ShardHolder.beforeRelease: the shards already stopped counting; wait until their state is flushed and dropped. */
  readonly beforeRelease = async (): Promise<void> => {
    await this.chain;
  };

  /** Resolves once memory matches the last reported hold (tests and shutdown). */
  settled(): Promise<void> {
    return this.chain;
  }

  private async follow(): Promise<void> {
    const lost = [...this.ready].filter((shard) => !this.wanted.has(shard));
    if (lost.length > 0) await this.drop(lost);
    const gained = [...this.wanted].filter((shard) => !this.ready.has(shard));
    if (gained.length > 0) await this.take(gained);
  }

  private async drop(shards: number[]): Promise<void> {
    for (const shard of shards) this.ready.delete(shard);
    // Flush what is pending first: the flush is fenced, so it writes only shards the database still gives us.
    await this.store.commit().catch(() => undefined);
    const gone = new Set(shards);
    const ids = [...this.vigil.state.subjects.keys()].filter((id) => gone.has(shardOf(id)));
    this.onDropped(ids.map((id) => this.vigil.state.subjects.get(id)!));
    this.store.forget(ids);
    this.rebuild(
      [...this.vigil.state.subjects.values()].filter((subject) => !gone.has(shardOf(subject.spec.id))),
      this.history().filter((event) => !gone.has(shardOf(event.subject))),
    );
    this.log.info({ shards: shards.length, subjects: ids.length }, 'gave up shards');
  }

  private async take(shards: number[]): Promise<void> {
    const loaded = await this.store.loadShards(shards);
    // The hold may have changed while loading: keep only what is still ours.
    const still = shards.filter((shard) => this.wanted.has(shard));
    const keep = new Set(still);
    this.rebuild(
      [...this.vigil.state.subjects.values(), ...loaded.subjects.filter((subject) => keep.has(shardOf(subject.spec.id)))],
      [...this.history(), ...loaded.history.filter((event) => keep.has(shardOf(event.subject)))],
    );
    for (const shard of still) this.ready.add(shard);
    const owned = (id: string) => this.ready.has(shardOf(id));
    this.vigil.syncConfiguredSubjects(
      this.configured.filter((spec) => owned(spec.id)),
      this.renames.filter((rename) => owned(rename.from) && owned(rename.to)),
    );
    this.log.info({ shards: still.length, subjects: loaded.subjects.length }, 'took shards');
  }

  private history(): EngineEvent[] {
    return [...this.vigil.state.history.values()].flat();
  }

  /** A fresh engine state from these subjects; the event sequence stays in this replica's own block. */
  private rebuild(subjects: SubjectState[], history: EngineEvent[]): void {
    const current = this.vigil.state;
    const state = engine.restoreState(current.settings, subjects, [...current.sources.values()], current.seq, history);
    state.seq = current.seq;
    this.vigil.replaceState(state);
  }
}
