// The exporter-toolkit web configuration file (`--web.config.file`), as every Prometheus exporter reads it:
// tls_server_config, http_server_config, basic_auth_users, rate_limit. Strict like vigil's own config: an unknown
// key is an error with file:line:col, and relative paths are relative to the web config file.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../config/errors.js';
import { durationMs, durationSchema } from '../config/fields.js';
import { issuesToProblems } from '../config/issues.js';
import { SourceLocator } from '../config/positions.js';
import { CIPHER_SUITES, CURVES, TLS_VERSIONS, type TlsVersionName } from './tls-names.js';

export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** The only headers exporter-toolkit lets a web config set. */
export const SETTABLE_HEADERS = [
  'Content-Security-Policy',
  'X-Frame-Options',
  'X-Content-Type-Options',
  'X-XSS-Protection',
  'Strict-Transport-Security',
] as const;

/** bcrypt in modular crypt format: $2a$, $2b$ or $2y$ (htpasswd -B), a two-digit cost, 53 characters of salt and hash. */
const BCRYPT_RE = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

const tlsVersion = z.enum(Object.keys(TLS_VERSIONS) as [TlsVersionName, ...TlsVersionName[]]);

const tlsServerSchema = z
  .strictObject({
    cert: z.string().optional().meta({ description: 'Server certificate, PEM, inline (instead of cert_file).' }),
    key: z.string().optional().meta({ description: 'Server key, PEM, inline (instead of key_file).' }),
    client_ca: z.string().optional().meta({ description: 'CA for client certificates, PEM, inline (instead of client_ca_file).' }),
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    client_auth_type: z.enum(CLIENT_AUTH_TYPES).default('NoClientCert'),
    client_ca_file: z.string().min(1).optional(),
    client_allowed_sans: z.array(z.string().min(1)).optional(),
    min_version: tlsVersion.default('TLS12'),
    max_version: tlsVersion.default('TLS13'),
    cipher_suites: z.array(z.enum(Object.keys(CIPHER_SUITES) as [string, ...string[]])).optional(),
    prefer_server_cipher_suites: z.boolean().default(true),
    curve_preferences: z.array(z.enum(Object.keys(CURVES) as [string, ...string[]])).optional(),
  })
  .superRefine((tls, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (tls.cert !== undefined && tls.cert_file !== undefined) problem('cert', 'give cert or cert_file, not both');
    if (tls.key !== undefined && tls.key_file !== undefined) problem('key', 'give key or key_file, not both');
    if (tls.client_ca !== undefined && tls.client_ca_file !== undefined) problem('client_ca', 'give client_ca or client_ca_file, not both');
    const hasCert = tls.cert !== undefined || tls.cert_file !== undefined;
    const hasKey = tls.key !== undefined || tls.key_file !== undefined;
    const hasCa = tls.client_ca !== undefined || tls.client_ca_file !== undefined;
    if (hasCert && !hasKey) problem('cert_file', 'a certificate needs its key: add key_file');
    if (hasKey && !hasCert) problem('key_file', 'a key needs its certificate: add cert_file');
    if (!hasCert && (hasCa || tls.client_auth_type !== 'NoClientCert'))
      problem('cert_file', 'client certificate settings need a server certificate: add cert_file and key_file');
    if (hasCa && tls.client_auth_type === 'NoClientCert') {
      problem('client_auth_type', 'client_ca_file is set but client_auth_type is NoClientCert: use RequireAndVerifyClientCert');
    }
    if (!hasCa && (tls.client_auth_type === 'RequireAndVerifyClientCert' || tls.client_auth_type === 'VerifyClientCertIfGiven')) {
      problem('client_ca_file', `client_auth_type ${tls.client_auth_type} verifies client certificates: add client_ca_file`);
    }
    if (tls.client_allowed_sans && tls.client_auth_type !== 'RequireAnyClientCert' && tls.client_auth_type !== 'RequireAndVerifyClientCert') {
      problem('client_allowed_sans', 'client_allowed_sans needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert');
    }
    if (TLS_VERSIONS[tls.min_version].rank > TLS_VERSIONS[tls.max_version].rank)
      problem('min_version', `min_version ${tls.min_version} is above max_version ${tls.max_version}`);
  });

const headersSchema = z.record(z.string(), z.string()).superRefine((headers, ctx) => {
  for (const name of Object.keys(headers)) {
    if (!(SETTABLE_HEADERS as readonly string[]).includes(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        params: { at: 'key' },
        message: `header "${name}" cannot be set (allowed: ${SETTABLE_HEADERS.join(', ')})`,
      });
    }
  }
  const frame = headers['X-Frame-Options'];
  if (frame !== undefined && frame !== '' && !['deny', 'sameorigin'].includes(frame.toLowerCase())) {
    ctx.addIssue({ code: 'custom', path: ['X-Frame-Options'], message: 'X-Frame-Options must be deny or sameorigin' });
  }
  const sniff = headers['X-Content-Type-Options'];
  if (sniff !== undefined && sniff !== '' && sniff.toLowerCase() !== 'nosniff') {
    ctx.addIssue({ code: 'custom', path: ['X-Content-Type-Options'], message: 'X-Content-Type-Options must be nosniff' });
  }
});

// A section written with nothing under it (`basic_auth_users:`) is null in YAML; Go reads it as empty, and so do we.
export const webConfigSchema = z.strictObject({
  tls_server_config: tlsServerSchema.nullable().optional(),
  http_server_config: z
    .strictObject({
      http2: z.boolean().default(true),
      headers: headersSchema.nullable().optional(),
    })
    .nullable()
    .optional(),
  basic_auth_users: z
    .record(z.string(), z.string())
    .superRefine((users, ctx) => {
      for (const [user, hash] of Object.entries(users)) {
        if (user === '' || user.includes(':')) {
          ctx.addIssue({ code: 'custom', path: [user], params: { at: 'key' }, message: 'a basic auth user name must be non-empty and hold no ":"' });
        }
        if (!BCRYPT_RE.test(hash)) {
          // Never echo the value: it may be a plain password written by mistake.
          const message = 'expected a bcrypt hash ($2y$10$…, e.g. from htpasswd -nBC 10 ""), not a password';
          ctx.addIssue({ code: 'custom', path: [user], message });
        }
      }
    })
    .nullable()
    .optional(),
  rate_limit: z
    .strictObject({
      interval: durationSchema.default('0s'),
      burst: z.number().int().min(0).default(0),
    })
    .nullable()
    .optional(),
});
type RawWebConfig = z.output<typeof webConfigSchema>;

/** Where the server's TLS material comes from: a file (reloaded when it changes) or inline PEM. */
export type PemSource = { file: string } | { inline: string };

export interface TlsServerSettings {
  cert: PemSource;
  key: PemSource;
  clientCa?: PemSource;
  clientAuth: ClientAuthType;
  clientAllowedSans?: string[];
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
  cipherSuites?: string[];
  preferServerCipherSuites: boolean;
  curvePreferences?: string[];
}

export interface WebConfig {
  /** The file it came from; undefined for the built-in "plain HTTP, no auth". */
  file?: string;
  tls?: TlsServerSettings;
  http2: boolean;
  headers: Record<string, string>;
  /** User → bcrypt hash. Empty: no basic auth. */
  basicAuthUsers: ReadonlyMap<string, string>;
  rateLimit?: { intervalMs: number; burst: number };
}

export const PLAIN_WEB_CONFIG: WebConfig = { http2: true, headers: {}, basicAuthUsers: new Map() };

/** Reads and validates a web config file; throws ConfigError with file:line:col problems. */
export async function loadWebConfig(file: string): Promise<WebConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message: `cannot read web config: ${reason}` }]);
  }
  return parseWebConfig(text, file, dirname(resolve(file)));
}

export function parseWebConfig(text: string, file: string, baseDir: string): WebConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const locator = new SourceLocator(doc, lines);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error): ConfigProblem => ({ file, ...locator.positionOf(error.pos[0]), path: '', message: `YAML: ${error.message}` })),
    );
  }
  const input: unknown = doc.toJS() ?? {};
  const parsed = webConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(issuesToProblems(parsed.error.issues, input, webConfigSchema, locator, file));
  return normalizeWebConfig(parsed.data, file, baseDir);
}

function normalizeWebConfig(raw: RawWebConfig, file: string, baseDir: string): WebConfig {
  const source = (inline: string | undefined, path: string | undefined): PemSource | undefined =>
    inline !== undefined ? { inline } : path !== undefined ? { file: resolve(baseDir, path) } : undefined;
  const config: WebConfig = {
    file,
    http2: raw.http_server_config?.http2 ?? true,
    // exporter-toolkit: a blank value leaves the header unset.
    headers: Object.fromEntries(Object.entries(raw.http_server_config?.headers ?? {}).filter(([, value]) => value !== '')),
    basicAuthUsers: new Map(Object.entries(raw.basic_auth_users ?? {})),
  };
  const tls = raw.tls_server_config;
  const cert = source(tls?.cert, tls?.cert_file);
  const key = source(tls?.key, tls?.key_file);
  // An empty tls_server_config means plain HTTP, as in exporter-toolkit.
  if (tls && cert && key) {
    const clientCa = source(tls.client_ca, tls.client_ca_file);
    config.tls = {
      cert,
      key,
      ...(clientCa && { clientCa }),
      clientAuth: tls.client_auth_type,
      ...(tls.client_allowed_sans && { clientAllowedSans: tls.client_allowed_sans }),
      minVersion: tls.min_version,
      maxVersion: tls.max_version,
      ...(tls.cipher_suites && { cipherSuites: tls.cipher_suites }),
      preferServerCipherSuites: tls.prefer_server_cipher_suites,
      ...(tls.curve_preferences && { curvePreferences: tls.curve_preferences }),
    };
  }
  const rate = raw.rate_limit;
  if (rate && durationMs(rate.interval) > 0) config.rateLimit = { intervalMs: durationMs(rate.interval), burst: rate.burst };
  return config;
}
