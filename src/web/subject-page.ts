// GET /subjects/{id}: one subject in full — checks (counted or why not, timestamps, measurements), connectivity,
// metadata, manipulations, dependencies both ways and the recent events as a timeline.
import type { EngineEvent, EngineState, SubjectState } from '../engine/types.js';
import type { MaintenanceWindow } from '../maintenance/windows.js';
import { HEALTH_TONE, STATUS_TONE, isoTime, pill, when } from './format.js';
import { html, subjectHref, type Html } from './html.js';

function checksView(subject: SubjectState, now: number): Html {
  const checks = Object.values(subject.checks).filter((check) => !check.dropped);
  if (checks.length === 0) return html`<p class="muted">No checks have reported.</p>`;
  checks.sort((a, b) => (a.name < b.name ? -1 : 1));
  return html`<div class="table-wrap"><table class="checks"><caption class="visually-hidden">Checks</caption>
<thead><tr><th scope="col">check</th><th scope="col">status</th><th scope="col">counted</th><th scope="col">message</th>\
<th scope="col">received</th><th scope="col">effective</th><th scope="col">expires</th><th scope="col">measurements</th></tr></thead>
<tbody>${checks.map((check) => {
    const metrics = Object.entries(check.metrics ?? {});
    const reported = check.status !== check.reported ? html`<div class="muted small">reported ${check.reported}</div>` : '';
    const streak = html`<div class="muted small">${check.consecutiveFailures} failing / ${check.consecutiveSuccesses} ok in a row</div>`;
    return html`<tr><th scope="row">${check.name}<div class="muted small">${check.source}</div></th>
<td>${pill(check.status, STATUS_TONE[check.status] ?? 'muted')}${reported}${streak}</td>
<td>${check.counted ? 'yes' : html`no: ${check.notCountedReason ?? 'unknown'}`}</td>
<td class="msg">${check.message ?? ''}</td>
<td>${when(check.receivedAt, now)}</td><td>${isoTime(check.effectiveAt)}</td><td>${when(check.expiresAt, now)}</td>
<td>${metrics.length ? html`<ul class="plain">${metrics.map(([key, value]) => html`<li>${key} = ${value}</li>`)}</ul>` : ''}</td></tr>`;
  })}</tbody></table></div>`;
}

function metadataView(subject: SubjectState, now: number): Html {
  const entries = Object.entries(subject.metadata);
  if (entries.length === 0) return html`<p class="muted">None.</p>`;
  const tone = { info: 'muted', warning: 'warn', error: 'bad' } as const;
  return html`<ul class="plain">${entries.map(
    ([key, entry]) =>
      html`<li>${pill(entry.level, tone[entry.level])} <strong>${key}</strong>: <span class="msg">${entry.message}</span>\
${entry.value !== undefined ? html` (${entry.value})` : ''} <span class="muted">${when(entry.updatedAt, now)}</span></li>`,
  )}</ul>`;
}

function dependenciesView(state: EngineState, subject: SubjectState): Html {
  const link = (id: string) => {
    const other = state.subjects.get(id);
    const health = other ? pill(other.health, HEALTH_TONE[other.health]) : html`<span class="muted">(gone)</span>`;
    return html`<li><a href="${subjectHref(id)}">${id}</a> ${health}</li>`;
  };
  const dependsOn = subject.spec.dependsOn.map((d) => d.id);
  const dependents = [...(state.dependents.get(subject.spec.id) ?? [])].sort();
  const list = (ids: string[]) => (ids.length ? html`<ul class="plain">${ids.map(link)}</ul>` : html`<p class="muted">Nothing.</p>`);
  return html`<div class="two"><div><h3>Depends on</h3>${list(dependsOn)}</div>
<div><h3>Depended on by</h3>${list(dependents)}</div></div>`;
}

function timelineView(events: EngineEvent[], now: number): Html {
  if (events.length === 0) return html`<p class="muted">No events yet.</p>`;
  return html`<ol class="timeline" reversed>${[...events].reverse().map(
    (event) =>
      html`<li>${when(event.at, now)} <strong>${event.type}</strong> ${event.from ?? '–'} → ${event.to}\
${event.reason ? html` <span class="msg">(${event.reason})</span>` : ''}\
${event.maintenance ? html` ${pill('maintenance', 'info')} <span class="muted">${event.maintenance}</span>` : ''}</li>`,
  )}</ol>`;
}

export function subjectBody(
  state: EngineState,
  subject: SubjectState,
  window: MaintenanceWindow | undefined,
  events: EngineEvent[],
  now: number,
): Html {
  const spec = subject.spec;
  const labels = Object.entries(spec.labels);
  const id = encodeURIComponent(spec.id);
  const healthReason = subject.healthReason ? html` <span class="msg">(${subject.healthReason})</span>` : '';
  const labelList = labels.length ? labels.map(([k, v], i) => html`${i ? ', ' : ''}<code>${k}=${v}</code>`) : html`<span class="muted">none</span>`;
  const connectivityReason = subject.connectivityReason ? html` <span class="msg">(${subject.connectivityReason})</span>` : '';
  const connectivity = subject.connectivity
    ? html`${pill(subject.connectivity, subject.connectivity === 'available' ? 'ok' : 'bad')} since \
${when(subject.connectivityChangedAt, now)}${connectivityReason}`
    : html`<span class="muted">not reported</span>`;
  const manipulations = Object.values(subject.manipulations).map(
    (m) => html`<li><strong>${m.manipulation}</strong> ${isoTime(m.startedAt)} – ${isoTime(m.endedAt)}</li>`,
  );
  return html`<p><a href="/">← all subjects</a></p>
<h1 class="id">${spec.id}</h1>
<div id="live" data-live>
<p class="summary">${pill(subject.health, HEALTH_TONE[subject.health])} since ${when(subject.healthChangedAt, now)}${healthReason}
${window ? html`<br>${pill('maintenance', 'info')} <span class="msg">${window.reason}</span> <span class="muted">(${window.id})</span>` : ''}</p>
<dl class="facts wide">
<div><dt>kind</dt><dd>${spec.kind}</dd></div>
<div><dt>source</dt><dd>${spec.source}</dd></div>
<div><dt>labels</dt><dd>${labelList}</dd></div>
<div><dt>connectivity</dt><dd>${connectivity}</dd></div>
<div><dt>last seen</dt><dd>${when(subject.lastSeenAt, now)}</dd></div>
<div><dt>warnings</dt><dd>${subject.warnings}</dd></div>
<div><dt>created</dt><dd>${isoTime(subject.createdAt)}</dd></div>
</dl>
<section aria-labelledby="checks-h"><h2 id="checks-h">Checks</h2>${checksView(subject, now)}</section>
<section aria-labelledby="meta-h"><h2 id="meta-h">Metadata</h2>${metadataView(subject, now)}</section>
<section aria-labelledby="manip-h"><h2 id="manip-h">Manipulations</h2>${
    manipulations.length ? html`<ul class="plain">${manipulations}</ul>` : html`<p class="muted">None recorded.</p>`
  }</section>
<section aria-labelledby="deps-h"><h2 id="deps-h">Dependencies</h2>${dependenciesView(state, subject)}</section>
<section aria-labelledby="events-h"><h2 id="events-h">Recent events</h2>${timelineView(events, now)}</section>
</div>
<section aria-labelledby="badge-h"><h2 id="badge-h">Badge</h2><p><img src="/badge/${id}.svg" alt="vigil status of ${spec.id}"></p>
<p class="small">Markdown: <code>![${spec.id}](/badge/${id}.svg)</code></p></section>`;
}
