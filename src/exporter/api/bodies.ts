// Request bodies of the push API (DESIGN §6), validated strictly: an unknown field is a mistake worth reporting.
import { z } from 'zod';
import { CHECK_STATUSES } from '../../engine/types.js';
import { labelsSchema, labelsToStrings } from '../../config/fields.js';
import { kindSchema, subjectIdSchema } from '../../config/subjects.js';
import { timeWindowProblem } from '../../util/bounds.js';
import { parseDuration, parseTime } from '../../util/duration.js';

/** Push results default to a one-minute period when they do not say. */
export const DEFAULT_PUSH_PERIOD_MS = 60_000;

// Ids follow the config's rules, so anything the config can name the API can address, and the other way round.
export const idSchema = subjectIdSchema;

/** A reported time, refused outside the sane window (before 2000, more than a day ahead): see util/bounds.ts. */
export const timeSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  let ms: number;
  try {
    ms = parseTime(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
  const problem = timeWindowProblem(ms, Date.now());
  if (problem === undefined) return ms;
  ctx.addIssue({ code: 'custom', message: `time ${JSON.stringify(value)} ${problem}` });
  return z.NEVER;
});
const time = timeSchema;

/** A duration, at most 366 days (parseDuration's bound). */
export const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const labels = labelsSchema.transform(labelsToStrings);

export const subjectBody = z.strictObject({
  kind: kindSchema,
  labels: labels.optional(),
  depends_on: z.array(z.union([idSchema, z.strictObject({ id: idSchema, lag: durationSchema })])).max(32).optional(),
});

const metrics = z
  .record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'metric keys are lower-case snake_case'), z.number().refine(Number.isFinite, 'must be finite'))
  .refine((value) => Object.keys(value).length <= 32, 'at most 32 metrics per check');

export const checkBody = z.strictObject({
  status: z.enum(CHECK_STATUSES as [string, ...string[]]),
  message: z.string().max(1024).optional(),
  observed_at: time.optional(),
  period: durationSchema.refine((ms) => ms > 0, 'period must be positive').optional(),
  metrics: metrics.optional(),
});

export const observationBody = checkBody.extend({ subject: idSchema, check: idSchema });
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

