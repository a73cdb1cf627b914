// The `targets:` section of the config (DESIGN §5, issue 3): active probes vigil runs itself.
// Keys are snake_case and strict (a typo is an error, not a silently ignored key). Durations are parsed here,
// so the output carries milliseconds and the probes never see a duration string.
import { z } from 'zod';
import { parseDuration } from '../util/duration.js';

/** A Prometheus-style duration (`10s`, `1m30s`) or a number of seconds, parsed to milliseconds. */
export const durationSchema = z.union([z.string(), z.number()]).transform((input, ctx) => {
  try {
    return parseDuration(input);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Labels vigil sets itself on the subject series; a configured label must not shadow them. */
const RESERVED_LABELS = new Set(['subject', 'kind', 'source', 'check', 'state', 'status', 'stat', 'key', 'job', 'instance']);

const nameSchema = z.string().regex(NAME_RE, 'use letters, digits and _ . : - (at most 128, starting with a letter or digit)');

const labelsSchema = z.record(
  z.string().regex(LABEL_NAME_RE, 'a label name is letters, digits and _, not starting with a digit')
    .refine((name) => !RESERVED_LABELS.has(name) && !name.startsWith('__'), 'this label name is reserved by vigil'),
  z.string().max(256),
);

const hostSchema = z.string().min(1).max(253).regex(/^[^\s/]+$/, 'a host name or IP address, without scheme or path');

const DEFAULT_INTERVAL_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;

const common = {
  name: nameSchema,
  subject: nameSchema.optional(),
  /** Check name on the subject; defaults to the probe type. */
  check: nameSchema.optional(),
  labels: labelsSchema.optional(),
  interval: durationSchema.default(DEFAULT_INTERVAL_MS),
  timeout: durationSchema.optional(),
};

const pingSchema = z.strictObject({
  ...common,
  type: z.literal('ping'),
  host: hostSchema,
  count: z.int().min(1).max(100).default(3),
  /** Time between echo requests (`ping -i`); iputils refuses less than 200ms without privileges. */
  packet_interval: durationSchema.default(1_000),
  /** How long to wait for each reply (`ping -W`). */
  packet_timeout: durationSchema.default(1_000),
  /** Loss above this (while some replies came back) makes the check crit; total loss is a connectivity failure. */
  max_loss_ratio: z.number().min(0).max(1).default(0.5),
});

const hostportSchema = z.strictObject({
  ...common,
  type: z.literal('hostport'),
  host: hostSchema,
  port: z.int().min(1).max(65535),
});

const filewriteSchema = z.strictObject({
  ...common,
  type: z.literal('filewrite'),
  /** Directory to write in; vigil writes, reads back and removes `.vigil-filewrite-<name>` there. */
  directory: z.string().min(1),
  size: z.int().min(1).max(16 * 1024 * 1024).default(1024),
});

const STATUS_SPEC_RE = /^(?:[1-5]xx|[1-5]\d\d(?:-[1-5]\d\d)?)$/;
const statusSpecSchema = z.union([
  z.int().min(100).max(599),
  z.string().regex(STATUS_SPEC_RE, 'a status code (200), a class (2xx) or a range (200-299)'),
]);

const headerNameSchema = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid HTTP header name');

const downloadSchema = z.strictObject({
  ...common,
  type: z.literal('download'),
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
  method: z.enum(['GET', 'HEAD']).default('GET'),
  /** Request headers. Values may be secrets: vigil never echoes them. Prefer `${ENV}` or `header_files`. */
  headers: z.record(headerNameSchema, z.string()).optional(),
  /** Header name → file holding its value (read at start, trailing newline removed). */
  header_files: z.record(headerNameSchema, z.string().min(1)).optional(),
  expected_status: z.array(statusSpecSchema).min(1).default(['2xx']),
  body_contains: z.string().min(1).optional(),
  max_redirects: z.int().min(0).max(20).default(5),
  /** PEM file of the CA certificates this target is verified against; it replaces the system roots. */
  ca_file: z.string().min(1).optional(),
  insecure_skip_verify: z.boolean().default(false),
});

const targetSchema = z
  .discriminatedUnion('type', [pingSchema, hostportSchema, filewriteSchema, downloadSchema])
  .transform((target, ctx) => {
    const timeout = target.timeout ?? Math.min(DEFAULT_TIMEOUT_MS, target.interval);
    if (target.interval <= 0) ctx.addIssue({ code: 'custom', path: ['interval'], message: 'interval must be greater than 0' });
    if (timeout <= 0) ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'timeout must be greater than 0' });
    if (timeout > target.interval) {
      ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'timeout must not exceed interval (a probe never overlaps itself)' });
    }
    if (target.type === 'ping') {
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
    if (target.type === 'download' && target.headers && target.header_files) {
      for (const name of Object.keys(target.header_files)) {
        if (Object.keys(target.headers).some((other) => other.toLowerCase() === name.toLowerCase())) {
          ctx.addIssue({ code: 'custom', path: ['header_files', name], message: `header ${name} is also set in headers` });
        }
      }
    }
    return { ...target, timeout };
  });

export const targetsSchema = z.array(targetSchema).superRefine((targets, ctx) => {
  const names = new Map<string, number>();
  const checks = new Map<string, number>();
  targets.forEach((target, index) => {
    const earlier = names.get(target.name);
    if (earlier !== undefined) {
      ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate target name (also targets[${earlier}])` });
    }
    names.set(target.name, index);
    const key = `${target.subject ?? target.name}\u0000${target.check ?? target.type}`;
    const clash = checks.get(key);
    if (clash !== undefined && earlier === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'check'],
        message: `targets[${clash}] already reports check "${target.check ?? target.type}" on subject "${target.subject ?? target.name}"; set a distinct check:`,
      });
    }
    checks.set(key, index);
  });
});

export type TargetsConfig = z.output<typeof targetsSchema>;
export type TargetConfig = TargetsConfig[number];
export type PingTarget = Extract<TargetConfig, { type: 'ping' }>;
export type HostportTarget = Extract<TargetConfig, { type: 'hostport' }>;
export type FilewriteTarget = Extract<TargetConfig, { type: 'filewrite' }>;
export type DownloadTarget = Extract<TargetConfig, { type: 'download' }>;
export type TargetType = TargetConfig['type'];

/** The subject a target reports on. */
export function targetSubject(target: TargetConfig): string {
  return target.subject ?? target.name;
}

/** The check name a target reports under on its subject. */
export function targetCheck(target: TargetConfig): string {
  return target.check ?? target.type;
}
