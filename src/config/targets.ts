// The `targets:` section of the config (docs/targets.md): active probes vigil runs itself.
// Keys are snake_case and strict (a typo is an error, not a silently ignored key). Durations are parsed here,
// so the output carries milliseconds and the probes never see a duration string.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { formatKeyPath } from './errors.js';
import { byteSizeSchema, durationMs, durationSchema as durationInput, labelsSchema, labelsToStrings, parseByteSize } from './fields.js';
import {
  bodyConditionSchema,
  certFields,
  checkSharedOptions,
  headerConditionSchema,
  regexSchema,
  textConditionSchema,
  timingFields,
  tlsClientFields,
} from './probe-options.js';
import { parseDuration } from '../util/duration.js';
import type { Secrets } from './secrets.js';

/** A duration as the shared field schema accepts it (`10s`, `1m30s`), parsed to milliseconds. */
export const durationSchema = durationInput.transform(durationMs);

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

const nameSchema = z.string().regex(NAME_RE, 'use letters, digits and _ . : - (at most 128, starting with a letter or digit)');

/** A string map whose keys must pass `check` (which returns a problem or undefined); the issue names the key. */
function keyedRecord<V extends z.ZodType>(values: V, check: (key: string) => string | undefined) {
  return z.record(z.string(), values).superRefine((record, ctx) => {
    for (const key of Object.keys(record)) {
      const problem = check(key);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
    }
  });
}

const hostSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[^\s/]+$/, 'a host name or IP address, without scheme or path');

const DEFAULT_TIMEOUT_MS = 10_000;

const common = {
  name: nameSchema.meta({ description: 'Unique target name; the subject and check default from it.' }),
  subject: nameSchema.optional().meta({ description: 'Subject the check belongs to (default: name); targets may share one.' }),
  /** Check name on the subject; defaults to the probe type. */
  check: nameSchema.optional().meta({ description: 'Check name on the subject (default: the probe type); unique per subject.' }),
  labels: labelsSchema.optional().transform((labels) => (labels === undefined ? undefined : labelsToStrings(labels))),
  interval: durationSchema.prefault('60s').meta({ description: 'Fixed period of the probe (no drift).' }),
  timeout: durationSchema.optional().meta({ description: 'Run is cut here; default min(10s, interval); at most interval.' }),
  ...timingFields,
  accuracy: durationSchema.optional().meta({
    description: "Uncertainty of the probe: its result is effective from the run start minus this (default: the subject's, else defaults.accuracy).",
  }),
};

const portSchema = z.int().min(1).max(65535).meta({ description: 'TCP port.' });

const pingSchema = z.strictObject({
  ...common,
  type: z.literal('ping'),
  host: hostSchema,
  count: z.int().min(1).max(100).default(3).meta({ description: 'Echo requests per run.' }),
  packet_interval: durationSchema.prefault('1s').meta({ description: 'Time between echo requests (ping -i); at least 200ms.' }),
  packet_timeout: durationSchema.prefault('1s').meta({ description: 'How long to wait for each reply (ping -W).' }),
  max_loss_ratio: z.number().min(0).max(1).default(0.5).meta({
    description: 'Loss above this (while some replies came back) makes the check crit; total loss is a connectivity failure.',
  }),
});

const hostportSchema = z.strictObject({
  ...common,
  type: z.literal('hostport'),
  host: hostSchema,
  port: portSchema,
});

/** One step of a tcp exchange: send a line, or wait for text matching a regular expression. */
const exchangeStepSchema = z
  .strictObject({
    send: z.string().max(4096).optional().meta({ description: 'Text to send; a newline (\\n) is appended, as blackbox_exporter does.' }),
    expect: regexSchema.optional().meta({ description: 'Wait until what the peer sent (since the last match) matches this.' }),
  })
  .refine((step) => (step.send === undefined) !== (step.expect === undefined), 'give exactly one of send or expect');

const tcpSchema = z.strictObject({
  ...common,
  type: z.literal('tcp'),
  host: hostSchema,
  port: portSchema,
  tls: z.boolean().default(false).meta({ description: 'Speak TLS right after connecting (certificate checks apply).' }),
  ...tlsClientFields,
  ...certFields,
  query_response: z.array(exchangeStepSchema).max(32).default([]).meta({ description: 'Steps run in order: send a line or expect a regex.' }),
});

export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'SRV', 'TXT', 'CAA'] as const;
export const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;

const dnsSchema = z.strictObject({
  ...common,
  type: z.literal('dns'),
  server: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s/:]+)(:\d{1,5})?$/, 'host, host:port or [v6]:port')
    .optional()
    .meta({ description: 'DNS server to ask (port 53 by default); default the system resolver.' }),
  query_name: z.string().min(1).max(253).meta({ description: 'Name to look up.' }),
  query_type: z.enum(DNS_RECORD_TYPES).default('A'),
  valid_rcodes: z.array(z.enum(DNS_RCODES)).min(1).default(['NOERROR']).meta({ description: 'Response codes that count as an answer.' }),
  expect_answers: z.array(textConditionSchema).default([]).meta({
    description: 'Each condition must hold for at least one answer value (with not: true, for none).',
  }),
  expect_all_answers: z.array(textConditionSchema).default([]).meta({ description: 'Each condition must hold for every answer value.' }),
  answer_count: z
    .strictObject({ min: z.int().min(0).optional(), max: z.int().min(0).optional() })
    .optional()
    .meta({ description: 'Bounds on the number of answers.' }),
});

const grpcSchema = z.strictObject({
  ...common,
  type: z.literal('grpc'),
  host: hostSchema,
  port: portSchema,
  service: z.string().max(256).default('').meta({ description: 'Service name for grpc.health.v1.Health/Check; empty = the whole server.' }),
  tls: z.boolean().default(false).meta({ description: 'Use TLS (h2); otherwise plain HTTP/2 (h2c).' }),
  ...tlsClientFields,
  ...certFields,
});

const filewriteSchema = z.strictObject({
  ...common,
  type: z.literal('filewrite'),
  directory: z.string().min(1).meta({ description: 'Directory where vigil writes, syncs, reads back and removes .vigil-filewrite-<name>.' }),
  size: z
    .int()
    .min(1)
    .max(16 * 1024 * 1024)
    .default(1024)
    .meta({ description: 'Bytes written per run.' }),
});

const STATUS_SPEC_RE = /^(?:[1-5]xx|[1-5]\d\d(?:-[1-5]\d\d)?)$/;
const statusSpecSchema = z.union([
  z.int().min(100).max(599),
  z.string().regex(STATUS_SPEC_RE, 'a status code (200), a class (2xx) or a range (200-299)'),
]);

const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerName = (name: string): string | undefined => (HEADER_NAME_RE.test(name) ? undefined : 'not a valid HTTP header name');

const downloadSchema = z.strictObject({
  ...common,
  type: z.literal('download'),
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).meta({ description: 'What to request.' }),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  body: z
    .string()
    .max(1024 * 1024)
    .optional()
    .meta({ description: 'Request body (with POST, PUT, PATCH).' }),
  headers: keyedRecord(z.string(), headerName).optional().meta({
    description: 'Request headers. Values may be secrets: vigil never echoes them. Prefer ${ENV} or header_files.',
  }),
  header_files: keyedRecord(z.string().min(1), headerName).optional().meta({ description: 'Header name to a file holding its value.' }),
  expected_status: z
    .array(statusSpecSchema)
    .min(1)
    .default(['2xx'])
    .meta({ description: 'Accepted final status: codes, classes (2xx), ranges (200-299).' }),
  body_contains: z.string().min(1).optional().meta({ description: 'Text the body must contain (shorthand for expect_body: [{contains}]).' }),
  expect_body: z.array(bodyConditionSchema).max(32).default([]).meta({ description: 'Conditions on the body (text, regex, JSON path).' }),
  expect_headers: z.array(headerConditionSchema).max(32).default([]).meta({ description: 'Conditions on response headers.' }),
  follow_redirects: z.boolean().default(true).meta({ description: 'Follow redirects (up to max_redirects); false = the 3xx is the answer.' }),
  max_redirects: z.int().min(0).max(20).default(5).meta({ description: 'Redirects followed; 0 = the 3xx is the final answer.' }),
  max_body_bytes: byteSizeSchema
    .default('4mb')
    .transform(parseByteSize)
    .meta({ description: 'Bytes of the body read at most; the rest is not downloaded (body conditions look only at these).' }),
  ip_family: z.enum(['any', '4', '6']).default('any').meta({ description: 'Connect over IPv4 or IPv6 only, or either (any).' }),
  ...tlsClientFields,
  ...certFields,
});

/** Each key is the `type:` literal of its schema (a compile error otherwise). */
function keyedByType<T extends { [K in keyof T]: z.ZodType<{ type: K }> }>(schemas: T): T {
  return schemas;
}

/** Every target type's schema, by `type:`. */
export const TARGET_SCHEMAS = keyedByType({
  ping: pingSchema,
  hostport: hostportSchema,
  filewrite: filewriteSchema,
  download: downloadSchema,
  tcp: tcpSchema,
  dns: dnsSchema,
  grpc: grpcSchema,
});

/** A target's cross-field checks of its own type, given its effective timeout (timeout > interval is checked on the list). */
type TypeCheck<T> = (target: T, timeout: number, ctx: z.RefinementCtx) => void;
/** Makes a target's files independent of the config file's location (see resolveTargetFiles). */
type ResolveFiles<T> = <U extends T>(target: U, context: TargetFileContext, index: number) => U;

/** What a target type adds to its schema; every type has an entry (empty when it needs neither). */
interface TargetTypeRules<T> {
  check?: TypeCheck<T>;
  resolveFiles?: ResolveFiles<T>;
}

function checkPing(target: z.output<typeof pingSchema>, timeout: number, ctx: z.RefinementCtx): void {
  if (target.packet_interval < 200) {
    ctx.addIssue({ code: 'custom', path: ['packet_interval'], message: 'packet_interval below 200ms needs root; use 200ms or more' });
  }
  const needed = (target.count - 1) * target.packet_interval + target.packet_timeout;
  if (needed > timeout) {
    ctx.addIssue({
      code: 'custom',
      path: ['timeout'],
      message: `ping needs up to ${needed / 1000}s ((count-1) × packet_interval + packet_timeout); raise timeout or lower count`,
    });
  }
}

function checkDownload(target: z.output<typeof downloadSchema>, _timeout: number, ctx: z.RefinementCtx): void {
  if (target.body !== undefined && ['GET', 'HEAD'].includes(target.method)) {
    ctx.addIssue({
      code: 'custom',
      path: ['body'],
      message: `a request body needs a method that carries one (POST, PUT, PATCH), not ${target.method}`,
    });
  }
  if (target.headers && target.header_files) {
    for (const name of Object.keys(target.header_files)) {
      if (Object.keys(target.headers).some((other) => other.toLowerCase() === name.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: ['header_files', name], message: `header ${name} is also set in headers` });
      }
    }
  }
}

/** `header_files` become headers (from the loader's secrets, else read here); TLS files become absolute. */
function resolveDownloadFiles<U extends z.output<typeof downloadSchema>>(target: U, { baseDir, secrets }: TargetFileContext, index: number): U {
  const resolved = resolveTlsFiles(target, baseDir);
  if (target.header_files === undefined) return resolved;
  const headers = { ...target.headers };
  for (const [name, file] of Object.entries(target.header_files)) {
    const known = secrets?.get(formatKeyPath(['targets', index, 'header_files', name]));
    headers[name] = known ?? readFileSync(resolve(baseDir, file), 'utf8').replace(/(\r?\n)+$/, '');
  }
  resolved.headers = headers;
  delete resolved.header_files;
  return resolved;
}

/**
 * Each target type's own cross-field checks and how its files are made absolute, mapped over TARGET_SCHEMAS (a
 * type missing here is a compile error). The probe table (sources/targets/registry.ts) pairs every type with its
 * schema and its probe the same way.
 */
const TARGET_TYPE_RULES = {
  ping: { check: checkPing },
  hostport: {},
  filewrite: { resolveFiles: (target, { baseDir }) => ({ ...target, directory: resolve(baseDir, target.directory) }) },
  download: { check: checkDownload, resolveFiles: resolveDownloadFiles },
  tcp: { resolveFiles: (target, { baseDir }) => resolveTlsFiles(target, baseDir) },
  dns: {},
  grpc: { resolveFiles: (target, { baseDir }) => resolveTlsFiles(target, baseDir) },
} satisfies { [K in keyof typeof TARGET_SCHEMAS]: TargetTypeRules<z.output<(typeof TARGET_SCHEMAS)[K]>> };

type AnyTargetSchema = (typeof TARGET_SCHEMAS)[keyof typeof TARGET_SCHEMAS];
const [firstSchema, ...otherSchemas] = Object.values(TARGET_SCHEMAS) as AnyTargetSchema[];

/** The rules of a target's own type, typed for that target (the table is complete, so they always exist). */
function rulesOf<T extends { type: keyof typeof TARGET_SCHEMAS }>(target: T): TargetTypeRules<T> {
  return TARGET_TYPE_RULES[target.type] as TargetTypeRules<T>;
}

export const targetSchema = z.discriminatedUnion('type', [firstSchema!, ...otherSchemas]).transform((target, ctx) => {
  const timeout = target.timeout ?? Math.min(DEFAULT_TIMEOUT_MS, target.interval);
  if (target.interval <= 0) ctx.addIssue({ code: 'custom', path: ['interval'], message: 'interval must be greater than 0' });
  if (timeout <= 0) ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'timeout must be greater than 0' });
  // timeout > interval is checked on the whole list (targetsSchema), where it shows beside per-field errors.
  checkSharedOptions({ ...target, timeout }, ctx);
  rulesOf(target).check?.(target, timeout, ctx);
  return { ...target, timeout };
});

/** A duration as written or as already parsed (entries that failed elsewhere keep their input); undefined if unusable. */
function leniently(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}

interface LenientTarget {
  name?: unknown;
  subject?: unknown;
  check?: unknown;
  type?: unknown;
  interval?: unknown;
  timeout?: unknown;
}

export const targetsSchema = z.array(targetSchema).superRefine(
  (entries, ctx) => {
    // Entries may be malformed here (see `when`): read them leniently, so cross-field problems show in the same run
    // as per-field ones instead of only once those are fixed.
    const targets = (entries as readonly unknown[]).map((entry) => (typeof entry === 'object' && entry !== null ? (entry as LenientTarget) : {}));
    const names = new Map<unknown, number>();
    const checks = new Map<string, number>();
    targets.forEach((target, index) => {
      const interval = leniently(target.interval ?? '60s');
      const timeout = leniently(target.timeout);
      if (interval !== undefined && timeout !== undefined && timeout > interval) {
        ctx.addIssue({ code: 'custom', path: [index, 'timeout'], message: 'timeout must not exceed interval (a probe never overlaps itself)' });
      }
      if (typeof target.name !== 'string') return;
      const earlier = names.get(target.name);
      if (earlier !== undefined) {
        ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate target name (also targets[${earlier}])` });
      }
      names.set(target.name, index);
      const key = `${String(target.subject ?? target.name)}\u0000${String(target.check ?? target.type)}`;
      const clash = checks.get(key);
      if (clash !== undefined && earlier === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'check'],
          message:
            `targets[${clash}] already reports check "${String(target.check ?? target.type)}" ` +
            `on subject "${String(target.subject ?? target.name)}"; set a distinct check:`,
        });
      }
      checks.set(key, index);
    });
  },
  { when: (payload) => Array.isArray(payload.value) },
);

export type TargetsConfig = z.output<typeof targetsSchema>;
export type TargetConfig = TargetsConfig[number];
export type PingTarget = Extract<TargetConfig, { type: 'ping' }>;
export type HostportTarget = Extract<TargetConfig, { type: 'hostport' }>;
export type FilewriteTarget = Extract<TargetConfig, { type: 'filewrite' }>;
export type DownloadTarget = Extract<TargetConfig, { type: 'download' }>;
export type TcpTarget = Extract<TargetConfig, { type: 'tcp' }>;
export type DnsTarget = Extract<TargetConfig, { type: 'dns' }>;
export type GrpcTarget = Extract<TargetConfig, { type: 'grpc' }>;
export type TargetType = TargetConfig['type'];

/** The subject a target reports on. */
export function targetSubject(target: TargetConfig): string {
  return target.subject ?? target.name;
}

/** The check name a target reports under on its subject. */
export function targetCheck(target: TargetConfig): string {
  return target.check ?? target.type;
}

export interface TargetFileContext {
  /** Directory relative paths in the config file are resolved against. */
  baseDir: string;
  /** Contents of `*_file` / `*_files` entries the loader already read, by key path (`targets[2].header_files.X`). */
  secrets?: Secrets;
}

/**
 * Makes targets independent of the config file's location: `header_files` become headers (from the loader's
 * secrets, else read here), `ca_file` and `directory` become absolute. Call once after validation.
 */
export function resolveTargetFiles(targets: TargetsConfig, context: TargetFileContext): TargetsConfig {
  return targets.map((target, index): TargetConfig => rulesOf(target).resolveFiles?.(target, context, index) ?? target);
}

/** Makes a target's TLS files absolute (they are read when the source starts). */
function resolveTlsFiles<T extends { ca_file?: string | undefined; cert_file?: string | undefined; key_file?: string | undefined }>(
  target: T,
  baseDir: string,
): T {
  const resolved = { ...target };
  for (const key of ['ca_file', 'cert_file', 'key_file'] as const) {
    const file = target[key];
    if (file !== undefined) resolved[key] = resolve(baseDir, file);
  }
  return resolved;
}
