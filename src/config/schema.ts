// The YAML config (docs/config.md) as a strict zod schema: an unknown key is an error at every level we own.
// The parsed value keeps the file's snake_case keys and duration strings; normalize.ts turns it into VigilConfig.
import { z } from 'zod';
import { EXTENSIONS } from '../extensions.js';
import type { ExtensionDefinition } from '../sources/extension.js';
import { alertingSchema } from './alerting.js';
import { LOG_LEVELS, SCOPES } from './core.js';
import { byteSizeSchema, durationMs, durationSchema, type DurationInput } from './fields.js';
import { listenSchema } from './listen.js';
import { maintenanceSchema } from './maintenance.js';
import { scrapeSchema } from './scrape.js';
import type { SectionSchemas } from './section.js';
import { probeSchema } from './probe-modules.js';
import { freshnessSchema, subjectsSchema } from './subjects.js';
import { targetsSchema } from './targets.js';
import { unknownPatterns } from '../exporter/metrics/selection.js';

export const DEFAULT_LISTEN = '0.0.0.0:9977';
export const DEFAULT_STATE = './data/vigil.db';

const tokenSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a token name is a short word: letters, digits, _ . - (at most 63)')
      .meta({ description: 'Who holds the token; shown in logs instead of the token.' }),
    token: z
      .string()
      .min(1, 'must not be empty')
      .regex(/^\S+$/, 'a bearer token must not contain whitespace')
      .optional()
      .meta({ description: 'The token itself; prefer token_file or ${ENV} so it stays out of the file.' }),
    token_file: z.string().min(1).optional().meta({ description: 'File holding the token (relative to this config file).' }),
    scopes: z
      .array(z.enum(SCOPES))
      .min(1, 'a token needs at least one scope')
      .meta({ description: 'What the token may do; admin holds every scope.' }),
  })
  .superRefine((token, ctx) => {
    if ((token.token === undefined) === (token.token_file === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of token or token_file' });
    }
  })
  .meta({ oneOf: [{ required: ['token'] }, { required: ['token_file'] }] });

const apiSchema = z.strictObject({
  tokens: z
    .array(tokenSchema)
    .superRefine(
      (tokens, ctx) => {
        const firstIndex = new Map<string, number>();
        (tokens as readonly unknown[]).forEach((token, index) => {
          const name = typeof token === 'object' && token !== null ? (token as Record<string, unknown>)['name'] : undefined;
          if (typeof name !== 'string') return;
          const first = firstIndex.get(name);
          if (first === undefined) firstIndex.set(name, index);
          else ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate token name "${name}" (first at api.tokens[${first}])` });
        });
      },
      // Entries may be malformed here (see `when`): read them leniently.
      { when: (payload) => Array.isArray(payload.value) },
    )
    .default([])
    .meta({ description: 'Bearer tokens for API writes. Without tokens every write is refused.' }),
  max_body: byteSizeSchema.default('1mb'),
  max_subjects: z
    .int()
    .min(1)
    .max(10_000_000)
    .default(10_000)
    .meta({ description: 'Subjects in total; an API or agent write that would create one more is refused (409).' }),
  max_checks_per_subject: z.int().min(1).max(100_000).default(200).meta({ description: 'Checks per subject that API and agent writes may create.' }),
  max_metadata_per_subject: z
    .int()
    .min(1)
    .max(100_000)
    .default(100)
    .meta({ description: 'Metadata keys per subject that API and agent writes may create.' }),
  max_streams: z
    .int()
    .min(1)
    .max(100_000)
    .default(256)
    .meta({ description: 'Open event streams (SSE) and waiting long-polls together; more answer 503.' }),
  stream_buffer: byteSizeSchema.default('1mb').meta({
    description:
      'Unsent bytes an event stream may hold for a client that does not read; past it the stream is closed (the client resumes with Last-Event-ID).',
  }),
  stream_stall_timeout: durationSchema
    .default('30s')
    .meta({ description: 'An event stream whose client reads nothing of its backlog for this long is closed (it resumes with Last-Event-ID).' }),
});

const httpSchema = z
  .strictObject({
    max_connections: z
      .int()
      .min(16)
      .max(10_000_000)
      .default(4096)
      .meta({ description: 'Open client connections at most (capped at the open-file limit minus 256); past it the oldest idle one is closed.' }),
    header_timeout: durationSchema.default('10s').meta({ description: "A request's headers must arrive within this." }),
    request_timeout: durationSchema.default('30s').meta({ description: 'A whole request, headers and body, must arrive within this.' }),
    idle_timeout: durationSchema.default('5s').meta({ description: 'A keep-alive connection without a request is closed after this.' }),
    shutdown_timeout: durationSchema
      .default('5s')
      .meta({ description: 'At shutdown, requests being answered get this long; then every connection is closed.' }),
  })
  .superRefine((http, ctx) => {
    // Node refuses a header timeout longer than the request timeout (the headers are part of the request).
    // Either may be malformed here (its own issue says so): compare only what parses.
    const ms = (value: DurationInput): number => {
      try {
        return durationMs(value);
      } catch {
        return Number.NaN;
      }
    };
    if (ms(http.header_timeout) > ms(http.request_timeout)) {
      ctx.addIssue({ code: 'custom', path: ['header_timeout'], message: 'header_timeout must not exceed request_timeout' });
    }
  })
  .meta({ description: 'Bounds on the HTTP listener.' });

const defaultsSchema = z.strictObject({
  freshness: freshnessSchema.default(2),
  startup_grace: durationSchema.default('1m').meta({ description: 'A new subject is pending this long after it was first seen.' }),
  appearance_timeout: durationSchema
    .default('30m')
    .meta({ description: 'A subject with no counting check this long after creation or rename is missing.' }),
  source_drop_after: durationSchema
    .default('15m')
    .meta({ description: 'Checks of a source unreachable this long are dropped (no data instead of old colours).' }),
  rename_lag: durationSchema.default('3h').meta({ description: 'After a rename, old results count again only after this lag.' }),
  disconnect_grace: durationSchema.default('30s').meta({ description: 'A disconnect becomes "unavailable" only after this grace.' }),
  events_per_subject: z.number().int().min(1).max(100_000).default(100).meta({ description: 'Event history kept per subject.' }),
  dependency_lag: durationSchema.default('5m').meta({ description: 'Settle lag of a depends_on entry that names none.' }),
  overhead: durationSchema.default('0s').meta({ description: 'Time a check takes between observing and reporting.' }),
  accuracy: durationSchema.default('0s').meta({ description: 'Uncertainty of the reported timestamps.' }),
  push_period: durationSchema.default('0s').meta({ description: 'Delay of a source that forwards results in batches.' }),
});

const familyPatterns = (what: string) =>
  z
    .array(z.string().min(1))
    .default([])
    .superRefine((patterns, ctx) => {
      for (const pattern of unknownPatterns(patterns)) {
        ctx.addIssue({
          code: 'custom',
          path: [patterns.indexOf(pattern)],
          message: `"${pattern}" matches no metric family (docs/metrics.md lists them; * and ? are globs)`,
        });
      }
    })
    .meta({ description: `Metric families (names or globs like vigil_check_*) to ${what}.` });

const metricsSchema = z
  .strictObject({
    include: familyPatterns('expose on top of the lean default'),
    exclude: familyPatterns('leave out, even if the default or include has them'),
  })
  .meta({ description: 'Which metric families /metrics exposes; without it, what the generated rules and dashboards need.' });

/** The sections the extensions own (`kubernetes:`, `practable:`, …), each optional, in the order of the list. */
function extensionSections(): SectionSchemas<(typeof EXTENSIONS)[number]> {
  const shape: Record<string, z.ZodOptional> = {};
  for (const { section } of EXTENSIONS as readonly ExtensionDefinition[]) if (section) shape[section.key] = section.schema.optional();
  // The loop builds exactly the mapped type; TypeScript cannot follow a loop over a tuple's keys.
  return shape as SectionSchemas<(typeof EXTENSIONS)[number]>;
}

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'JSON Schema reference for editors; ignored by vigil.' }),
    listen: listenSchema.default(DEFAULT_LISTEN),
    web_config_file: z.string().min(1).optional().meta({
      description: 'exporter-toolkit web config (TLS, client certificates, basic auth), relative to this file; --web.config.file overrides it.',
    }),
    public_badges: z.boolean().default(false).meta({ description: 'With basic_auth_users in the web config: serve /badge/… without credentials.' }),
    scrape: scrapeSchema.optional().meta({ description: 'How Prometheus reaches vigil: generate-rules writes the matching scrape config snippet.' }),
    state: z
      .string()
      .min(1)
      .default(DEFAULT_STATE)
      .meta({
        description:
          'Where the state lives: a SQLite file relative to this config file (the default), ' +
          'or a PostgreSQL URL postgres://user@host:port/db?sslmode=… shared by replicas.',
      }),
    store: z
      .strictObject({
        flush_interval: durationSchema.default('200ms').meta({ description: 'Group commit: dirty state is written in one transaction this often.' }),
        password_file: z
          .string()
          .min(1)
          .optional()
          .meta({ description: 'File holding the PostgreSQL password (a Docker/Kubernetes secret); overrides one in the state URL.' }),
      })
      .prefault({}),
    log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
    metrics: metricsSchema.prefault({}),
    cluster: z
      .strictObject({
        advertise: z
          .url({ protocol: /^https?$/ })
          .optional()
          .meta({
            description:
              'URL the other replicas reach this one at (requests about its subjects are forwarded there); default http://<listen address>.',
          }),
        hold_ttl: durationSchema
          .default('10s')
          .meta({ description: 'How long a shard hold lasts without renewal: the bound on handover after a replica dies.' }),
        renew_interval: durationSchema.default('2s').meta({ description: 'How often a replica renews its holds and rebalances shards.' }),
      })
      .optional()
      .meta({ description: 'Run as one of several replicas sharing the PostgreSQL state database (needs state: postgres://…).' }),
    api: apiSchema.prefault({}),
    http: httpSchema.prefault({}),
    defaults: defaultsSchema.prefault({}).meta({ description: 'Engine-wide defaults; subjects and sources may override some.' }),
    subjects: subjectsSchema,
    targets: targetsSchema.default([]).meta({ description: 'Active probes (hostport, download, tcp, dns, grpc, ping, filewrite).' }),
    probe: probeSchema.prefault({}),
    maintenance: maintenanceSchema,
    alerting: alertingSchema.optional().meta({ description: 'Alerting policies and receivers for generate-rules.' }),
    ...extensionSections(),
  })
  .meta({
    title: 'vigil configuration',
    description: 'Configuration of vigil, the health exporter and alert generator.',
    // Top-level x-* keys are ignored by the loader: a place for YAML anchors.
    patternProperties: { '^x-': {} },
  });

/** The validated file: snake_case keys, defaults filled in, durations as written. */
export type RawConfig = z.output<typeof configSchema>;
