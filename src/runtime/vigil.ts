// The runtime around the pure engine: it owns the clock, the store and the timers, and hands out committed events.
// Everything that changes state goes through `apply`, so the store sees every change and listeners see every event.
import { EventEmitter } from 'node:events';
import * as engine from '../engine/index.js';
import type { EngineEvent, EngineResult, EngineSettings, EngineState, SubjectSpec } from '../engine/types.js';
import type { SourceSink } from '../sources/types.js';
import { Maintenance } from '../maintenance/registry.js';
import type { MaintenanceWindow } from '../maintenance/windows.js';
import type { StateStore } from '../store/state-store.js';
import { StoreError } from '../store/store.js';
import { repairStoredState } from './repair.js';

export type Clock = () => number;

/** Longest a tick is put off, so time-driven changes show within this even without a deadline. */
const MAX_TICK_DELAY_MS = 1_000;
/** Flushes an event batch waits through before it is given up on (the store keeps retrying the data itself). */
const MAX_PUBLISH_ATTEMPTS = 100;

interface PendingWrite {
  snapshot: engine.Snapshot;
  result?: EngineResult;
  /** Set when another write's failed flush undid this one: it must not be acknowledged, even if a later flush succeeds. */
  undoneBy?: Error;
}

export class Vigil {
  /** Replaced only by replaceState (a replica taking or giving up shards); read it afresh, do not keep it. */
  state: EngineState;
  /**
   * Whether this process evaluates `subjectId`: always, unless it is one of several replicas. Sources report through
   * the sink only what it admits, so a replica never creates or changes a subject another replica owns.
   */
  admits: (subjectId: string) => boolean = () => true;
  /** Highest event seq known to be durably stored: API readers never see past it. */
  committedSeq: number;
  /** Maintenance windows: read by the page, badges and gauge; events of a subject inside one name the window. */
  readonly maintenance: Maintenance;
  private readonly bus = new EventEmitter();
  private tickTimer: NodeJS.Timeout | undefined;
  /** API writes applied in memory and waiting for their commit, oldest first. */
  private readonly pendingWrites: PendingWrite[] = [];
  /** Event batches of undone writes: never published. */
  private readonly withdrawn = new WeakSet<EngineEvent[]>();
  private closed = false;
  /** Subjects whose stored times or durations were out of bounds and were clamped at start (see repair.ts). */
  readonly repairedAtStart: Set<string>;

  constructor(
    readonly store: StateStore,
    settings: EngineSettings,
    readonly clock: Clock = Date.now,
  ) {
    // Events stay in the store, read page by page (API, event streams, the subject page); only new ones join the history.
    const loaded = store.load({ history: false });
    this.repairedAtStart = repairStoredState(loaded.subjects, loaded.history, clock());
    this.state = engine.restoreState(settings, loaded.subjects, loaded.sources, loaded.seq, loaded.history);
    this.committedSeq = loaded.seq;
    store.attach(this.state);
    // Rewritten with the next flush, so the repair happens once.
    if (this.repairedAtStart.size > 0) store.record({ events: [], changed: new Set(this.repairedAtStart) });
    this.maintenance = new Maintenance(store);
    this.bus.setMaxListeners(0);
  }

  /** Applies one engine call at the current time and records the result for the next group commit. */
  apply(change: (state: EngineState, now: number) => EngineResult): EngineResult {
    const result = change(this.state, this.clock());
    this.record(result);
    return result;
  }

  /**
   * Like `apply`, but resolves only once the change is durable (an acknowledged API write), and a write that cannot
   * be made durable changes nothing: refused at once while the store is failing, undone if its commit fails or the
   * engine call throws half-way. `touches` names the subjects the call is about (their dependants are covered too).
   */
  async applyDurably(change: (state: EngineState, now: number) => EngineResult, touches: Iterable<string>): Promise<EngineResult> {
    const failure = this.store.stats().lastFlushError;
    if (failure !== undefined) throw new StoreError(`the state store is failing, so this write was not applied: ${failure}`);
    const undo: PendingWrite = { snapshot: engine.snapshotSubjects(this.state, touches) };
    let result: EngineResult;
    try {
      result = this.apply(change);
    } catch (error) {
      this.restore(undo.snapshot);
      throw error;
    }
    undo.result = result;
    this.pendingWrites.push(undo);
    try {
      await this.store.commit(true); // a client waits: flush after this turn, not at the interval
    } catch (error) {
      if (undo.undoneBy === undefined) this.rollBackPendingWrites(error);
      throw error;
    } finally {
      const index = this.pendingWrites.indexOf(undo);
      if (index >= 0) this.pendingWrites.splice(index, 1);
    }
    // Applied while an earlier flush was in flight (an asynchronous store) and undone when that flush failed.
    if (undo.undoneBy !== undefined) throw undo.undoneBy;
    return result;
  }

  /**
   * A failed flush fails every write waiting for it: undo them newest first, so each snapshot is restored onto the
   * state it was taken from. With an asynchronous store that includes writes applied while the flush was in flight,
   * which wait for a later flush: they are marked, so they are refused too rather than acknowledged once undone.
   * Their events are withdrawn from the store and never published.
   */
  private rollBackPendingWrites(cause: unknown): void {
    const writes = this.pendingWrites.splice(0).reverse();
    const undone = cause instanceof StoreError ? cause : new StoreError(`the state store failed, so this write was undone: ${String(cause)}`);
    for (const write of writes) {
      write.undoneBy = undone;
      this.restore(write.snapshot);
      if (write.result) {
        this.withdrawn.add(write.result.events);
        this.store.withdraw(write.result.events);
      }
    }
  }

  private restore(snapshot: engine.Snapshot): void {
    const restored = engine.restoreSnapshot(this.state, snapshot);
    this.store.record({ events: [], changed: restored, changedSources: new Set(this.state.sources.keys()) });
  }

  /**
   * Brings configured subjects in line with the config: first the renames (`renamed_from`) of subjects that still
   * have their old id, so their history, events and manipulations follow; then upsert the listed ones and remove
   * configured ones no longer listed. A rename whose new id already exists has happened before and is skipped.
   */
  syncConfiguredSubjects(specs: SubjectSpec[], renames: readonly { from: string; to: string }[] = []): void {
    for (const { from, to } of renames) {
      if (this.state.subjects.has(from) && !this.state.subjects.has(to)) this.apply((s, now) => engine.renameSubject(s, from, to, now));
    }
    const wanted = new Set(specs.map((spec) => spec.id));
    for (const [id, subject] of this.state.subjects) {
      if (subject.spec.source === 'config' && !wanted.has(id)) this.apply((s, now) => engine.removeSubject(s, id, now));
    }
    // Dependencies first, so a dependant never points at a subject that does not exist yet.
    for (const spec of orderByDependencies(specs)) this.apply((s, now) => engine.upsertSubject(s, spec, now));
  }

  /** Swaps in a rebuilt state (a replica took or gave up shards); the store flushes from the new one. */
  replaceState(state: EngineState): void {
    this.state = state;
    this.store.attach(state);
    this.scheduleTick();
  }

  /** The narrow interface sources report through. */
  sink(): SourceSink {
    const admitted = (subject: string, change: (state: EngineState, now: number) => EngineResult): void => {
      if (this.admits(subject)) this.apply(change);
    };
    return {
      defineSubject: (spec) => admitted(spec.id, (s, now) => engine.upsertSubject(s, spec, now)),
      observe: (observation) => admitted(observation.subject, (s, now) => engine.applyObservation(s, observation, now)),
      connectivity: (signal) => admitted(signal.subject, (s, now) => engine.applyConnectivity(s, signal, now)),
      metadata: (subject, key, entry) =>
        admitted(subject, (s, now) => (entry === null ? engine.deleteMetadata(s, subject, key, now) : engine.setMetadata(s, subject, key, entry, now))),
      // The engine names the sources it changed (EngineResult.changedSources); the store persists those.
      sourceStatus: (source, up, reason) => this.apply((s, now) => engine.applySourceStatus(s, source, { up, reason }, now)),
    };
  }

  /** Calls `listener` with events once they are committed, in seq order. Returns the unsubscribe function. */
  onCommittedEvents(listener: (events: EngineEvent[]) => void): () => void {
    this.bus.on('events', listener);
    return () => this.bus.off('events', listener);
  }

  /** Starts the tick loop that applies time-driven changes (staleness, grace, lags, delayed disconnects). */
  start(): void {
    this.scheduleTick();
  }

  stop(): void {
    this.closed = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
  }

  private record(result: EngineResult): void {
    if (result.changed.size === 0 && result.events.length === 0 && !result.changedSources?.size) return;
    this.noteMaintenance(result.events);
    this.store.record(result);
    if (result.events.length > 0) {
      void this.publishWhenDurable(result.events);
    }
    this.scheduleTick();
  }

  /** Health keeps being recorded during maintenance; its events only say that they happened inside a window. */
  private noteMaintenance(events: EngineEvent[]): void {
    if (events.length === 0 || this.maintenance.list().length === 0) return;
    let openAt = Number.NaN;
    let open: MaintenanceWindow[] = [];
    for (const event of events) {
      if (event.at !== openAt) [openAt, open] = [event.at, this.maintenance.openAt(event.at)]; // a batch shares its time
      const subject = this.state.subjects.get(event.subject);
      const window = subject && open.length > 0 ? this.maintenance.openFor(subject.spec, event.at, open) : undefined;
      if (window) event.maintenance = window.id;
    }
  }

  private async publishWhenDurable(events: EngineEvent[]): Promise<void> {
    // A failed flush keeps its data dirty and retries on the next interval (the store reports the error): wait for that one.
    for (let attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS && !this.closed; attempt++) {
      try {
        await this.store.commit();
        if (!this.withdrawn.has(events)) this.publish(events);
        return;
      } catch {
        if (this.withdrawn.has(events)) return; // undone: it will never be committed
        // otherwise retried by the next flush
      }
    }
  }

  private publish(events: EngineEvent[]): void {
    const last = events[events.length - 1]!;
    if (last.seq > this.committedSeq) this.committedSeq = last.seq;
    this.bus.emit('events', events);
  }

  private scheduleTick(): void {
    if (this.closed) return;
    const now = this.clock();
    const deadline = engine.nextDeadline(this.state);
    const delay = Math.max(0, Math.min(MAX_TICK_DELAY_MS, (deadline ?? now + MAX_TICK_DELAY_MS) - now));
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined;
      this.record(engine.tick(this.state, this.clock()));
      this.scheduleTick();
    }, delay);
    this.tickTimer.unref();
  }
}

function orderByDependencies(specs: SubjectSpec[]): SubjectSpec[] {
  const byId = new Map(specs.map((spec) => [spec.id, spec]));
  const ordered: SubjectSpec[] = [];
  const visited = new Set<string>();
  const visit = (spec: SubjectSpec): void => {
    if (visited.has(spec.id)) return;
    visited.add(spec.id);
    for (const dependency of spec.dependsOn) {
      const target = byId.get(dependency.id);
      if (target) visit(target);
    }
    ordered.push(spec);
  };
  specs.forEach(visit);
  return ordered;
}
