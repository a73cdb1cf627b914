// From the validated file (snake_case, duration strings) to what the rest of vigil codes against
// (camelCase, milliseconds, engine types).
import { resolve } from 'node:path';
import type { EngineSettings, SubjectSpec, Timing } from '../engine/types.js';
import { normalizeAgents, type AgentsConfig } from './agents.js';
import type { AlertingConfig } from './alerting.js';
import { formatKeyPath } from './errors.js';
import { durationMs, labelsToStrings, parseByteSize } from './fields.js';
import { parseListen, type ListenAddress } from './listen.js';
import { normalizePractable, type PractableConfig } from './practable.js';
import { normalizeOctopus, type OctopusConfig } from './octopus.js';
import type { LOG_LEVELS, RawConfig, SCOPES } from './schema.js';
import type { Secrets } from './secrets.js';
import type { ClusterSettings } from '../cluster/index.js';
import { isPostgresUrl } from '../store/state-store.js';
import { dependencyId } from './subjects.js';
import { resolveTargetFiles, type TargetsConfig } from './targets.js';
import { normalizeKubernetes, type KubernetesConfig } from './kubernetes.js';

export type Scope = (typeof SCOPES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ApiTokenConfig {
  name: string;
  token: string;
  scopes: Scope[];
}

export interface VigilConfig {
  listen: ListenAddress;
  /** Absolute path of the SQLite state file, or the PostgreSQL URL as written. */
  statePath: string;
  /** PostgreSQL password from `store.password_file`. */
  statePassword?: string;
  /** Present when this process is one of several replicas (state in PostgreSQL). */
  cluster?: ClusterSettings;
  flushInterval: number;
  logLevel: LogLevel;
  api: { tokens: ApiTokenConfig[]; maxBodyBytes: number };
  settings: EngineSettings;
  /** Default timing of checks; sources and subjects override parts of it. */
  timing: Timing;
  subjects: SubjectSpec[];
  targets: TargetsConfig;
  alerting?: AlertingConfig;
  practable?: PractableConfig;
  kubernetes?: KubernetesConfig;
  agents?: AgentsConfig;
  octopus?: OctopusConfig;
}

export interface NormalizeContext {
  /** Directory relative paths in the file are resolved against. */
  baseDir: string;
  secrets: Secrets;
}

export function normalizeConfig(raw: RawConfig, { baseDir, secrets }: NormalizeContext): VigilConfig {
  const defaults = raw.defaults;
  const settings: EngineSettings = {
    freshness: defaults.freshness,
    startupGrace: durationMs(defaults.startup_grace),
    appearanceTimeout: durationMs(defaults.appearance_timeout),
    sourceDropAfter: durationMs(defaults.source_drop_after),
    renameLag: durationMs(defaults.rename_lag),
    disconnectGrace: durationMs(defaults.disconnect_grace),
    eventsPerSubject: defaults.events_per_subject,
    dependencyLag: durationMs(defaults.dependency_lag),
  };
  const timing: Timing = {
    freshness: defaults.freshness,
    overhead: durationMs(defaults.overhead),
    accuracy: durationMs(defaults.accuracy),
    pushPeriod: durationMs(defaults.push_period),
  };

  const tokens = raw.api.tokens.map((token, index): ApiTokenConfig => {
    // The schema guarantees exactly one of token / token_file, and the loader read every *_file key.
    const value = token.token ?? secrets.get(formatKeyPath(['api', 'tokens', index, 'token_file']));
    if (value === undefined) throw new Error(`api.tokens[${index}]: token_file was not read`);
    return { name: token.name, token: value, scopes: [...token.scopes] };
  });

  const subjects = raw.subjects.map((subject): SubjectSpec => {
    const spec: SubjectSpec = {
      id: subject.id,
      kind: subject.kind,
      labels: labelsToStrings(subject.labels),
      dependsOn: (subject.depends_on ?? []).map((entry) => ({
        id: dependencyId(entry),
        lag: typeof entry !== 'string' && entry.lag !== undefined ? durationMs(entry.lag) : settings.dependencyLag,
      })),
      source: 'config',
    };
    if (subject.startup_grace !== undefined) spec.startupGrace = durationMs(subject.startup_grace);
    if (subject.appearance_timeout !== undefined) spec.appearanceTimeout = durationMs(subject.appearance_timeout);
    if (subject.freshness !== undefined) spec.timing = { freshness: subject.freshness };
    return spec;
  });

  const config: VigilConfig = {
    listen: parseListen(raw.listen),
    statePath: isPostgresUrl(raw.state) ? raw.state : resolve(baseDir, raw.state),
    flushInterval: durationMs(raw.store.flush_interval),
    logLevel: raw.log.level,
    api: { tokens, maxBodyBytes: parseByteSize(raw.api.max_body) },
    settings,
    timing,
    subjects,
    targets: resolveTargetFiles(raw.targets, { baseDir, secrets }),
  };
  if (raw.alerting !== undefined) config.alerting = raw.alerting;
  if (raw.kubernetes !== undefined) config.kubernetes = normalizeKubernetes(raw.kubernetes, (path) => resolve(baseDir, path), secrets);
  if (raw.practable !== undefined) config.practable = normalizePractable(raw.practable, secrets);
  if (raw.cluster !== undefined) {
    config.cluster = { holdTtlMs: durationMs(raw.cluster.hold_ttl), renewIntervalMs: durationMs(raw.cluster.renew_interval) };
    if (raw.cluster.advertise !== undefined) config.cluster.advertise = raw.cluster.advertise;
  }
  const statePassword = secrets.get(formatKeyPath(['store', 'password_file']));
  if (statePassword !== undefined) config.statePassword = statePassword;
  if (raw.agents !== undefined) config.agents = normalizeAgents(raw.agents, secrets, settings.disconnectGrace);
  if (raw.octopus !== undefined) config.octopus = normalizeOctopus(raw.octopus, secrets);
  return config;
}
