// Maintenance windows: which subjects a window covers and when it is open. Pure functions of (window, subject, now),
// so the status page, the badges, the gauge and the event annotation all agree on one answer.
import type { SubjectSpec } from '../engine/types.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** Every week on `days`, from `startMinute` (minutes after 00:00 UTC) for `durationMs`. */
export interface WeeklyRecurrence {
  days: Weekday[];
  startMinute: number;
  durationMs: number;
}

export interface MaintenanceWindow {
  id: string;
  /** As in alerting policies: subject, kind, source or a subject label → any of the values. Empty matches every subject. */
  match: Record<string, string[]>;
  reason: string;
  source: 'config' | 'api';
  /** One-off window [startsAt, endsAt). */
  startsAt?: number;
  endsAt?: number;
  weekly?: WeeklyRecurrence;
}

/** The occurrence of the window that holds `now`, or the next one; undefined when none is left. */
export interface Occurrence {
  from: number;
  to: number;
}

export function matchesSubject(match: Record<string, string[]>, spec: SubjectSpec): boolean {
  for (const key in match) {
    const values = match[key]!;
    const actual = key === 'subject' ? spec.id : key === 'kind' ? spec.kind : key === 'source' ? spec.source : spec.labels[key];
    if (actual === undefined || !values.includes(actual)) return false;
  }
  return true;
}

/** The current occurrence when `now` is inside the window, else the next one (undefined when the window is over). */
export function occurrence(window: MaintenanceWindow, now: number): Occurrence | undefined {
  if (window.weekly) return weeklyOccurrence(window.weekly, now);
  if (window.startsAt === undefined || window.endsAt === undefined || now >= window.endsAt) return undefined;
  return { from: window.startsAt, to: window.endsAt };
}

export const isOpen = (window: MaintenanceWindow, now: number): boolean => {
  const current = occurrence(window, now);
  return current !== undefined && current.from <= now && now < current.to;
};

function weeklyOccurrence(weekly: WeeklyRecurrence, now: number): Occurrence | undefined {
  if (weekly.days.length === 0 || weekly.durationMs <= 0) return undefined;
  // Candidates start on each listed day of the previous, this and the next week; an occurrence may run past midnight.
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  let next: Occurrence | undefined;
  for (let offset = -7; offset <= 7; offset++) {
    const day = today + offset * DAY_MS;
    if (!weekly.days.includes(WEEKDAYS[new Date(day).getUTCDay()]!)) continue;
    const from = day + weekly.startMinute * 60_000;
    const to = from + Math.min(weekly.durationMs, WEEK_MS);
    if (from <= now && now < to) return { from, to };
    if (from > now && (next === undefined || from < next.from)) next = { from, to };
  }
  return next;
}
