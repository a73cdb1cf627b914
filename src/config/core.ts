// The config's shape as vigil codes against it (camelCase, milliseconds, engine types), without the sections the
// extensions own. A leaf the extension contract can import: the modules that assemble the whole config (schema.ts,
// normalize.ts) import the list of extensions, which imports the contract.
import type { EngineSettings, SubjectSpec } from '../engine/types.js';
import type { HttpLimits } from '../exporter/connections.js';
import type { MaintenanceWindow } from '../maintenance/windows.js';
import type { Limits } from '../runtime/limits.js';
import type { AlertingConfig } from './alerting.js';
import type { ListenAddress } from './listen.js';
import type { ProbeEndpointConfig } from './probe-modules.js';
import type { TargetsConfig } from './targets.js';

export const SCOPES = ['observe', 'connectivity', 'metadata', 'manipulate', 'admin', 'agent', 'read'] as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export interface ClusterSettings {
  /** URL other replicas reach this one at; defaults to http://<listen address>. */
  advertise?: string;
  holdTtlMs: number;
  renewIntervalMs: number;
}

/** `metrics: {include, exclude}`: family names or globs. */
export interface MetricsSelectionConfig {
  include?: readonly string[];
  exclude?: readonly string[];
}

export type Scope = (typeof SCOPES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ApiTokenConfig {
  name: string;
  token: string;
  scopes: Scope[];
}

/** Everything but the extensions' sections (`kubernetes:`, `practable:`, …): what the core and every extension read. */
export interface CoreConfig {
  listen: ListenAddress;
  /** Absolute path of the exporter-toolkit web config (TLS, basic auth), when one is configured. */
  webConfigFile?: string;
  /** With basic auth on: badges stay reachable without credentials. */
  publicBadges: boolean;
  /** Absolute path of the SQLite state file, or the PostgreSQL URL as written. */
  statePath: string;
  /** PostgreSQL password from `store.password_file`. */
  statePassword?: string;
  /** Present when this process is one of several replicas (state in PostgreSQL). */
  cluster?: ClusterSettings;
  flushInterval: number;
  logLevel: LogLevel;
  /** `metrics: {include, exclude}`: families on top of, or taken from, the lean default. */
  metrics: MetricsSelectionConfig;
  api: { tokens: ApiTokenConfig[]; maxBodyBytes: number; limits: Limits };
  http: HttpLimits;
  /** Engine defaults, including the default timing of checks (subjects, targets and pushed results override it). */
  settings: EngineSettings;
  subjects: SubjectSpec[];
  /** Config `renamed_from`: existing subjects to rename before the configured ones are applied. */
  renames: SubjectRename[];
  targets: TargetsConfig;
  maintenance: MaintenanceWindow[];
  /** The blackbox-compatible /probe endpoint and its modules (built-in ones not included). */
  probe: ProbeEndpointConfig;
  alerting?: AlertingConfig;
}

export interface SubjectRename {
  from: string;
  to: string;
}
