// The one interface between a source and the rest of vigil (docs/contributing.md, architecture). A source knows its
// protocol; it reports what it saw, and reads what it needs, through the sink and nothing else.
import type { ConnectivitySignal, EventType, MetadataLevel, Observation, SubjectSpec, SubjectState } from '../engine/types.js';
import type { Limits, WriteFootprint } from '../runtime/limits.js';

/** An event a source saw that the engine does not derive itself (practable's booking availability). */
export interface SourceEvent {
  subject: string;
  type: EventType;
  from: string | null;
  to: string;
  reason?: string;
}

export interface SourceSink {
  /** Declares (or updates) a subject this source owns. */
  defineSubject(spec: SubjectSpec): void;
  /** Removes a subject this source owns (its object is gone); nothing when it is gone already. */
  removeSubject(subject: string): void;
  observe(observation: Observation): void;
  connectivity(signal: ConnectivitySignal): void;
  metadata(subject: string, key: string, entry: { level: MetadataLevel; message: string; value?: number } | null): void;
  /** Records an event the source saw about one of its subjects; throws an EngineError when it is refused. */
  recordSourceEvent(event: SourceEvent): void;
  /** Whether the source itself can reach what it watches; `reason` is a short bounded word (`timeout`, `refused`, ...). */
  sourceStatus(source: string, up: boolean, reason?: string): void;
  /** A subject as vigil holds it now (any source's: to tell whose it is), read-only; read afresh, never kept. */
  subject(id: string): Readonly<SubjectState> | undefined;
  /** Ids of the subjects whose spec names `source` as their owner. */
  subjectsOf(source: string): string[];
  /** Whether this process evaluates `subject` (one of several replicas does not): calls about others are dropped. */
  owns(subject: string): boolean;
  /** Throws an EngineError `conflict` when these writes would create more than `limits` allow (agents obey the API's). */
  refuseBeyondLimits(limits: Limits, writes: readonly WriteFootprint[]): void;
  /**
   * Applies every call `fill` makes on the sink it is given as ONE change: one store record, one merged result, its
   * events in call order. A refused call (it throws) changes nothing; `fill` may catch it and go on. Should `fill`
   * throw, what it did before still applies and the error is rethrown.
   */
  batch(fill: (sink: SourceSink) => void): void;
}

export interface Source {
  readonly name: string;
  start(sink: SourceSink): void;
  stop(): Promise<void>;
}
