// From the validated file (snake_case, duration strings) to what the rest of vigil codes against
// (camelCase, milliseconds, engine types).
import { resolve } from 'node:path';
import type { EngineSettings, SubjectSpec, Timing } from '../engine/types.js';
import type { HttpLimits } from '../exporter/connections.js';
import type { Limits } from '../runtime/limits.js';
import { normalizeAgents, type AgentsConfig } from './agents.js';
import type { AlertingConfig } from './alerting.js';
import type { MetricsSelectionConfig } from '../exporter/metrics/selection.js';
import { durationMs, labelsToStrings, parseByteSize } from './fields.js';
import { parseListen, type ListenAddress } from './listen.js';
import { normalizeMaintenance } from './maintenance.js';
import type { MaintenanceWindow } from '../maintenance/windows.js';
import { normalizePractable, type PractableConfig } from './practable.js';
import { normalizeOctopus, type OctopusConfig } from './octopus.js';
import type { ProbeEndpointConfig } from './probe-modules.js';
import type { LOG_LEVELS, RawConfig, SCOPES } from './schema.js';
import { requireSecret, secretAt, type Secrets } from './secrets.js';
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
  practable?: PractableConfig;
  kubernetes?: KubernetesConfig;
  agents?: AgentsConfig;
  octopus?: OctopusConfig;
}

export interface SubjectRename {
  from: string;
  to: string;
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
    overhead: durationMs(defaults.overhead),
    accuracy: durationMs(defaults.accuracy),
    pushPeriod: durationMs(defaults.push_period),
  };

  const tokens = raw.api.tokens.map((token, index): ApiTokenConfig => {
    // The schema guarantees exactly one of token / token_file, and the loader read every *_file key.
    const value = token.token ?? requireSecret(secrets, ['api', 'tokens', index, 'token_file']);
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
    const timing: Partial<Timing> = {};
    if (subject.freshness !== undefined) timing.freshness = subject.freshness;
    if (subject.overhead !== undefined) timing.overhead = durationMs(subject.overhead);
    if (subject.accuracy !== undefined) timing.accuracy = durationMs(subject.accuracy);
    if (subject.push_period !== undefined) timing.pushPeriod = durationMs(subject.push_period);
    if (Object.keys(timing).length > 0) spec.timing = timing;
    return spec;
  });
  const renames = raw.subjects.flatMap((subject): SubjectRename[] =>
    subject.renamed_from === undefined ? [] : [{ from: subject.renamed_from, to: subject.id }],
  );

  const config: VigilConfig = {
    listen: parseListen(raw.listen),
    publicBadges: raw.public_badges,
    statePath: isPostgresUrl(raw.state) ? raw.state : resolve(baseDir, raw.state),
    flushInterval: durationMs(raw.store.flush_interval),
    logLevel: raw.log.level,
    metrics: { include: [...raw.metrics.include], exclude: [...raw.metrics.exclude] },
    api: {
      tokens,
      maxBodyBytes: parseByteSize(raw.api.max_body),
      limits: {
        maxSubjects: raw.api.max_subjects,
        maxChecksPerSubject: raw.api.max_checks_per_subject,
        maxMetadataPerSubject: raw.api.max_metadata_per_subject,
        maxStreams: raw.api.max_streams,
        streamBufferBytes: parseByteSize(raw.api.stream_buffer),
        streamStallMs: durationMs(raw.api.stream_stall_timeout),
      },
    },
    http: {
      maxConnections: raw.http.max_connections,
      headerTimeoutMs: durationMs(raw.http.header_timeout),
      requestTimeoutMs: durationMs(raw.http.request_timeout),
      idleTimeoutMs: durationMs(raw.http.idle_timeout),
      shutdownTimeoutMs: durationMs(raw.http.shutdown_timeout),
    },
    settings,
    subjects,
    renames,
    targets: resolveTargetFiles(raw.targets, { baseDir, secrets }),
    maintenance: normalizeMaintenance(raw.maintenance),
    probe: raw.probe,
  };
  if (raw.web_config_file !== undefined) config.webConfigFile = resolve(baseDir, raw.web_config_file);
  if (raw.alerting !== undefined) config.alerting = raw.alerting;
  if (raw.kubernetes !== undefined) config.kubernetes = normalizeKubernetes(raw.kubernetes, (path) => resolve(baseDir, path), secrets);
  if (raw.practable !== undefined) config.practable = normalizePractable(raw.practable, secrets);
  if (raw.cluster !== undefined) {
    config.cluster = { holdTtlMs: durationMs(raw.cluster.hold_ttl), renewIntervalMs: durationMs(raw.cluster.renew_interval) };
    if (raw.cluster.advertise !== undefined) config.cluster.advertise = raw.cluster.advertise;
  }
  const statePassword = secretAt(secrets, ['store', 'password_file']);
  if (statePassword !== undefined) config.statePassword = statePassword;
  if (raw.agents !== undefined) config.agents = normalizeAgents(raw.agents, secrets, settings.disconnectGrace);
  if (raw.octopus !== undefined) config.octopus = normalizeOctopus(raw.octopus, secrets);
  return config;
}
