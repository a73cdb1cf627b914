// How times and states read on the page: relative ages with the exact time in a <time> element, and the words
// and colour classes of each state (colour is never the only signal: the word is always printed).
import type { Health } from '../engine/types.js';
import { html, type Html } from './html.js';

export function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}

/** `<time datetime=…>3 min ago</time>`, or a dash when never. */
export function when(at: number | undefined, now: number): Html {
  if (at === undefined) return html`<span class="muted">never</span>`;
  const iso = new Date(at).toISOString();
  const text = at <= now ? `${age(now - at)} ago` : `in ${age(at - now)}`;
  return html`<time datetime="${iso}" title="${iso}">${text}</time>`;
}

export const isoTime = (at: number | undefined): Html =>
  at === undefined
    ? html`<span class="muted">–</span>`
    : html`<time datetime="${new Date(at).toISOString()}">${new Date(at)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')}</time>`;

/** A state as a word in a coloured pill: `s-bad`, `s-warn`, `s-ok`, `s-info`, `s-muted`. */
export const pill = (word: string, tone: string): Html => html`<span class="pill s-${tone}">${word}</span>`;

export const HEALTH_TONE: Record<Health, string> = { healthy: 'ok', unhealthy: 'bad', unknown: 'muted', pending: 'info', missing: 'bad' };
export const STATUS_TONE: Record<string, string> = { ok: 'ok', warn: 'warn', crit: 'bad', unknown: 'muted' };
