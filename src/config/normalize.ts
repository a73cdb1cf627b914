// From the validated file (snake_case, duration strings) to what the rest of vigil codes against
// (camelCase, milliseconds, engine types).
import { resolve } from 'node:path';
import type { EngineSettings, SubjectSpec, Timing } from '../engine/types.js';
import { EXTENSIONS } from '../extensions.js';
import type { ExtensionDefinition } from '../sources/extension.js';
import { isPostgresUrl } from '../store/state-store.js';
import type { ApiTokenConfig, CoreConfig, SubjectRename } from './core.js';
import { durationMs, labelsToStrings, parseByteSize } from './fields.js';
import { parseListen } from './listen.js';
import { normalizeMaintenance } from './maintenance.js';
import type { RawConfig } from './schema.js';
import type { SectionContext, SectionValues } from './section.js';
import { requireSecret, secretAt, type Secrets } from './secrets.js';
import { dependencyId } from './subjects.js';
import { resolveTargetFiles } from './targets.js';

/** The whole config: the core's part and each extension's section (`config.kubernetes`, …). */
export type VigilConfig = CoreConfig & SectionValues<(typeof EXTENSIONS)[number]>;

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

  const config: CoreConfig = {
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
  if (raw.cluster !== undefined) {
    config.cluster = { holdTtlMs: durationMs(raw.cluster.hold_ttl), renewIntervalMs: durationMs(raw.cluster.renew_interval) };
    if (raw.cluster.advertise !== undefined) config.cluster.advertise = raw.cluster.advertise;
  }
  const statePassword = secretAt(secrets, ['store', 'password_file']);
  if (statePassword !== undefined) config.statePassword = statePassword;
  return { ...config, ...normalizeSections(raw, { secrets, settings, resolvePath: (path) => resolve(baseDir, path) }) };
}

/** Each extension's section the file has, normalized by the extension's own code. */
function normalizeSections(raw: RawConfig, context: SectionContext): SectionValues<(typeof EXTENSIONS)[number]> {
  const file: Readonly<Record<string, unknown>> = raw;
  const sections: Record<string, unknown> = {};
  for (const { section } of EXTENSIONS as readonly ExtensionDefinition[]) {
    const value = section && file[section.key];
    if (section && value !== undefined) sections[section.key] = section.normalize(value, context);
  }
  // The loop builds exactly the mapped type; TypeScript cannot follow a loop over a tuple's keys.
  return sections as SectionValues<(typeof EXTENSIONS)[number]>;
}

/** An extension's normalized section in this config, or undefined when the file has none. */
export function sectionOf(config: VigilConfig, definition: ExtensionDefinition): unknown {
  // An interface has no index signature: read the section's key as the loader wrote it (normalizeSections).
  const sections = config as unknown as Readonly<Record<string, unknown>>;
  return definition.section && sections[definition.section.key];
}
