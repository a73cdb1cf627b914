// The `agents:` section (docs/agents.md): machines that hold a websocket to vigil and are available while they do.
// Durations come out in milliseconds; the webhook secret is read by the loader (`secret_file`) and joined in here.
import { z } from 'zod';
import { byteSizeSchema, durationMs, durationSchema, labelsSchema, labelsToStrings, parseByteSize } from '../../config/fields.js';
import { requireSecret } from '../../config/secrets.js';
import { defineSection, type SectionContext } from '../../config/section.js';
import { kindSchema } from '../../config/subjects.js';

const ms = durationSchema.transform(durationMs);

const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const onAvailableSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
      .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), 'put credentials in secret_file, not in the URL')
      .meta({ description: 'Where a POST goes each time a machine becomes available (e.g. a deployer).' }),
    secret_header: z
      .string()
      .regex(HEADER_NAME_RE, 'not a valid HTTP header name')
      .default('Authorization')
      .meta({ description: 'Header that carries the secret read from secret_file.' }),
    secret_file: z.string().min(1).optional().meta({ description: 'File holding the secret header value (e.g. "Bearer abc").' }),
    kinds: z
      .array(kindSchema)
      .min(1)
      .optional()
      .meta({ description: 'Subject kinds whose transitions to available are sent; default: the agents kind.' }),
    timeout: ms.prefault('10s').meta({ description: 'Per-attempt timeout of the POST.' }),
    retries: z.int().min(0).max(100).default(8).meta({ description: 'Retries after a failed attempt (network error, 5xx, 429).' }),
    backoff: ms.prefault('1s').meta({ description: 'First retry delay; doubles per retry with jitter.' }),
    max_backoff: ms.prefault('5m').meta({ description: 'Longest retry delay.' }),
    queue_size: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .meta({ description: 'Notifications waiting to be sent; when full the oldest is dropped (and counted).' }),
    concurrency: z.int().min(1).max(64).default(4).meta({ description: 'POSTs in flight at once.' }),
  })
  .meta({ description: 'Webhook fired once per transition of a machine to available, after the transition is stored.' });

export const agentsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).meta({ description: 'Accept agent websockets at /api/v1/agents/connect.' }),
    kind: kindSchema.default('machine').meta({ description: 'Kind of the subjects agents create when they first connect.' }),
    labels: labelsSchema.optional().meta({ description: 'Labels of subjects created by agents.' }),
    auto_register: z
      .boolean()
      .default(true)
      .meta({ description: 'An unknown machine id creates its subject; false: only existing subjects may connect.' }),
    disconnect_grace: durationSchema
      .optional()
      .meta({ description: 'A closed connection makes the machine unavailable only after this; default defaults.disconnect_grace.' }),
    appearance_timeout: durationSchema
      .optional()
      .meta({ description: 'Appearance timeout of subjects created by agents; default defaults.appearance_timeout.' }),
    freshness: z
      .number()
      .min(1)
      .optional()
      .meta({ description: 'Freshness (multiples of the period) of check results agents send; raise it to keep health through long disconnects.' }),
    ping_interval: durationSchema
      .default('30s')
      .meta({ description: 'Websocket ping interval; a connection that misses a pong for this long is closed.' }),
    storm_window: durationSchema.default('500ms').meta({
      description: "Under a connection storm agents' changes are applied once per this window (fewer store transactions); 0s: always at once.",
    }),
    max_connections: z.int().min(1).max(1_000_000).default(50_000).meta({ description: 'Open agent connections at most.' }),
    max_message: byteSizeSchema.default('64kb').meta({ description: 'Largest message an agent may send.' }),
    max_messages_per_second: z
      .number()
      .positive()
      .max(100_000)
      .default(20)
      .meta({ description: 'Sustained messages per second per connection; beyond the burst a connection is closed (1008).' }),
    message_burst: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(200)
      .meta({ description: 'Messages a connection may send at once above the sustained rate.' }),
    send_buffer: byteSizeSchema
      .default('256kb')
      .meta({ description: 'Unsent reply bytes per connection; an agent that does not read its replies past this is closed.' }),
    on_available: onAvailableSchema.optional(),
  })
  .meta({ description: 'Occasionally connected machines holding a websocket (vigil agent): connectivity apart from health.' });

export type RawAgentsConfig = z.output<typeof agentsSchema>;

export interface OnAvailableConfig {
  url: string;
  /** Header name and value carrying the secret; absent without secret_file. */
  secret?: { header: string; value: string };
  /** Kinds whose transitions are sent. */
  kinds: string[];
  timeout: number;
  retries: number;
  backoff: number;
  maxBackoff: number;
  queueSize: number;
  concurrency: number;
}

export interface AgentsConfig {
  enabled: boolean;
  kind: string;
  labels: Record<string, string>;
  autoRegister: boolean;
  /** Milliseconds; undefined: the engine default. */
  disconnectGrace?: number;
  appearanceTimeout?: number;
  freshness?: number;
  pingInterval: number;
  /** Milliseconds; see BatchApplier. */
  stormWindow: number;
  maxConnections: number;
  maxMessageBytes: number;
  maxMessagesPerSecond: number;
  messageBurst: number;
  sendBufferBytes: number;
  onAvailable?: OnAvailableConfig;
}

/** From the validated section to what the agents extension codes against; `secrets` holds the read `*_file`s. */
export function normalizeAgents(raw: RawAgentsConfig, { secrets, settings }: SectionContext): AgentsConfig {
  const config: AgentsConfig = {
    enabled: raw.enabled,
    kind: raw.kind,
    labels: labelsToStrings(raw.labels),
    autoRegister: raw.auto_register,
    disconnectGrace: raw.disconnect_grace === undefined ? settings.disconnectGrace : durationMs(raw.disconnect_grace),
    pingInterval: durationMs(raw.ping_interval),
    stormWindow: durationMs(raw.storm_window),
    maxConnections: raw.max_connections,
    maxMessageBytes: parseByteSize(raw.max_message),
    maxMessagesPerSecond: raw.max_messages_per_second,
    messageBurst: raw.message_burst,
    sendBufferBytes: parseByteSize(raw.send_buffer),
  };
  if (raw.appearance_timeout !== undefined) config.appearanceTimeout = durationMs(raw.appearance_timeout);
  if (raw.freshness !== undefined) config.freshness = raw.freshness;
  const hook = raw.on_available;
  if (hook) {
    config.onAvailable = {
      url: hook.url,
      kinds: hook.kinds ?? [raw.kind],
      timeout: hook.timeout,
      retries: hook.retries,
      backoff: hook.backoff,
      maxBackoff: Math.max(hook.max_backoff, hook.backoff),
      queueSize: hook.queue_size,
      concurrency: hook.concurrency,
    };
    if (hook.secret_file !== undefined) {
      config.onAvailable.secret = { header: hook.secret_header, value: requireSecret(secrets, ['agents', 'on_available', 'secret_file']) };
    }
  }
  return config;
}

export const agentsSection = defineSection({ key: 'agents', schema: agentsSchema, normalize: normalizeAgents });
