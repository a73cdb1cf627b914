// Times and durations out of range. Before the bounds: one write with a far-future time (observed_at 1e13, period
// "100000000y", 1e300, a manipulation at 1e13, an agent message) was committed, answered 500, and broke GET
// /api/v1/health for everyone across restarts; a result "observed" in year 9999 pinned its check. Every such input
// must be 400 problem+json and change nothing; a state file already holding such values must be repaired at
// start-up, and no read may fail.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as engine from '../../src/engine/index.js';
import { subjectHealthView } from '../../src/exporter/api/views.js';
import { Vigil } from '../../src/runtime/vigil.js';
import { parseAgentMessage } from '../../src/sources/agents/protocol.js';
import { Store } from '../../src/store/store.js';
import { parseDuration } from '../../src/util/duration.js';
import { parse, refused } from '../config/helpers.js';
import { problemOf, startHarness, type Harness } from '../helpers/api-harness.js';
import { TEST_SETTINGS } from '../helpers/settings.js';

const PUSH = 'pusher-secret-token';
const ADMIN = 'admin-secret-token';
const OPS = 'ops-secret-token';

describe('times and durations are bounded at the API edge (problem 2)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ subjects: [{ id: 'sw1', kind: 'switch', labels: {}, dependsOn: [], source: 'config' }] });
    assert.equal((await h.request('PUT', '/api/v1/subjects/host/checks/c1', { token: PUSH, body: { status: 'ok' } })).status, 200);
  });
  after(() => h.close());

  /** Everything a refused write must leave as it was. */
  const snapshot = async () => ({
    subjects: await (await h.request('GET', '/api/v1/subjects')).text(),
    health: await (await h.request('GET', '/api/v1/health')).text(),
    seq: h.vigil.state.seq,
    pending: h.vigil.store.stats().pendingSubjects,
  });

  const refusedWrites: [string, string, string, unknown, RegExp][] = [
    [
      'observed_at 1e13 (Unix seconds in year 318857)',
      'PUT',
      '/api/v1/subjects/host/checks/c1',
      { status: 'ok', observed_at: 1e13 },
      /more than a day ahead/,
    ],
    ['observed_at 1e300', 'PUT', '/api/v1/subjects/host/checks/c1', { status: 'ok', observed_at: 1e300 }, /observed_at/],
    [
      'observed_at in year 9999',
      'PUT',
      '/api/v1/subjects/host/checks/c1',
      { status: 'crit', observed_at: '9999-12-31T00:00:00Z' },
      /more than a day ahead/,
    ],
    [
      'observed_at in milliseconds (before 2000 read as seconds… after it as ms)',
      'PUT',
      '/api/v1/subjects/host/checks/c1',
      { status: 'ok', observed_at: Date.now() },
      /more than a day ahead/,
    ],
    ['observed_at in 1999', 'PUT', '/api/v1/subjects/host/checks/c1', { status: 'ok', observed_at: '1999-12-31T23:59:59Z' }, /before 2000/],
    ['period "100000000y"', 'PUT', '/api/v1/subjects/host/checks/c1', { status: 'ok', period: '100000000y' }, /longer than the maximum of 366d/],
    ['period 1e300', 'PUT', '/api/v1/subjects/host/checks/c1', { status: 'ok', period: 1e300 }, /period/],
    [
      'a batch with one bad time among good ones',
      'POST',
      '/api/v1/observations',
      [
        { subject: 'host', check: 'c2', status: 'ok' },
        { subject: 'new-one', check: 'c', status: 'ok', observed_at: 1e13 },
      ],
      /1\.observed_at/,
    ],
    ['manipulation started_at 1e13', 'POST', '/api/v1/subjects/host/manipulations', { manipulation: 'reboot', started_at: 1e13 }, /started_at/],
    [
      'manipulation ended_at in year 9999',
      'POST',
      '/api/v1/subjects/host/manipulations',
      { manipulation: 'reboot', ended_at: '9999-01-01T00:00:00Z' },
      /ended_at/,
    ],
    ['dependency lag "100000000y"', 'PUT', '/api/v1/subjects/dep', { kind: 'host', depends_on: [{ id: 'sw1', lag: '100000000y' }] }, /depends_on/],
  ];

  for (const [what, method, path, body, detail] of refusedWrites) {
    it(`refuses ${what} with 400 problem+json and changes nothing`, async () => {
      const before = await snapshot();
      const token = path.includes('manipulations') ? OPS : path === '/api/v1/subjects/dep' ? ADMIN : PUSH;
      const response = await h.request(method, path, { token, body });
      assert.equal(response.status, 400);
      assert.match((await problemOf(response)).detail, detail);
      assert.deepEqual(await snapshot(), before);
      assert.equal((await h.request('GET', '/api/v1/health')).status, 200);
    });
  }

  it('refuses a long-poll wait beyond the maximum duration', async () => {
    const response = await h.request('GET', '/api/v1/events?wait=100000000y');
    assert.equal(response.status, 400);
  });

  it('a refused year-9999 result does not pin the check: later results are taken', async () => {
    await h.request('PUT', '/api/v1/subjects/host/checks/c1', { token: PUSH, body: { status: 'crit', observed_at: '9999-12-31T00:00:00Z' } });
    const now = Math.floor(Date.now() / 1000);
    const response = await h.request('PUT', '/api/v1/subjects/host/checks/c1', { token: PUSH, body: { status: 'crit', observed_at: now } });
    assert.equal(response.status, 200);
    const check = ((await response.json()) as { checks: Record<string, { reported_status: string }> }).checks['c1']!;
    assert.equal(check.reported_status, 'crit');
  });
});

describe('times and durations are bounded in the agent protocol and the config (problem 2)', () => {
  it('refuses an agent check observed more than a day ahead, or with an over-long period', () => {
    assert.throws(
      () => parseAgentMessage(JSON.stringify({ type: 'check', check: 'c', status: 'ok', observed_at: 1e13 })),
      /observed_at: .*more than a day ahead/,
    );
    assert.throws(() => parseAgentMessage(JSON.stringify({ type: 'check', check: 'c', status: 'ok', period: '100000000y' })), /366d/);
  });

  it('refuses config durations beyond the maximum, naming the key', async () => {
    const error = await refused('defaults: { rename_lag: 100000000y }\nsubjects: []');
    assert.match(error.message, /defaults\.rename_lag: invalid duration "100000000y": is longer than the maximum of 366d/);
    await parse('defaults: { rename_lag: 366d }\nsubjects: []');
  });

  it('parseDuration is the one bound for every duration', () => {
    assert.equal(parseDuration('366d'), 366 * 86_400_000);
    assert.throws(() => parseDuration('367d'), /maximum of 366d/);
    assert.throws(() => parseDuration(1e300), /maximum/);
  });
});

describe('a state file holding out-of-bounds values (problem 2, across restarts)', () => {
  it('is repaired at start-up: reads answer, the times are clamped, and the repair is stored', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-times-'));
    try {
      const path = join(dir, 'vigil.db');
      // What the previous version stored after `observed_at: 1e13` and friends: a clock in year 318857.
      const far = 1e16;
      const writer = new Vigil(Store.open(path, { flushIntervalMs: 5, eventsPerSubject: 100 }), TEST_SETTINGS, () => far);
      writer.apply((s, now) => engine.applyObservation(s, { subject: 'host', check: 'c1', status: 'ok', period: 60_000, observedAt: far }, now));
      // The engine refuses such a period now; the old version took it, so it is written as the old version would have.
      writer.state.subjects.get('host')!.checks['c1']!.period = 1e15;
      writer.store.record({ events: [], changed: new Set(['host']) });
      writer.store.close();

      const now = Date.now();
      const store = Store.open(path, { flushIntervalMs: 5, eventsPerSubject: 100 });
      const vigil = new Vigil(store, TEST_SETTINGS, () => now);
      assert.deepEqual([...vigil.repairedAtStart], ['host']);
      const subject = vigil.state.subjects.get('host')!;
      assert.ok(JSON.stringify(subjectHealthView(subject)), 'the health view renders');
      assert.equal(subject.checks['c1']!.observedAt, now);
      assert.ok(subject.checks['c1']!.period <= 366 * 86_400_000);
      store.close();

      const again = new Vigil(Store.open(path, { flushIntervalMs: 5, eventsPerSubject: 100 }), TEST_SETTINGS, () => now + 1);
      assert.equal(again.repairedAtStart.size, 0, 'the repair was written back, once');
      again.store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
