// Request bodies of the push API (DESIGN §6), validated strictly: an unknown field is a mistake worth reporting.
import { z } from 'zod';
import { CHECK_STATUSES } from '../../engine/types.js';
import { parseDuration, parseTime } from '../../util/duration.js';

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED_LABELS = new Set(['subject', 'kind', 'source', 'check', 'state', 'status']);
const MAX_LABELS = 16;
/** Push results default to a one-minute period when they do not say. */
export const DEFAULT_PUSH_PERIOD_MS = 60_000;

const id = (what: string) =>
  z.string().regex(ID_PATTERN, `${what} must be 1-128 characters of letters, digits and . _ : @ -, starting with a letter or digit`);

const time = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseTime(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const labels = z
  .record(z.string().regex(LABEL_NAME, 'label names are letters, digits and _, not starting with a digit'), z.string().max(256))
  .refine((value) => Object.keys(value).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`)
  .refine((value) => !Object.keys(value).some((name) => RESERVED_LABELS.has(name)), {
    message: `label names ${[...RESERVED_LABELS].join(', ')} are vigil's own`,
  });

export const subjectBody = z.strictObject({
  kind: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'kind is a lower-case word such as host, switch, target'),
  labels: labels.optional(),
  depends_on: z.array(z.union([id('a dependency id'), z.strictObject({ id: id('a dependency id'), lag: duration })])).max(32).optional(),
});

const metrics = z
  .record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'metric keys are lower-case snake_case'), z.number().refine(Number.isFinite, 'must be finite'))
  .refine((value) => Object.keys(value).length <= 32, 'at most 32 metrics per check');

export const checkBody = z.strictObject({
  status: z.enum(CHECK_STATUSES as [string, ...string[]]),
  message: z.string().max(1024).optional(),
  observed_at: time.optional(),
  period: duration.refine((ms) => ms > 0, 'period must be positive').optional(),
  metrics: metrics.optional(),
});

export const observationBody = checkBody.extend({ subject: id('subject'), check: id('check') });
export const observationsBody = z.array(observationBody).min(1).max(10_000);

export const connectivityBody = z.strictObject({
  state: z.enum(['available', 'unavailable']),
  reason: z.string().max(256).optional(),
});

export const metadataBody = z.strictObject({
  level: z.enum(['info', 'warning', 'error']),
  message: z.string().max(1024),
  value: z.number().refine(Number.isFinite, 'must be finite').optional(),
});

export const manipulationBody = z
  .strictObject({
    manipulation: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'manipulation is a lower-case word such as reboot, repair, redeploy'),
    started_at: time.optional(),
    ended_at: time.optional(),
  })
  .refine((m) => m.started_at === undefined || m.ended_at === undefined || m.started_at <= m.ended_at, {
    message: 'started_at must not be after ended_at',
    path: ['ended_at'],
  });

export { id as idSchema };
