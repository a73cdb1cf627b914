// The status page's model without a browser: ordering (broken first, groups with broken subjects first), paging,
// every filter, grouping by a label, counts over all subjects, maintenance; and the escaping HTML builder.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SubjectState } from '../../src/engine/types.js';
import { Maintenance } from '../../src/maintenance/registry.js';
import { html } from '../../src/web/html.js';
import { buildStatus, completeStatus, mergeStatus, parseStatusQuery, statusPart, type StatusPart } from '../../src/web/status-model.js';
import { makeCheck, makeState, makeSubject, T0 } from '../exporter/metrics/factory.js';

const noStore = { loadMaintenance: () => [], saveMaintenance: () => undefined, deleteMaintenance: () => undefined };

function fleet(): SubjectState[] {
  const subjects: SubjectState[] = [];
  for (let i = 0; i < 250; i++) {
    const id = `host-${String(i).padStart(3, '0')}`;
    subjects.push(
      makeSubject(id, { spec: { id, kind: 'host', labels: { rack: `r${i % 5}` }, dependsOn: [], source: 'config' } }, [makeCheck('disk')]),
    );
  }
  subjects[200]!.health = 'unhealthy';
  subjects[200]!.checks['disk'] = makeCheck('disk', { status: 'crit', reported: 'crit', message: 'disk full on /var' });
  subjects[150]!.connectivity = 'unavailable';
  subjects[100]!.health = 'unknown';
  subjects[50]!.warnings = 2;
  subjects.push(makeSubject('sw-1', { spec: { id: 'sw-1', kind: 'switch', labels: {}, dependsOn: [], source: 'config' }, health: 'missing' }));
  subjects.push(makeSubject('db-1', { spec: { id: 'db-1', kind: 'database', labels: {}, dependsOn: [], source: 'config' } }));
  return subjects;
}

const ids = (model: ReturnType<typeof buildStatus>) => model.groups.flatMap((group) => group.rows.map((row) => row.subject.spec.id));

describe('status page model', () => {
  const state = makeState(fleet());
  const maintenance = new Maintenance(noStore);
  const build = (query: Record<string, string>) => buildStatus(state, maintenance, parseStatusQuery(query), T0);

  it('counts every subject, orders broken first and pages by 100', () => {
    const first = build({});
    assert.equal(first.counts.total, 252);
    assert.deepEqual([first.counts.health.unhealthy, first.counts.health.missing, first.counts.unavailable, first.counts.warnings], [1, 1, 1, 1]);
    assert.deepEqual([first.pages, first.page, first.matched], [3, 1, 252]);
    // host (2 broken) before switch (1 broken) before database (none); inside host: unhealthy, unavailable, unknown, warnings, then by id.
    assert.deepEqual(
      first.groups.map((g) => g.name),
      ['host'],
    );
    assert.deepEqual(ids(first).slice(0, 5), ['host-200', 'host-150', 'host-100', 'host-050', 'host-000']);
    assert.equal(first.groups[0]!.rows[0]!.failing[0]!.message, 'disk full on /var');
    const last = build({ page: '3' });
    assert.deepEqual(
      last.groups.map((g) => g.name),
      ['host', 'switch', 'database'],
    );
    assert.deepEqual(ids(last).slice(-2), ['sw-1', 'db-1']);
    assert.equal(build({ page: '99' }).page, 3, 'a page past the end shows the last one');
  });

  it('filters by state, kind, label and search (ids, labels, failing messages), and groups by a label', () => {
    assert.deepEqual(ids(build({ state: 'broken' })), ['host-200', 'host-150', 'sw-1']);
    assert.deepEqual(ids(build({ state: 'unavailable' })), ['host-150']);
    assert.deepEqual(ids(build({ kind: 'switch' })), ['sw-1']);
    assert.equal(build({ label: 'rack=r1' }).matched, 50);
    assert.equal(build({ label: 'rack' }).matched, 250);
    assert.deepEqual(ids(build({ q: 'DISK FULL' })), ['host-200']);
    assert.deepEqual(ids(build({ q: 'sw-' })), ['sw-1']);
    // r0 holds host-200 and host-150 (2 broken), "(no rack)" holds sw-1 (1 broken), then the others by name.
    assert.deepEqual(
      build({ group: 'rack' }).groups.map((g) => g.name),
      ['r0', '(no rack)', 'r1'],
    );
    assert.equal(parseStatusQuery({ state: '<script>', page: '-3' }).state, 'all');
    assert.equal(parseStatusQuery({ page: '-3' }).page, 1);
  });

  it('subjects in an open window show maintenance, rank after the broken ones, and count', () => {
    const windows = new Maintenance(noStore);
    windows.configure([{ id: 'w', match: { subject: ['host-200'] }, reason: 'swap', source: 'config', startsAt: T0 - 1, endsAt: T0 + 1 }]);
    const model = buildStatus(state, windows, parseStatusQuery({ state: 'maintenance' }), T0);
    assert.equal(model.counts.maintenance, 1);
    assert.deepEqual(ids(model), ['host-200']);
    assert.equal(model.groups[0]!.rows[0]!.maintenance?.id, 'w');
    assert.equal(model.groups[0]!.rows[0]!.broken, false);
    assert.deepEqual(ids(buildStatus(state, windows, parseStatusQuery({ state: 'broken' }), T0)), ['host-150', 'sw-1']);
  });
});

// With replicas every replica scans its own subjects (statusPart), the serving one merges the parts and fetches the
// page's subjects from their owners: the page must be exactly the page of one node holding every subject.
describe('status page model over parts (replicas)', () => {
  const all = fleet();
  const windows = new Maintenance(noStore);
  windows.configure([{ id: 'w', match: { subject: ['host-007', 'sw-1'] }, reason: 'swap', source: 'config', startsAt: T0 - 1, endsAt: T0 + 1 }]);
  const queries: Record<string, string>[] = [
    {},
    { page: '2' },
    { page: '3' },
    { state: 'broken' },
    { state: 'maintenance' },
    { group: 'rack' },
    { group: 'none', page: '2' },
    { q: 'disk full' },
    { kind: 'host', label: 'rack=r2' },
  ];

  it('merges into the same page as one node, however the subjects are split', () => {
    const whole = makeState(all);
    const byId = new Map(all.map((subject) => [subject.spec.id, subject]));
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (const replicas of [1, 2, 3, 5]) {
      const shares: SubjectState[][] = Array.from({ length: replicas }, () => []);
      for (const subject of all) shares[Math.floor(random() * replicas)]!.push(subject);
      for (const raw of queries) {
        const query = parseStatusQuery(raw);
        // Through JSON, as the parts travel between replicas.
        const parts = shares.map((share) => JSON.parse(JSON.stringify(statusPart(makeState(share), windows, query, T0))) as StatusPart);
        const merged = mergeStatus(parts, query);
        for (const row of merged.onPage)
          assert.ok(
            shares[row.part]!.some((s) => s.spec.id === row.id),
            `${row.id} is asked of its holder`,
          );
        const model = completeStatus(merged, byId, windows, T0);
        assert.deepEqual(model, buildStatus(whole, windows, query, T0), `${replicas} replicas, ${JSON.stringify(raw)}`);
      }
    }
  });

  it('shows a subject once when two parts hold it (its shard moving between the two answers)', () => {
    const query = parseStatusQuery({});
    const part = statusPart(makeState(all.slice(0, 10)), windows, query, T0);
    const merged = mergeStatus([part, part], query);
    assert.equal(merged.matched, 10);
    assert.equal(new Set(merged.onPage.map((row) => row.id)).size, 10);
  });
});

describe('html``', () => {
  it('escapes every interpolated value unless it is already Html', () => {
    const evil = `<img src=x onerror="alert('1')">&`;
    assert.equal(
      html`<p title="${evil}">${evil}</p>`.value,
      '<p title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;</p>',
    );
    assert.equal(html`<ul>${['<a>', html`<li>ok</li>`, null, undefined, false, 0]}</ul>`.value, '<ul>&lt;a&gt;<li>ok</li>0</ul>');
  });
});
