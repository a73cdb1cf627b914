// The contract between `vigil serve` and the parts that grow with each source (docs/contributing.md, "add a source").
// A leaf: it imports only types, none of which import the list of extensions (src/extensions.ts) back. An extension
// never receives the runtime: its sources get the sink, its routes and hooks the narrow views below.
import type { Server } from 'node:http';
import type { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { CoreConfig } from '../config/core.js';
import type { ConfigSection } from '../config/section.js';
import type { EngineEvent } from '../engine/types.js';
import type { Authorizer } from '../exporter/auth.js';
import type { FamilyEntry } from '../exporter/metrics/family-table.js';
import type { ExpositionWriter } from '../exporter/metrics/writer.js';
import type { Source, SourceSink } from './types.js';

/** What of the runtime an extension's routes and hooks may see: time and committed events, nothing to change. */
export interface RuntimeView {
  /** vigil's clock, epoch milliseconds (tests inject one). */
  readonly clock: () => number;
  /** Calls `listener` with events once they are durable, in seq order; returns the unsubscribe function. */
  onCommittedEvents(listener: (events: readonly EngineEvent[]) => void): () => void;
}

export interface ExtensionContext<Section = unknown> {
  /** The config apart from the extensions' sections. */
  config: CoreConfig;
  /** The extension's own section as normalized, or undefined when the file has none. */
  section: Section | undefined;
  /** The sink this process's sources report through (the one their `start` gets), for hooks that report too. */
  sink: SourceSink;
  runtime: RuntimeView;
  auth: Authorizer;
  log: Logger;
  /** Present when this process is one of several replicas. */
  cluster?: ReplicasView;
}

/** What an extension sees of the replicas. */
export interface ReplicasView {
  replicaId: string;
  /** Who owns a subject: its advertised address. */
  ownerOf(subjectId: string): Promise<string | undefined>;
  /**
   * For a request that only the replica running the polling source `source` can answer (the source's own state, such
   * as the heartbeats it sent): false when that is this replica; else the request is sent on there with its raw
   * `body` (or answered 503 while the source is moving) and the answer relayed: true.
   */
  forwardToPoller(source: string, req: Request, res: Response, body: Buffer): Promise<boolean>;
}

/**
 * Writes the extension's own /metrics families through the shared writer (families.ts's `FamilyDef`s, the same fast
 * path as the core families), leaving out those `enabled` (the `metrics:` selection) turns off.
 */
export type FamilyRenderer = (w: ExpositionWriter, enabled: (family: string) => boolean) => void;

/** What an extension adds to a running vigil once its config section enables it. */
export interface Extension {
  /** Sources started with the sink once the server listens, stopped at shutdown. */
  sources?: Source[];
  /** Routes mounted under /api/v1 next to the core API; they apply their own auth scopes. */
  routes?: Router;
  /** Called once the HTTP server listens, e.g. to take websocket upgrades. */
  attach?(server: Server): void;
  /** Its families on /metrics, rendered per scrape. */
  metrics?: FamilyRenderer;
  /** Called at shutdown after the sources stopped. */
  stop?(): Promise<void>;
}

export type SourcePlacement = 'one-replica' | 'every-replica';

/** A path an extension serves and its methods (`GET, POST`): known even while the extension is off. */
export interface KnownRoute {
  /** Matches the whole request path (`/api/v1/...`). */
  path: RegExp;
  methods: string;
}

export interface ExtensionDefinition<Section = unknown> {
  readonly name: string;
  /** Its top-level config section, if it has one: the config loader validates and normalizes it with the core's. */
  readonly section?: ConfigSection<string, z.ZodType, Section>;
  /**
   * A row in the family table (src/exporter/metrics/selection.ts) for each family its `metrics` renderer writes:
   * what it costs, whether the generated rules read it, whether the lean default exposes it.
   */
  readonly families?: readonly FamilyEntry[];
  /**
   * Where its sources run when vigil runs as replicas. `one-replica` (the default, for pollers of a remote system): on
   * the replica holding the shard the source's name hashes to, its reports relayed to the subjects' owners.
   * `every-replica`: on each replica, each source reporting only about the subjects that replica owns.
   */
  readonly placement?: SourcePlacement;
  /**
   * Every path its routes answer. The server answers a wrong method there with 405 and `Allow`, and a right one with
   * 404 "not enabled" while the config leaves the extension off.
   */
  readonly routes: readonly KnownRoute[];
  /** Looks at the config and returns what the extension adds, or undefined when it is not configured. */
  create(context: ExtensionContext<Section>): Extension | undefined;
}
