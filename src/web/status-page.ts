// GET /: counts at the top, filters kept in the URL, the subjects grouped and broken first, sources, maintenance.
import type { EngineState, SourceState } from '../engine/types.js';
import type { Maintenance } from '../maintenance/registry.js';
import { isOpen, occurrence } from '../maintenance/windows.js';
import { HEALTH_STATES } from '../engine/types.js';
import { HEALTH_TONE, STATUS_TONE, pill, when } from './format.js';
import { html, queryString, subjectHref, type Html } from './html.js';
import { STATE_FILTERS, type Row, type StatusModel, type StatusQuery } from './status-model.js';

function countsView(model: StatusModel, query: StatusQuery): Html {
  const { counts } = model;
  const link = (state: string, label: string, value: number, tone: string) =>
    html`<li><a class="count s-${tone}${query.state === state ? ' current' : ''}" href="${'/' + queryString({ ...stateless(query), state })}">\
<span class="n">${value}</span> <span class="w">${label}</span></a></li>`;
  return html`<section aria-labelledby="counts-h"><h2 id="counts-h" class="visually-hidden">Counts</h2>
<ul class="counts">
${link('all', 'subjects', counts.total, 'plain')}
${link('unhealthy', 'unhealthy', counts.health.unhealthy, counts.health.unhealthy ? 'bad' : 'plain')}
${link('missing', 'missing', counts.health.missing, counts.health.missing ? 'bad' : 'plain')}
${link('unknown', 'unknown', counts.health.unknown, 'plain')}
${link('pending', 'pending', counts.health.pending, 'plain')}
${link('healthy', 'healthy', counts.health.healthy, 'ok')}
${link('unavailable', 'unavailable', counts.unavailable, counts.unavailable ? 'bad' : 'plain')}
${link('maintenance', 'in maintenance', counts.maintenance, counts.maintenance ? 'info' : 'plain')}
${link('warnings', 'with warnings', counts.warnings, counts.warnings ? 'warn' : 'plain')}
</ul></section>`;
}

/** The query without state and page: what a count link keeps. */
const stateless = (query: StatusQuery): Record<string, string | undefined> => ({
  q: query.q,
  kind: query.kind,
  label: query.label,
  group: query.group === 'kind' ? undefined : query.group,
});

function filtersView(model: StatusModel, query: StatusQuery): Html {
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  return html`<form class="filters" method="get" action="/" role="search">
<label>Search <input type="search" name="q" value="${query.q}" placeholder="id, label, message"></label>
<label>Kind <select name="kind">${option('', 'any', query.kind === '')}\
${model.kinds.map((kind) => option(kind, kind, kind === query.kind))}</select></label>
<label>Label <input type="text" name="label" value="${query.label}" placeholder="key=value"></label>
<label>State <select name="state">${STATE_FILTERS.map((state) => option(state, state, state === query.state))}</select></label>
<label>Group by <select name="group">${option('kind', 'kind', query.group === 'kind')}${option('none', 'nothing', query.group === 'none')}\
${model.labelKeys.map((key) => option(key, `label ${key}`, key === query.group))}</select></label>
<button type="submit">Apply</button> <a href="/">Clear</a>
</form>`;
}

function rowView(row: Row, now: number): Html {
  const s = row.subject;
  const maintenance = row.maintenance ? html` ${pill('maintenance', 'info')}` : '';
  const connectivity =
    s.connectivity === undefined
      ? html`<span class="muted">not reported</span>`
      : pill(s.connectivity, s.connectivity === 'available' ? 'ok' : 'bad');
  const failing = row.failing.map(
    (check) =>
      html`<li>${pill(check.status, STATUS_TONE[check.status] ?? 'muted')} <span class="check">${check.name}</span>\
${check.message ? html`: <span class="msg">${check.message}</span>` : ''}\
${check.counted ? '' : html` <span class="muted">(not counted: ${check.notCountedReason ?? 'unknown'})</span>`}</li>`,
  );
  return html`<li class="subject${row.broken ? ' broken' : ''}" data-subject="${s.spec.id}">
<div class="line"><a class="id" href="${subjectHref(s.spec.id)}">${s.spec.id}</a> ${pill(s.health, HEALTH_TONE[s.health])}${maintenance}</div>
<dl class="facts"><div><dt>kind</dt><dd>${s.spec.kind}</dd></div><div><dt>connectivity</dt><dd>${connectivity}</dd></div>\
<div><dt>warnings</dt><dd>${s.warnings}</dd></div><div><dt>last seen</dt><dd>${when(s.lastSeenAt, now)}</dd></div></dl>
${failing.length ? html`<ul class="failing">${failing}</ul>` : ''}
</li>`;
}

function pagerView(model: StatusModel, query: StatusQuery): Html {
  if (model.pages <= 1) return html``;
  const href = (page: number) => '/' + queryString({ ...stateless(query), state: query.state === 'all' ? undefined : query.state, page });
  return html`<nav class="pager" aria-label="Pages">
${model.page > 1 ? html`<a rel="prev" href="${href(model.page - 1)}">← previous</a>` : ''}
<span>page ${model.page} of ${model.pages}</span>
${model.page < model.pages ? html`<a rel="next" href="${href(model.page + 1)}">next →</a>` : ''}
</nav>`;
}

function sourcesView(sources: Iterable<SourceState>, now: number): Html {
  const list = [...sources].sort((a, b) => Number(a.up) - Number(b.up) || (a.name < b.name ? -1 : 1));
  if (list.length === 0) return html``;
  return html`<section aria-labelledby="sources-h"><h2 id="sources-h">Sources</h2><ul class="sources">
${list.map((source) => {
  const errors = Object.entries(source.errors).filter(([, n]) => n > 0);
  return html`<li>${pill(source.up ? 'up' : 'down', source.up ? 'ok' : 'bad')} <strong>${source.name}</strong>
 <span class="muted">last success ${when(source.lastSuccessAt, now)}</span>${source.up ? '' : html` · down since ${when(source.downSince, now)}`}
${source.lastError && !source.up ? html`<div class="msg">${source.lastError}</div>` : ''}
${errors.length ? html`<div class="muted">errors: ${errors.map(([kind, n], i) => html`${i ? ', ' : ''}${kind} ${n}`)}</div>` : ''}</li>`;
})}
</ul></section>`;
}

export function maintenanceListView(maintenance: Maintenance, now: number): Html {
  const windows = maintenance.current(now);
  if (windows.length === 0) return html``;
  return html`<section aria-labelledby="mw-h"><h2 id="mw-h">Maintenance</h2><ul class="windows">
${windows.map((window) => {
  const next = occurrence(window, now)!;
  const open = isOpen(window, now);
  const match =
    Object.entries(window.match)
      .map(([key, values]) => `${key}=${values.join('|')}`)
      .join(', ') || 'every subject';
  const period = open ? html`ends ${when(next.to, now)}` : html`starts ${when(next.from, now)}`;
  const weekly = window.weekly ? html` <span class="muted">weekly</span>` : '';
  return html`<li>${pill(open ? 'in progress' : 'scheduled', open ? 'info' : 'muted')} <strong>${window.reason}</strong> \
<span class="muted">(${window.id}; ${match})</span>
 ${period}${weekly}</li>`;
})}
</ul></section>`;
}

export function statusBody(state: EngineState, maintenance: Maintenance, model: StatusModel, query: StatusQuery, now: number): Html {
  const heading =
    model.matched === model.counts.total ? `${model.counts.total} subjects` : `${model.matched} of ${model.counts.total} subjects match`;
  const healthWords = HEALTH_STATES.filter((h) => model.counts.health[h] > 0)
    .map((h) => `${model.counts.health[h]} ${h}`)
    .join(', ');
  const broken = model.counts.health.unhealthy + model.counts.health.missing + model.counts.unavailable > 0;
  const verdict = broken
    ? html`<strong class="s-bad-text">Something is broken.</strong>`
    : html`<strong class="s-ok-text">Nothing is broken.</strong>`;
  const groupView = (group: StatusModel['groups'][number]) =>
    html`<section class="group"><h3>${group.name} <span class="muted">(${group.rows.length}${model.pages > 1 ? ' on this page' : ''})</span></h3>\
<ul class="subjects">${group.rows.map((row) => rowView(row, now))}</ul></section>`;
  return html`<h1>Status</h1>
<p class="summary" id="summary" data-live>${verdict} ${healthWords}</p>
${filtersView(model, query)}
<div id="live" data-live>
${countsView(model, query)}
${maintenanceListView(maintenance, now)}
<section aria-labelledby="subjects-h"><h2 id="subjects-h">${heading}</h2>
${model.groups.length === 0 ? html`<p class="muted">No subject matches these filters.</p>` : ''}
${model.groups.map(groupView)}
${pagerView(model, query)}
</section>
${sourcesView(state.sources.values(), now)}
</div>`;
}
