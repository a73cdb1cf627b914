// The one interface between a source and the rest of vigil (docs/design.md, architecture).
// A source knows its protocol; it reports what it saw through the sink and nothing else.
import type { ConnectivitySignal, MetadataLevel, Observation, SubjectSpec } from '../engine/types.js';

export interface SourceSink {
  /** Declares (or updates) a subject this source owns. */
  defineSubject(spec: SubjectSpec): void;
  observe(observation: Observation): void;
  connectivity(signal: ConnectivitySignal): void;
  metadata(subject: string, key: string, entry: { level: MetadataLevel; message: string; value?: number } | null): void;
  /** Whether the source itself can reach what it watches; `reason` is a short bounded word (`timeout`, `refused`, ...). */
  sourceStatus(source: string, up: boolean, reason?: string): void;
}

export interface Source {
  readonly name: string;
  start(sink: SourceSink): void;
  stop(): Promise<void>;
}
