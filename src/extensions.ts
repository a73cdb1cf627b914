// The one place where the parts that grow with each source (targets, practable, kubernetes, agents, octopus) plug
// into `vigil serve`. Each factory looks at the config and returns what it adds, or nothing when it is not configured.
import type { Server } from 'node:http';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { VigilConfig } from './config/normalize.js';
import type { SubjectState } from './engine/types.js';
import type { Authorizer } from './exporter/auth.js';
import type { Vigil } from './runtime/vigil.js';
import { agentsExtension } from './sources/agents/index.js';
import { targetsExtension } from './sources/targets/index.js';
import { octopusExtension } from './sources/octopus/index.js';
import { practableExtension } from './sources/practable/index.js';
import { kubernetesExtension } from './sources/kubernetes/index.js';
import type { Source } from './sources/types.js';

export interface ExtensionContext {
  config: VigilConfig;
  vigil: Vigil;
  auth: Authorizer;
  log: Logger;
  /** Present when this process is one of several replicas: who owns a subject (its advertised address). */
  cluster?: {
    replicaId: string;
    ownerOf(subjectId: string): Promise<string | undefined>;
    /** A subject as this replica knows it, also when another replica owns it (as its owner last answered). */
    lookup(subjectId: string): SubjectState | undefined;
  };
}

export interface Extension {
  name: string;
  /** Sources started with the sink once the server listens, stopped at shutdown. */
  sources?: Source[];
  /** Routes mounted under /api/v1 next to the core API; they apply their own auth scopes. */
  routes?: Router;
  /** Called once the HTTP server listens, e.g. to take websocket upgrades. */
  attach?(server: Server): void;
  /** Extra families for /metrics, as text exposition (complete families with HELP and TYPE), rendered per scrape. */
  metrics?(): string;
  /** Called at shutdown after the sources stopped. */
  stop?(): Promise<void>;
}

export type ExtensionFactory = (context: ExtensionContext) => Extension | undefined;

/** Add a source's factory here when its issue lands. */
export const EXTENSIONS: ExtensionFactory[] = [targetsExtension, agentsExtension, octopusExtension, kubernetesExtension, practableExtension];
