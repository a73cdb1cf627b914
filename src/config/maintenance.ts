// The `maintenance:` section: windows in which matched subjects are "in maintenance" (their generated alerts are
// muted; health keeps being recorded). A window is one-off (starts_at/ends_at) or weekly (days, at, duration, UTC).
// `match` is the alerting policies' match on subjects: subject, kind, source or a subject label.
import { z } from 'zod';
import { WEEKDAYS, type MaintenanceWindow } from '../maintenance/windows.js';
import { parseTime } from '../util/duration.js';
import { UNMATCHABLE_KEYS, matchValueSchema } from './alerting.js';
import { durationMs, durationSchema, LABEL_NAME_RE } from './fields.js';

const timeSchema = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  try {
    parseTime(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** `match` of a window: as in policies, but on subjects only (a window covers a whole subject). */
export const maintenanceMatchSchema = z
  .record(z.string().regex(LABEL_NAME_RE, `a match key is a label name matching ${LABEL_NAME_RE.source}`), matchValueSchema)
  .superRefine((match, ctx) => {
    for (const key of Object.keys(match)) {
      if (key === 'check' || UNMATCHABLE_KEYS.includes(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `cannot match on "${key}": match on subject, kind, source or a subject label` });
      }
    }
  })
  .meta({ description: 'Which subjects: subject, kind, source or any subject label → value or list of values. {} matches every subject.' });

const weeklySchema = z.strictObject({
  days: z.array(z.enum(WEEKDAYS)).min(1).meta({ description: 'Days of the week (UTC) the window opens: sun, mon, ... sat.' }),
  at: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24-hour, UTC), e.g. 02:00')
    .meta({ description: 'Opening time, HH:MM in UTC.' }),
  duration: durationSchema.meta({ description: 'How long each occurrence lasts (at most a week).' }),
});

const windowSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/, 'a window id is lower-case letters and digits, words joined by - or _')
      .optional()
      .meta({ description: 'Name shown on the page and in events; default maintenance-<index>.' }),
    match: maintenanceMatchSchema,
    reason: z.string().min(1).max(256).meta({ description: 'Why: shown on the status page and the subject page.' }),
    starts_at: timeSchema.optional().meta({ description: 'Start of a one-off window: RFC 3339 or Unix seconds.' }),
    ends_at: timeSchema.optional().meta({ description: 'End of a one-off window (exclusive).' }),
    weekly: weeklySchema.optional().meta({ description: 'A weekly recurrence instead of starts_at/ends_at.' }),
  })
  .superRefine((window, ctx) => {
    const oneOff = window.starts_at !== undefined || window.ends_at !== undefined;
    if (oneOff === (window.weekly !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either starts_at and ends_at, or weekly' });
      return;
    }
    if (oneOff && (window.starts_at === undefined || window.ends_at === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [window.starts_at === undefined ? 'starts_at' : 'ends_at'],
        message: 'a one-off window needs both starts_at and ends_at',
      });
      return;
    }
    if (oneOff && safeTime(window.starts_at!) >= safeTime(window.ends_at!)) {
      ctx.addIssue({ code: 'custom', path: ['ends_at'], message: 'ends_at must be after starts_at' });
    }
  });

const safeTime = (value: string | number): number => {
  try {
    return parseTime(value);
  } catch {
    return Number.NaN;
  }
};

export const maintenanceSchema = z
  .array(windowSchema)
  .superRefine((windows, ctx) => {
    const seen = new Map<string, number>();
    windows.forEach((window, index) => {
      const id = window.id ?? `maintenance-${index}`;
      const first = seen.get(id);
      if (first !== undefined)
        ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate window id "${id}" (first at maintenance[${first}])` });
      else seen.set(id, index);
    });
  })
  .default([])
  .meta({ description: 'Maintenance windows: matched subjects show "maintenance" and their generated alerts are muted.' });

export type MaintenanceInput = z.output<typeof maintenanceSchema>;

/** A list value or one value → the list. */
export const matchLists = (match: Record<string, string | string[]>): Record<string, string[]> =>
  Object.fromEntries(Object.entries(match).map(([key, value]) => [key, typeof value === 'string' ? [value] : [...value]]));

export function normalizeMaintenance(windows: MaintenanceInput): MaintenanceWindow[] {
  return windows.map((window, index): MaintenanceWindow => {
    const normalized: MaintenanceWindow = {
      id: window.id ?? `maintenance-${index}`,
      match: matchLists(window.match),
      reason: window.reason,
      source: 'config',
    };
    if (window.weekly) {
      const [hours, minutes] = window.weekly.at.split(':').map(Number);
      normalized.weekly = { days: [...window.weekly.days], startMinute: hours! * 60 + minutes!, durationMs: durationMs(window.weekly.duration) };
    } else {
      normalized.startsAt = parseTime(window.starts_at!);
      normalized.endsAt = parseTime(window.ends_at!);
    }
    return normalized;
  });
}
