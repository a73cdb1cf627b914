// Maintenance windows: the config section, the weekly recurrence, the API (scope manipulate, problem answers that
// change nothing), the gauge, events that say so while health keeps being recorded, and durability across a restart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Vigil } from '../../src/runtime/vigil.js';
import { Store } from '../../src/store/store.js';
import { isOpen, occurrence, type MaintenanceWindow } from '../../src/maintenance/windows.js';
import { problemAt, refused, parse, yaml } from '../config/helpers.js';
import { problemOf, startHarness } from '../helpers/api-harness.js';
import { TEST_SETTINGS } from '../helpers/settings.js';
import { join } from 'node:path';

const ADMIN = 'admin-secret-token';
const OPS = 'ops-secret-token'; // connectivity, metadata, manipulate
const PUSHER = 'pusher-secret-token'; // observe only
const iso = (ms: number) => new Date(ms).toISOString();

describe('maintenance config', () => {
  it('accepts one-off and weekly windows with a policy-style match', async () => {
    const { config } = await parse(
      yaml(
        'maintenance:',
        '  - { id: patch, match: { kind: host, rack: [r1, r2] }, reason: kernel, ' +
          'starts_at: "2026-12-01T02:00:00Z", ends_at: "2026-12-01T04:00:00Z" }',
        '  - { match: { subject: db-1 }, reason: backup, weekly: { days: [sun], at: "03:30", duration: 1h } }',
      ),
    );
    assert.deepEqual(config.maintenance[0], {
      id: 'patch',
      match: { kind: ['host'], rack: ['r1', 'r2'] },
      reason: 'kernel',
      source: 'config',
      startsAt: Date.parse('2026-12-01T02:00:00Z'),
      endsAt: Date.parse('2026-12-01T04:00:00Z'),
    });
    assert.deepEqual(config.maintenance[1]!.weekly, { days: ['sun'], startMinute: 210, durationMs: 3_600_000 });
    assert.equal(config.maintenance[1]!.id, 'maintenance-1');
  });

  it('refuses windows without a time, with both kinds of time, ending before they start, or matching on check', async () => {
    const cases: [string, string, RegExp][] = [
      ['  - { match: {}, reason: x }', 'maintenance[0]', /either starts_at and ends_at, or weekly/],
      ['  - { match: {}, reason: x, starts_at: "2026-12-01T02:00:00Z" }', 'maintenance[0].ends_at', /needs both/],
      [
        '  - { match: {}, reason: x, starts_at: "2026-12-01T02:00:00Z", ends_at: "2026-12-01T01:00:00Z" }',
        'maintenance[0].ends_at',
        /after starts_at/,
      ],
      [
        '  - { match: { check: disk }, reason: x, weekly: { days: [mon], at: "02:00", duration: 1h } }',
        'maintenance[0].match.check',
        /cannot match on "check"/,
      ],
      ['  - { match: {}, reason: x, weekly: { days: [mon], at: "25:00", duration: 1h } }', 'maintenance[0].weekly.at', /HH:MM/],
    ];
    for (const [line, path, message] of cases) {
      const error = await refused(yaml('maintenance:', line));
      assert.match(problemAt(error, path).message, message, line);
    }
  });

  it('weekly windows open on their days in UTC and may run past midnight', () => {
    const window: MaintenanceWindow = {
      id: 'w',
      match: {},
      reason: 'r',
      source: 'config',
      weekly: { days: ['sun'], startMinute: 23 * 60, durationMs: 2 * 3_600_000 },
    };
    const sunday2330 = Date.parse('2026-11-29T23:30:00Z'); // a Sunday
    assert.ok(isOpen(window, sunday2330));
    assert.ok(isOpen(window, Date.parse('2026-11-30T00:59:59Z')), 'still open after midnight');
    assert.ok(!isOpen(window, Date.parse('2026-11-30T01:00:00Z')));
    assert.deepEqual(occurrence(window, Date.parse('2026-11-30T01:00:00Z')), {
      from: Date.parse('2026-12-06T23:00:00Z'),
      to: Date.parse('2026-12-07T01:00:00Z'),
    });
  });
});

describe('maintenance API', () => {
  it('POST answers the window with its id; GET lists it; DELETE removes it; manipulate scope; rejections change nothing', async () => {
    const vigil = await startHarness();
    try {
      const now = Date.now();
      const body = { match: { kind: 'host' }, starts_at: iso(now - 1000), ends_at: iso(now + 60_000), reason: 'patching' };
      assert.equal((await vigil.request('POST', '/api/v1/maintenance', { body })).status, 401);
      assert.equal((await vigil.request('POST', '/api/v1/maintenance', { token: PUSHER, body })).status, 403);
      const bad = await vigil.request('POST', '/api/v1/maintenance', { token: OPS, body: { ...body, ends_at: iso(now - 5000) } });
      assert.equal(bad.status, 400);
      assert.match((await problemOf(bad)).detail, /ends_at: ends_at must be after starts_at/);
      const checkMatch = await vigil.request('POST', '/api/v1/maintenance', { token: OPS, body: { ...body, match: { check: 'disk' } } });
      assert.match((await problemOf(checkMatch)).detail, /cannot match on "check"/);
      assert.deepEqual(((await (await vigil.request('GET', '/api/v1/maintenance')).json()) as { windows: unknown[] }).windows, []);

      const created = await vigil.request('POST', '/api/v1/maintenance', { token: OPS, body });
      assert.equal(created.status, 201);
      const window = (await created.json()) as { id: string; match: unknown; open: boolean; starts_at: string; reason: string; source: string };
      assert.match(window.id, /^mw-[0-9a-f]{12}$/);
      assert.equal(created.headers.get('location'), `/api/v1/maintenance/${window.id}`);
      assert.deepEqual([window.match, window.open, window.reason, window.source], [{ kind: ['host'] }, true, 'patching', 'api']);
      const listed = (await (await vigil.request('GET', '/api/v1/maintenance')).json()) as { windows: { id: string }[] };
      assert.deepEqual(
        listed.windows.map((w) => w.id),
        [window.id],
      );
      assert.equal((await vigil.request('GET', `/api/v1/maintenance/${window.id}`)).status, 200);
      assert.equal((await vigil.request('DELETE', `/api/v1/maintenance/${window.id}`, { token: PUSHER })).status, 403);
      assert.equal((await vigil.request('DELETE', `/api/v1/maintenance/${window.id}`, { token: OPS })).status, 204);
      assert.equal((await vigil.request('DELETE', `/api/v1/maintenance/${window.id}`, { token: OPS })).status, 404);
      assert.equal((await vigil.request('PATCH', '/api/v1/maintenance')).status, 405);
    } finally {
      await vigil.close();
    }
  });

  it('a subject in a window: gauge 1, events name the window, health still recorded; config windows are 409 to DELETE', async () => {
    const vigil = await startHarness();
    try {
      const now = Date.now();
      vigil.vigil.maintenance.configure([
        { id: 'weekly-all', match: { kind: ['rack'] }, reason: 'r', source: 'config', startsAt: now + 3_600_000, endsAt: now + 7_200_000 },
      ]);
      assert.equal((await vigil.request('PUT', '/api/v1/subjects/host-1', { token: ADMIN, body: { kind: 'host' } })).status, 201);
      assert.equal((await vigil.request('PUT', '/api/v1/subjects/rack-1', { token: ADMIN, body: { kind: 'rack' } })).status, 201);
      await vigil.request('PUT', '/api/v1/subjects/host-1/checks/disk', { token: ADMIN, body: { status: 'ok' } });
      const created = await vigil.request('POST', '/api/v1/maintenance', {
        token: ADMIN,
        body: { match: { subject: 'host-1' }, starts_at: iso(now - 1000), ends_at: iso(now + 60_000), reason: 'disk swap' },
      });
      const { id } = (await created.json()) as { id: string };
      const metrics = await (await vigil.request('GET', '/metrics')).text();
      assert.match(metrics, /^vigil_subject_maintenance\{subject="host-1",kind="host"\} 1$/m);
      assert.match(metrics, /^vigil_subject_maintenance\{subject="rack-1",kind="rack"\} 0$/m, 'a later window: 0');

      const health = await vigil.request('PUT', '/api/v1/subjects/host-1/checks/disk', { token: ADMIN, body: { status: 'crit', message: 'full' } });
      assert.equal(((await health.json()) as { health: string }).health, 'unhealthy', 'health is recorded during maintenance');
      const { events } = (await (await vigil.request('GET', '/api/v1/events?after=0&subject=host-1&wait=2s')).json()) as {
        events: { type: string; to: string; maintenance: string | null }[];
      };
      const unhealthy = events.find((e) => e.type === 'health' && e.to === 'unhealthy');
      assert.equal(unhealthy?.maintenance, id);
      assert.equal(events.find((e) => e.type === 'health' && e.to === 'healthy')?.maintenance, null, 'before the window: no mark');
      assert.equal((await vigil.request('DELETE', '/api/v1/maintenance/weekly-all', { token: ADMIN })).status, 409);
    } finally {
      await vigil.close();
    }
  });

  it('API windows survive a restart (stored at once, outside the group commit)', async () => {
    const harness = await startHarness();
    const path = join(harness.dir, 'restart.db');
    try {
      const store = Store.open(path, { flushIntervalMs: 5, eventsPerSubject: 100 });
      const first = new Vigil(store, TEST_SETTINGS);
      const window = first.maintenance.add({ match: { subject: ['a'] }, reason: 'r', startsAt: 0, endsAt: Date.now() + 60_000 });
      first.stop();
      store.close();
      const reopened = Store.open(path, { flushIntervalMs: 5, eventsPerSubject: 100 });
      const second = new Vigil(reopened, TEST_SETTINGS);
      assert.deepEqual(second.maintenance.get(window.id), window);
      second.stop();
      reopened.close();
    } finally {
      await harness.close();
    }
  });
});
