// The `practable:` section (docs/config.md § practable): where practable's relay, jump and book services are and how
// vigil judges the experiments they carry. URLs are written the way upstream builds them (scheme, host and base
// path); vigil appends the API paths. Secrets come from `secret_file` (or `${ENV}` interpolated into `secret`).
import { z } from 'zod';
import { durationMs, durationSchema } from '../../config/fields.js';
import { requireSecret } from '../../config/secrets.js';
import { defineSection, type SectionContext } from '../../config/section.js';

const positiveDuration = durationSchema.refine((value) => durationMs(value) > 0, 'must be longer than 0');

const serviceUrlSchema = z
  .string()
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected an absolute URL such as https://app.practable.io/ed0/access' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'the scheme must be http or https' });
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'no credentials in the URL: use secret_file' });
    if (url.search || url.hash) ctx.addIssue({ code: 'custom', message: 'no query or fragment: give scheme, host and base path only' });
  })
  .meta({ description: 'Scheme, host and base path, e.g. https://app.practable.io/ed0/access.' });

const secretFields = {
  secret: z.string().min(1).optional().meta({ description: 'Shared HS256 secret; prefer secret_file or ${ENV}.' }),
  secret_file: z.string().min(1).optional().meta({ description: 'File holding the shared HS256 secret (relative to this config file).' }),
};

const exactlyOneSecret = (service: { secret?: string | undefined; secret_file?: string | undefined }, ctx: z.RefinementCtx): void => {
  if ((service.secret === undefined) === (service.secret_file === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give exactly one of secret or secret_file' });
  }
};
const secretOneOf = { oneOf: [{ required: ['secret'] }, { required: ['secret_file'] }] };

const streamServiceSchema = (example: string, what: string) =>
  z
    .strictObject({ url: serviceUrlSchema.meta({ description: `${what}, e.g. ${example}; also the token audience.` }), ...secretFields })
    .superRefine(exactlyOneSecret)
    .meta(secretOneOf);

const bookSchema = z
  .strictObject({
    url: serviceUrlSchema.meta({ description: 'Book base URL, e.g. https://app.practable.io/ed0/book; vigil appends /api/v1/admin/...' }),
    ...secretFields,
    audience: z.string().min(1).optional().meta({ description: "Token audience: book's BOOK_AUDIENCE. Default: url." }),
    timeout: positiveDuration.default('5s').meta({ description: 'Whole-request timeout of every book call.' }),
    set_availability: z
      .boolean()
      .default(false)
      .meta({ description: 'Set each experiment available or unavailable in book: available iff every required stream is healthy.' }),
  })
  .superRefine(exactlyOneSecret)
  .meta(secretOneOf);

export const practableSchema = z
  .strictObject({
    relay: streamServiceSchema('https://app.practable.io/ed0/access', 'Relay access URL'),
    jump: streamServiceSchema('https://app.practable.io/ed0/jump', 'Jump URL (vigil appends /api/v1/connect/stats)'),
    book: bookSchema,
    health_last_active: positiveDuration.default('10s').meta({ description: 'A stream that has not transmitted within this is crit.' }),
    health_last_checked: positiveDuration
      .default('10s')
      .meta({ description: 'Relay and jump reports older than this are stale; a jump host unseen this long is a warning.' }),
    startup_grace: durationSchema.optional().meta({ description: 'A new experiment is pending this long (default: defaults.startup_grace).' }),
    query_book_every: positiveDuration.default('15m').meta({ description: 'Re-read the book manifest and reconcile availability this often.' }),
    reconnect_every: positiveDuration
      .default('1d')
      .meta({ description: 'Lifetime of the relay and jump tokens; the stats connections are renewed this often.' }),
  })
  .meta({ description: 'practable remote labs: experiment health from relay and jump, availability in book.' });

export type RawPractableConfig = z.output<typeof practableSchema>;

export interface StreamServiceConfig {
  /** As configured, without a trailing slash: the base URL and the token audience. */
  url: string;
  secret: string;
}

export interface PractableConfig {
  relay: StreamServiceConfig;
  jump: StreamServiceConfig;
  book: StreamServiceConfig & { audience: string; timeout: number; setAvailability: boolean };
  healthLastActive: number;
  healthLastChecked: number;
  /** Undefined: the engine default (`defaults.startup_grace`). */
  startupGrace?: number;
  queryBookEvery: number;
  reconnectEvery: number;
}

const withoutTrailingSlash = (url: string): string => url.replace(/\/+$/, '');

/** Milliseconds and secrets in place of the file's strings; `secrets` holds what the loader read from `*_file`. */
export function normalizePractable(raw: RawPractableConfig, { secrets }: SectionContext): PractableConfig {
  const secretOf = (service: 'relay' | 'jump' | 'book'): string => {
    return raw[service].secret ?? requireSecret(secrets, ['practable', service, 'secret_file']);
  };
  const bookUrl = withoutTrailingSlash(raw.book.url);
  const config: PractableConfig = {
    relay: { url: withoutTrailingSlash(raw.relay.url), secret: secretOf('relay') },
    jump: { url: withoutTrailingSlash(raw.jump.url), secret: secretOf('jump') },
    book: {
      url: bookUrl,
      secret: secretOf('book'),
      audience: raw.book.audience ?? bookUrl,
      timeout: durationMs(raw.book.timeout),
      setAvailability: raw.book.set_availability,
    },
    healthLastActive: durationMs(raw.health_last_active),
    healthLastChecked: durationMs(raw.health_last_checked),
    queryBookEvery: durationMs(raw.query_book_every),
    reconnectEvery: durationMs(raw.reconnect_every),
  };
  if (raw.startup_grace !== undefined) config.startupGrace = durationMs(raw.startup_grace);
  return config;
}

export const practableSection = defineSection({ key: 'practable', schema: practableSchema, normalize: normalizePractable });
