// The sink a polling source reports through when it runs on one replica for the whole cluster: what concerns a
// subject this replica owns is applied here; the rest is batched per owner and posted to the owner's
// POST /api/v1/cluster/sink, which applies it and answers only once it is committed. A call the owner refused (its
// shard moved) or that could not be delivered is kept, in order, and sent again to whoever owns it then. A source's
// own status reaches every live replica, since each one drops the checks of a lost source on its own subjects.
import { Router, json } from 'express';
import type { Logger } from 'pino';
import type { ConnectivitySignal, EngineState, MetadataLevel, Observation, SubjectSpec, SubjectState } from '../engine/types.js';
import { HttpProblem, sendProblem } from '../exporter/problem.js';
import type { Limits, WriteFootprint } from '../runtime/limits.js';
import type { SourceEvent, SourceSink } from '../sources/types.js';
import { postToReplica, requireClusterKey } from './internal.js';

export type SinkCall =
  | { op: 'defineSubject'; spec: SubjectSpec }
  | { op: 'removeSubject'; subject: string }
  | { op: 'observe'; observation: Observation }
  | { op: 'connectivity'; signal: ConnectivitySignal }
  | { op: 'metadata'; subject: string; key: string; entry: { level: MetadataLevel; message: string; value?: number } | null }
  | { op: 'recordSourceEvent'; event: SourceEvent }
  | { op: 'sourceStatus'; source: string; up: boolean; reason?: string };

export const SINK_PATH = '/cluster/sink';
export const MIRROR_PATH = '/cluster/mirror';
const BATCH_MAX = 500;
/** Calls kept for delivery at most; beyond it the oldest are dropped (and counted): a source re-reports anyway. */
const QUEUE_MAX = 100_000;
const GATHER_MS = 20;
const RETRY_MS = 1_000;
/** Body limit of the internal routes (after the key was checked): a batch, independent of api.max_body. */
const SINK_BODY_LIMIT = '16mb';

/** The subject a call is about; undefined for a source's own status, which every replica applies. */
export function callSubject(call: SinkCall): string | undefined {
  switch (call.op) {
    case 'defineSubject':
      return call.spec.id;
    case 'removeSubject':
      return call.subject;
    case 'observe':
      return call.observation.subject;
    case 'connectivity':
      return call.signal.subject;
    case 'metadata':
      return call.subject;
    case 'recordSourceEvent':
      return call.event.subject;
    case 'sourceStatus':
      return undefined;
  }
}

export function applyCall(sink: SourceSink, call: SinkCall): void {
  switch (call.op) {
    case 'defineSubject':
      return sink.defineSubject(call.spec);
    case 'removeSubject':
      return sink.removeSubject(call.subject);
    case 'observe':
      return sink.observe(call.observation);
    case 'connectivity':
      return sink.connectivity(call.signal);
    case 'metadata':
      return sink.metadata(call.subject, call.key, call.entry);
    case 'recordSourceEvent':
      return sink.recordSourceEvent(call.event);
    case 'sourceStatus':
      return sink.sourceStatus(call.source, call.up, call.reason);
  }
}

/** Applies a call that was put off or relayed: an invalid one is logged and not kept, as it would fail every time. */
function applyLogged(sink: SourceSink, call: SinkCall, log: Logger): void {
  try {
    applyCall(sink, call);
  } catch (error) {
    log.warn({ op: call?.op, err: error instanceof Error ? error.message : String(error) }, 'relayed source call not applied');
  }
}

export interface RelaySinkOptions {
  /** This replica's own sink (Vigil.sink()). */
  local: SourceSink;
  self: string;
  key: string;
  owns(subjectId: string): boolean;
  /** The owner's advertised address; `fresh` asks the database rather than a recent map. */
  ownerOf(subjectId: string, fresh: boolean): Promise<string | undefined>;
  liveReplicas(): Promise<string[]>;
  /** This replica's state (for subjects it owns). */
  state(): EngineState;
  log: Logger;
}

export interface RelayStats {
  delivered: number;
  dropped: number;
  pending: number;
}

interface Pending {
  call: SinkCall;
  /** Set for a source status: the one replica this copy is for. */
  to?: string;
}

export class RelaySink implements SourceSink {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private delivering: Promise<void> | undefined;
  private closed = false;
  private readonly counts = { delivered: 0, dropped: 0 };
  /** Subjects other replicas own, as their owner last answered: what a source reads back about its own reports. */
  private readonly mirror = new Map<string, SubjectState>();
  /** Where calls about subjects owned here go: the local sink, or its batch while `batch` runs. */
  private local: SourceSink;

  constructor(private readonly options: RelaySinkOptions) {
    this.local = options.local;
  }

  defineSubject(spec: SubjectSpec): void {
    this.route({ op: 'defineSubject', spec });
  }
  removeSubject(subject: string): void {
    this.mirror.delete(subject);
    this.route({ op: 'removeSubject', subject });
  }
  observe(observation: Observation): void {
    this.route({ op: 'observe', observation });
  }
  connectivity(signal: ConnectivitySignal): void {
    this.route({ op: 'connectivity', signal });
  }
  metadata(subject: string, key: string, entry: { level: MetadataLevel; message: string; value?: number } | null): void {
    this.route({ op: 'metadata', subject, key, entry });
  }
  recordSourceEvent(event: SourceEvent): void {
    this.route({ op: 'recordSourceEvent', event });
  }
  sourceStatus(source: string, up: boolean, reason?: string): void {
    const call: SinkCall = { op: 'sourceStatus', source, up, ...(reason !== undefined && { reason }) };
    applyCall(this.local, call);
    void this.options.liveReplicas().then(
      (live) => this.enqueue(live.filter((id) => id !== this.options.self).map((to) => ({ call, to }))),
      (error: unknown) => this.options.log.warn({ err: String(error) }, 'source status not sent to the other replicas'),
    );
  }

  /**
   * A subject as far as this replica knows it: its own state when it owns it, else the owner's state as of the last
   * report delivered about it (or as loaded by warm()). Sources read back what they reported through this.
   */
  subject(subjectId: string): SubjectState | undefined {
    return this.options.state().subjects.get(subjectId) ?? (this.options.owns(subjectId) ? undefined : this.mirror.get(subjectId));
  }

  /** The source's subjects across the cluster: this replica's, and those other replicas answered about. */
  subjectsOf(source: string): string[] {
    const ids = new Set(this.local.subjectsOf(source));
    for (const [id, subject] of this.mirror) if (subject.spec.source === source && !this.options.owns(id)) ids.add(id);
    return [...ids];
  }

  /** Calls about any subject take effect through this sink: those about other replicas' subjects reach their owner. */
  owns(_subject: string): boolean {
    return true;
  }

  refuseBeyondLimits(limits: Limits, writes: readonly WriteFootprint[]): void {
    this.local.refuseBeyondLimits(limits, writes);
  }

  /** The calls about subjects owned here apply as one change (the local sink's batch); the others are relayed as usual. */
  batch(fill: (sink: SourceSink) => void): void {
    this.options.local.batch((local) => {
      const outer = this.local;
      this.local = local;
      try {
        fill(this);
      } finally {
        this.local = outer;
      }
    });
  }

  /** Loads, from every other live replica, the subjects a source reports about, before that source starts here. */
  async warm(source: string): Promise<void> {
    const live = await this.options.liveReplicas();
    await Promise.all(
      live
        .filter((replica) => replica !== this.options.self)
        .map(async (replica) => {
          const answer = await postToReplica(replica, MIRROR_PATH, this.options.key, { source });
          if (!answer.ok) throw new Error(`${replica} answered ${answer.status}`);
          this.remember((await answer.json()) as { subjects?: Record<string, SubjectState> });
        }),
    );
  }

  /**
   * Keeps subjects this replica gave up, as they were when it did, if `sources` report about them: a source polling
   * here reads them back even when their new owner has never been asked.
   */
  rememberGivenUp(subjects: readonly SubjectState[], sources: ReadonlySet<string>): void {
    for (const subject of subjects) {
      const concerned =
        sources.has(subject.spec.source) ||
        subject.spec.source === 'config' ||
        Object.values(subject.checks).some((check) => sources.has(check.source));
      if (concerned) this.mirror.set(subject.spec.id, subject);
    }
  }

  private remember(answer: { subjects?: Record<string, SubjectState> }): void {
    for (const [id, subject] of Object.entries(answer.subjects ?? {})) this.mirror.set(id, subject);
  }

  stats(): RelayStats {
    return { ...this.counts, pending: this.queue.length };
  }

  /** Tries once more to deliver what is pending (bounded by the post timeout), then stops. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.delivering;
    if (this.queue.length > 0) await this.deliverBatch().catch(() => undefined);
    this.closed = true;
  }

  private route(call: SinkCall): void {
    const subject = callSubject(call)!;
    // Straight in when it is ours and nothing older waits, so calls about one subject keep their order.
    if (this.queue.length === 0 && this.options.owns(subject)) applyCall(this.local, call);
    else this.enqueue([{ call }]);
  }

  private enqueue(entries: Pending[]): void {
    if (this.closed || entries.length === 0) return;
    this.queue.push(...entries);
    if (this.queue.length > QUEUE_MAX) this.counts.dropped += this.queue.splice(0, this.queue.length - QUEUE_MAX).length;
    this.schedule(GATHER_MS);
  }

  private schedule(delay: number): void {
    if (this.timer || this.delivering || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.delivering = this.drain().finally(() => (this.delivering = undefined));
    }, delay);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const kept = await this.deliverBatch().catch((error: unknown) => {
        this.options.log.warn({ err: String(error) }, 'relaying source reports to their owners failed; retrying');
        return true;
      });
      if (kept) {
        this.delivering = undefined;
        return this.schedule(RETRY_MS);
      }
    }
  }

  /** Sends one batch; what could not be applied goes back to the head of the queue. True when some was kept. */
  private async deliverBatch(): Promise<boolean> {
    const batch = this.queue.splice(0, BATCH_MAX);
    const kept: Pending[] = [];
    const groups = new Map<string, Pending[]>();
    const add = (owner: string, entry: Pending) => groups.set(owner, [...(groups.get(owner) ?? []), entry]);
    let live: Set<string> | undefined;
    // Owners come from a map at most a second old; asked afresh once per batch when one is missing or stale.
    let refreshed = false;
    const ownerOf = async (subject: string) => {
      const cached = await this.options.ownerOf(subject, false).catch(() => undefined);
      if ((cached !== undefined && cached !== this.options.self) || refreshed) return cached;
      refreshed = true;
      return this.options.ownerOf(subject, true).catch(() => undefined);
    };
    for (const entry of batch) {
      if (entry.to !== undefined) {
        live ??= new Set(await this.options.liveReplicas().catch(() => [entry.to!]));
        if (live.has(entry.to)) add(entry.to, entry); // a copy for a replica that has gone is not kept
        continue;
      }
      const subject = callSubject(entry.call)!;
      if (this.options.owns(subject)) {
        applyLogged(this.options.local, entry.call, this.options.log);
        continue;
      }
      const owner = await ownerOf(subject);
      if (owner === undefined || owner === this.options.self) kept.push(entry);
      else add(owner, entry);
    }
    await Promise.all(
      [...groups].map(async ([owner, entries]) => {
        const refused = await this.post(owner, entries).catch(() => entries.map((_, index) => index));
        const again = new Set(refused);
        this.counts.delivered += entries.length - again.size;
        kept.push(...entries.filter((entry, index) => again.has(index) && entry.to === undefined));
      }),
    );
    this.queue.unshift(...kept);
    return kept.length > 0;
  }

  /** Posts calls to their owner; resolves with the indexes it refused (their subjects are not its own now). */
  private async post(owner: string, entries: Pending[]): Promise<number[]> {
    const answer = await postToReplica(owner, SINK_PATH, this.options.key, {
      from: this.options.self,
      calls: entries.map((entry) => entry.call),
    });
    const body = (await answer.json().catch(() => undefined)) as { refused?: unknown; subjects?: Record<string, SubjectState> } | undefined;
    if (!answer.ok || !Array.isArray(body?.refused)) throw new Error(`${owner} answered ${answer.status}`);
    this.remember(body);
    return body.refused.filter((index): index is number => typeof index === 'number');
  }
}

/**
 * The owner's side: applies calls about subjects it owns (and source statuses), refuses the others by index, and
 * answers once what it applied is committed. Only replicas of this cluster (holding the key) may call it.
 */
export function sinkRoute(options: {
  key: string;
  owns(subjectId: string): boolean;
  sink: SourceSink;
  state(): EngineState;
  commit(): Promise<void>;
  log: Logger;
}): Router {
  const router = Router();
  router.use([SINK_PATH, MIRROR_PATH], requireClusterKey(options.key));
  // Subjects owned here that a source reports about (it defined them, or it has a check on them), and those of the
  // config file, which a source reports on without taking them over (it must see they exist).
  router.post(MIRROR_PATH, json(), (req, res) => {
    const source = String((req.body as { source?: unknown })?.source ?? '');
    const subjects: Record<string, SubjectState> = {};
    for (const [id, subject] of options.state().subjects) {
      const concerned =
        subject.spec.source === source || subject.spec.source === 'config' || Object.values(subject.checks).some((check) => check.source === source);
      if (concerned) subjects[id] = subject;
    }
    res.json({ subjects });
  });
  router.post(SINK_PATH, json({ limit: SINK_BODY_LIMIT }), async (req, res) => {
    const calls = (req.body as { calls?: unknown })?.calls;
    if (!Array.isArray(calls)) return sendProblem(res, new HttpProblem(400, 'Bad Request', 'calls must be an array'), req.originalUrl);
    const refused: number[] = [];
    calls.forEach((call: SinkCall, index) => {
      const subject = callSubject(call);
      if (subject !== undefined && !options.owns(subject)) refused.push(index);
      else applyLogged(options.sink, call, options.log);
    });
    try {
      await options.commit();
    } catch (error) {
      res.setHeader('Retry-After', '1');
      return sendProblem(
        res,
        new HttpProblem(503, 'Service Unavailable', `not committed: ${error instanceof Error ? error.message : String(error)}`),
        req.originalUrl,
      );
    }
    // The state of what was applied goes back, so the source can read its own reports back (RelaySink.subject).
    const subjects: Record<string, SubjectState> = {};
    for (const call of calls as SinkCall[]) {
      const id = callSubject(call);
      const subject = id === undefined ? undefined : options.state().subjects.get(id);
      if (subject && options.owns(id!)) subjects[id!] = subject;
    }
    res.json({ applied: calls.length - refused.length, refused, subjects });
  });
  return router;
}
