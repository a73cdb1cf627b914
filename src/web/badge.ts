// Small SVG badges in the usual two-part style (grey label, coloured status), for READMEs and wikis. Text widths
// are estimated from Verdana 11px advance widths, as shields.io-style badges do, so no font is needed server-side.
import { createHash } from 'node:crypto';
import type { CheckState, SubjectState } from '../engine/types.js';
import type { MaintenanceWindow } from '../maintenance/windows.js';
import { escapeHtml } from './html.js';

export interface BadgeState {
  label: string;
  status: string;
  color: string;
}

export const BADGE_COLORS = {
  ok: '#2e7d32',
  bad: '#c62828',
  warn: '#b26a00',
  info: '#1565c0',
  muted: '#616161',
} as const;

const SUBJECT_COLOR: Record<string, string> = {
  healthy: BADGE_COLORS.ok,
  unhealthy: BADGE_COLORS.bad,
  missing: BADGE_COLORS.bad,
  unknown: BADGE_COLORS.muted,
  pending: BADGE_COLORS.muted,
};
const CHECK_COLOR: Record<string, string> = { ok: BADGE_COLORS.ok, warn: BADGE_COLORS.warn, crit: BADGE_COLORS.bad, unknown: BADGE_COLORS.muted };

export function subjectBadge(subject: SubjectState, window: MaintenanceWindow | undefined): BadgeState {
  if (window) return { label: subject.spec.id, status: 'maintenance', color: BADGE_COLORS.info };
  if (subject.connectivity === 'unavailable' && subject.health === 'healthy')
    return { label: subject.spec.id, status: 'unavailable', color: BADGE_COLORS.bad };
  return { label: subject.spec.id, status: subject.health, color: SUBJECT_COLOR[subject.health] ?? BADGE_COLORS.muted };
}

export function checkBadge(subject: SubjectState, check: CheckState, window: MaintenanceWindow | undefined): BadgeState {
  const label = `${subject.spec.id} ${check.name}`;
  if (window) return { label, status: 'maintenance', color: BADGE_COLORS.info };
  return { label, status: check.status, color: CHECK_COLOR[check.status] ?? BADGE_COLORS.muted };
}

export const notFoundBadge = (label: string): BadgeState => ({ label, status: 'not found', color: BADGE_COLORS.muted });

// Verdana 11px advance widths (px) of common characters; others count as 7.
const NARROW = new Set([..."fijlrt.,:;'!|()[] "]);
const WIDE = new Set([...'mwMW@%']);
function textWidth(text: string): number {
  let width = 0;
  for (const c of text) width += NARROW.has(c) ? 4 : WIDE.has(c) ? 10 : c >= 'A' && c <= 'Z' ? 7.5 : 6.5;
  return Math.ceil(width);
}

const MAX_LABEL = 60;

export function renderBadge(badge: BadgeState): string {
  const label = badge.label.length > MAX_LABEL ? `${badge.label.slice(0, MAX_LABEL - 1)}…` : badge.label;
  const left = textWidth(label) + 12;
  const right = textWidth(badge.status) + 12;
  const width = left + right;
  const title = escapeHtml(`${label}: ${badge.status}`);
  const text = (x: number, value: string) =>
    `<text x="${x}" y="15" fill="#010101" fill-opacity=".3">${escapeHtml(value)}</text><text x="${x}" y="14">${escapeHtml(value)}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${title}"><title>${title}</title>` +
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>` +
    `<stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${left}" height="20" fill="#555"/>` +
    `<rect x="${left}" width="${right}" height="20" fill="${badge.color}"/><rect width="${width}" height="20" fill="url(#s)"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">` +
    `${text(left / 2, label)}${text(left + right / 2, badge.status)}</g></svg>\n`
  );
}

/** A strong ETag of the badge bytes: the same picture, the same tag, whatever changed behind it. */
export const badgeEtag = (svg: string): string => `"${createHash('sha1').update(svg).digest('base64url')}"`;
