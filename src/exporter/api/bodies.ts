// Request bodies of the push API (the README's Push API), validated strictly: an unknown field is a mistake worth reporting.
// The agent protocol reuses them, and a check body becomes an observation here (checkObservation) for both.
import { z } from 'zod';
import { CHECK_STATUSES, type CheckStatus, type Observation, type Timing } from '../../engine/types.js';
import { labelsSchema, labelsToStrings } from '../../config/fields.js';
import { RESERVED_NAME, isOwnKeyName, kindSchema, subjectIdSchema } from '../../config/subjects.js';
import { scheduleWindowProblem, timeWindowProblem } from '../../util/bounds.js';
import { parseDuration, parseTime } from '../../util/duration.js';

/** Push results default to a one-minute period when they do not say. */
export const DEFAULT_PUSH_PERIOD_MS = 60_000;

// Ids follow the config's rules, so anything the config can name the API can address, and the other way round.
export const idSchema = subjectIdSchema;

/** An API time (RFC 3339 or Unix seconds) that `problem` (util/bounds.ts) accepts at the wall clock's now. */
function boundedTime(problem: (ms: number, now: number) => string | undefined) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    let ms: number;
    try {
      ms = parseTime(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
    const found = problem(ms, Date.now());
    if (found === undefined) return ms;
    ctx.addIssue({ code: 'custom', message: `time ${JSON.stringify(value)} ${found}` });
    return z.NEVER;
  });
}

/** A reported time (a result, a manipulation): from 2000 to a day ahead, so nothing can pin a check in the future. */
export const time = boundedTime(timeWindowProblem);
/** A scheduled time (a maintenance window): from 2000 to 366 days ahead. */
export const scheduledTime = boundedTime(scheduleWindowProblem);

/** A duration, at most 366 days (parseDuration's bound). */
export const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
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
  depends_on: z
    .array(z.union([idSchema, z.strictObject({ id: idSchema, lag: duration })]))
    .max(32)
    .optional(),
  // Timing of every check of the subject, as config subjects have it (defaults come from config `defaults:`).
  overhead: duration.optional(),
  accuracy: duration.optional(),
  push_period: duration.optional(),
});

/** The engine's view of a subject body's timing overrides; undefined when it gives none. */
export function subjectTiming(body: {
  overhead?: number | undefined;
  accuracy?: number | undefined;
  push_period?: number | undefined;
}): Partial<Timing> | undefined {
  const timing: Partial<Timing> = {};
  if (body.overhead !== undefined) timing.overhead = body.overhead;
  if (body.accuracy !== undefined) timing.accuracy = body.accuracy;
  if (body.push_period !== undefined) timing.pushPeriod = body.push_period;
  return Object.keys(timing).length > 0 ? timing : undefined;
}

const metrics = z
  .record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'metric keys are lower-case snake_case'), z.number().refine(Number.isFinite, 'must be finite'))
  .refine((value) => Object.keys(value).length <= 32, 'at most 32 metrics per check');

export const checkBody = z
  .strictObject({
    // `unreachable`: this run did not reach what the check watches (timeout, no route): a run, not a result.
    status: z.enum(['unreachable', ...CHECK_STATUSES] as [string, ...string[]]),
    message: z.string().max(1024).optional(),
    observed_at: time.optional(),
    period: duration.refine((ms) => ms > 0, 'period must be positive').optional(),
    // The hw-watcher rule: the result expires at the earlier of observed_at + max_age and received_at + freshness × period.
    max_age: duration.refine((ms) => ms > 0, 'max_age must be positive').optional(),
    // The result is effective from observed_at − accuracy (or, without observed_at, accuracy earlier than otherwise).
    accuracy: duration.optional(),
    metrics: metrics.optional(),
  })
  .refine((body) => body.max_age === undefined || body.observed_at !== undefined, {
    message: 'max_age bounds the age of observed_at: give observed_at too',
    path: ['max_age'],
  });

export type CheckBody = z.output<typeof checkBody>;

/**
 * The engine's view of a pushed check result, from the push API and from an agent's `check` message alike.
 * `freshness`: the pusher's own default (agents.freshness), below the body's own timing fields.
 */
export function checkObservation(subject: string, check: string, body: CheckBody, source: string, freshness?: number): Observation {
  // An unreachable run only counts as a run (policies with on: [unreachable]); status and freshness stay as they were.
  const status = body.status === 'unreachable' ? { status: 'unknown' as const, reached: false } : { status: body.status as CheckStatus };
  const timing: Partial<Timing> = {};
  if (body.accuracy !== undefined) timing.accuracy = body.accuracy;
  if (freshness !== undefined) timing.freshness = freshness;
  return {
    subject,
    check,
    ...status,
    period: body.period ?? DEFAULT_PUSH_PERIOD_MS,
    source,
    ...(body.message !== undefined && { message: body.message }),
    ...(body.observed_at !== undefined && { observedAt: body.observed_at }),
    ...(body.metrics !== undefined && { metrics: body.metrics }),
    ...(body.max_age !== undefined && { maxAge: body.max_age }),
    ...(Object.keys(timing).length > 0 && { timing }),
  };
}

export const observationBody = checkBody.extend({ subject: idSchema, check: idSchema });
export const observationsBody = z.array(observationBody).min(1).max(10_000);

export const renameBody = z.strictObject({ to: idSchema });

export const connectivityBody = z.strictObject({
  state: z.enum(['available', 'unavailable']),
  reason: z.string().max(256).optional(),
});

/** A metadata entry's key (`PUT …/metadata/{key}`, an agent's `metadata` message). */
export const metadataKey = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'metadata keys are 1-64 letters, digits and _ . -')
  .refine(isOwnKeyName, `this key ${RESERVED_NAME}`);

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
