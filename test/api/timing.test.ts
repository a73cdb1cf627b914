// The Wall-E timing rules through a running server with an injected engine clock: rename (API and config
// `renamed_from`), the timing fields of pushed results, the dependency wait and `not_counted`, and manipulations
// that have not ended yet.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { problemOf, startHarness, type Harness } from '../helpers/api-harness.js';

const PUSH = 'pusher-secret-token';
const OPS = 'ops-secret-token';
const ADMIN = 'admin-secret-token';
const S = 1000;
const M = 60 * S;
const H = 60 * M;

/** A manual clock starting now (real time, so edge checks of times against the wall clock still hold). */
function manualClock() {
  const clock = { now: Math.floor(Date.now() / 1000) * 1000, read: () => clock.now };
  return clock;
}

const iso = (ms: number): string => new Date(ms).toISOString();

interface NotCountedView {
  reason: string;
  rule: string;
  dependency?: string;
  lag_seconds?: number;
  counts_from: string | null;
  [time: string]: unknown;
}
interface CheckView {
  status: string;
  counted: boolean;
  not_counted_reason: string | null;
  not_counted: NotCountedView | null;
  effective_at: string;
  expires_at: string;
  max_age_seconds: number | null;
  timing: { freshness: number; overhead_seconds: number; accuracy_seconds: number; push_period_seconds: number };
}
interface HealthView {
  health: string;
  checks: Record<string, CheckView>;
  manipulations: { manipulation: string; ended_at: string }[];
}

async function health(h: Harness, id: string): Promise<HealthView> {
  const res = await h.request('GET', `/api/v1/subjects/${id}/health`);
  assert.equal(res.status, 200, `GET /subjects/${id}/health`);
  return (await res.json()) as HealthView;
}

async function put(h: Harness, path: string, body: unknown, token = PUSH): Promise<Response> {
  return h.request('PUT', path, { token, body });
}

/** Events of a subject once committed (the API serves only committed events). */
async function eventsOf(
  h: Harness,
  id: string,
  until: (types: string[]) => boolean,
): Promise<{ type: string; subject: string; from: string | null; to: string }[]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const res = await h.request('GET', `/api/v1/events?after=0&subject=${id}&wait=1s`);
    const body = (await res.json()) as { events: { type: string; subject: string; from: string | null; to: string }[] };
    if (until(body.events.map((e) => e.type))) return body.events;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`events of ${id} never became complete`);
}

test('rename through the API: history, events and manipulations follow; old results wait out rename_lag, shown by not_counted', async (t) => {
  const clock = manualClock();
  const h = await startHarness({ clock: clock.read, subjects: [{ id: 'cfg1', kind: 'host', labels: {}, dependsOn: [], source: 'config' }] });
  t.after(() => h.close());
  const T = clock.now;
  const push = { status: 'ok', period: '30m' }; // fresh for an hour
  assert.equal((await put(h, '/api/v1/subjects/db1.old/checks/ssh', push)).status, 200);
  assert.equal((await put(h, '/api/v1/subjects/db1.old/checks/disk', push)).status, 200);
  clock.now = T + 10 * M;
  const repair = await h.request('POST', '/api/v1/subjects/db1.old/manipulations', {
    token: OPS,
    body: { manipulation: 'repair', started_at: iso(T - 2 * H), ended_at: iso(T - H) },
  });
  assert.equal(repair.status, 201);
  clock.now = T + 50 * M;
  const renamedAt = clock.now;

  // Refusals change nothing.
  const refusals: [string, string, unknown, string, number, RegExp][] = [
    ['db1.old', PUSH, { to: 'db1.new' }, 'observe scope', 403, /lacks the "admin" scope/],
    ['db1.old', ADMIN, { to: 'cfg1' }, 'taken id', 409, /"cfg1" already exists/],
    ['cfg1', ADMIN, { to: 'cfg2' }, 'config-owned', 409, /defined in the config file; rename it there \(id: cfg2, renamed_from: cfg1\)/],
    ['nope', ADMIN, { to: 'x' }, 'unknown subject', 404, /no subject "nope"/],
    ['db1.old', ADMIN, { to: '' }, 'empty id', 400, /to: a subject id must not be empty/],
    ['db1.old', ADMIN, { to: 'x', when: 'now' }, 'unknown field', 400, /when/],
  ];
  for (const [id, token, body, what, status, detail] of refusals) {
    const seq = h.vigil.state.seq;
    const res = await h.request('POST', `/api/v1/subjects/${id}/rename`, { token, body });
    assert.equal(res.status, status, what);
    assert.match((await problemOf(res)).detail, detail, what);
    assert.equal(h.vigil.state.seq, seq, `${what}: nothing changed`);
  }

  const renamed = await h.request('POST', '/api/v1/subjects/db1.old/rename', { token: ADMIN, body: { to: 'db1.new' } });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.headers.get('location'), '/api/v1/subjects/db1.new');
  const config = (await renamed.json()) as { id: string; renamed_from: string; renamed_at: string };
  assert.deepEqual([config.id, config.renamed_from, config.renamed_at], ['db1.new', 'db1.old', iso(renamedAt)]);
  assert.equal((await h.request('GET', '/api/v1/subjects/db1.old')).status, 404);

  let view = await health(h, 'db1.new');
  assert.deepEqual(
    view.manipulations.map((m) => m.manipulation),
    ['repair'],
    'manipulations follow',
  );
  assert.equal(view.health, 'unknown');
  assert.deepEqual(view.checks['ssh']!.not_counted, {
    reason: 'rename',
    rule: 'status_changed_at > renamed_at or effective_at > renamed_at + rename_lag',
    lag_seconds: 3 * 3600,
    status_changed_at: iso(T),
    effective_at: iso(T),
    renamed_at: iso(renamedAt),
    counts_from: null,
  });
  const events = await eventsOf(h, 'db1.new', (types) => types.includes('rename'));
  assert.ok(events.every((e) => e.subject === 'db1.new'));
  assert.deepEqual(
    events.filter((e) => e.type !== 'connectivity').map((e) => [e.type, e.from, e.to]),
    [
      ['health', null, 'healthy'],
      ['rename', 'db1.old', 'db1.new'],
      ['health', 'healthy', 'unknown'],
    ],
    'the history of the old id is served under the new one',
  );

  // The unchanged ok, pushed until its effective time (received − 2 × 30 m) passes renamed + 3 h.
  clock.now = renamedAt + 3 * H + H;
  await put(h, '/api/v1/subjects/db1.new/checks/ssh', push);
  view = await health(h, 'db1.new');
  assert.equal(view.checks['ssh']!.not_counted_reason, 'rename');
  clock.now += 1;
  await put(h, '/api/v1/subjects/db1.new/checks/ssh', push);
  view = await health(h, 'db1.new');
  assert.equal(view.checks['ssh']!.counted, true);
  assert.equal(view.checks['ssh']!.not_counted, null);
  // A status change counts at once.
  await put(h, '/api/v1/subjects/db1.new/checks/disk', { status: 'crit', period: '30m' });
  assert.equal((await health(h, 'db1.new')).health, 'unhealthy');
});

test('config renamed_from renames the subject at start: its events and manipulations follow it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rename-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const spec = (id: string) => ({ id, kind: 'host', labels: {}, dependsOn: [], source: 'config' });
  const first = await startHarness({ dir, subjects: [spec('web-old')] });
  await put(first, '/api/v1/subjects/web-old/checks/http', { status: 'ok' });
  await first.request('POST', '/api/v1/subjects/web-old/manipulations', { token: OPS, body: { manipulation: 'redeploy' } });
  await eventsOf(first, 'web-old', (types) => types.includes('health'));
  await first.close();

  const second = await startHarness({ dir, subjects: [spec('web-new')], renames: [{ from: 'web-old', to: 'web-new' }] });
  t.after(() => second.close());
  assert.equal((await second.request('GET', '/api/v1/subjects/web-old')).status, 404);
  const view = await health(second, 'web-new');
  assert.deepEqual(
    view.manipulations.map((m) => m.manipulation),
    ['redeploy'],
  );
  assert.deepEqual(Object.keys(view.checks), ['http']);
  const events = await eventsOf(second, 'web-new', (types) => types.includes('rename'));
  assert.ok(events.every((e) => e.subject === 'web-new'));
  const renameAt = events.findIndex((e) => e.type === 'rename');
  assert.deepEqual([events[renameAt]!.from, events[renameAt]!.to], ['web-old', 'web-new']);
  assert.deepEqual(
    events
      .slice(0, renameAt)
      .filter((e) => e.type === 'health')
      .map((e) => e.to),
    ['unknown', 'healthy', 'unknown'],
    'the health history of web-old (created, checked, redeployed) comes before the rename',
  );
  const config = (await (await second.request('GET', '/api/v1/subjects/web-new')).json()) as { source: string; renamed_from: string };
  assert.deepEqual([config.source, config.renamed_from], ['config', 'web-old']);
});

test('pushed results take max_age and accuracy (PUT check and POST observations); defaults feed the rest of the timing', async (t) => {
  const clock = manualClock();
  const h = await startHarness({ clock: clock.read, settings: { overhead: 2 * S, pushPeriod: 30 * S } });
  t.after(() => h.close());
  const T = clock.now;
  const observedAt = T - 50 * M;
  const res = await put(h, '/api/v1/subjects/hw-1/checks/memory', {
    status: 'ok',
    period: '1h',
    observed_at: iso(observedAt),
    max_age: '1h',
    accuracy: 60,
  });
  assert.equal(res.status, 200);
  let check = (await health(h, 'hw-1')).checks['memory']!;
  assert.equal(check.max_age_seconds, 3600);
  assert.deepEqual(check.timing, { freshness: 2, overhead_seconds: 2, accuracy_seconds: 60, push_period_seconds: 30 });
  assert.equal(check.expires_at, iso(observedAt + H), 'the earlier of observed_at + max_age and received_at + 2 × period');
  assert.equal(check.effective_at, iso(observedAt - M), 'observed_at − accuracy');

  // Ten minutes later it is stale, and not_counted says which times decided.
  clock.now = T + 10 * M;
  await put(h, '/api/v1/subjects/hw-1/checks/other', { status: 'ok' }); // any write evaluates the subject at the new time
  check = (await health(h, 'hw-1')).checks['memory']!;
  assert.equal(check.status, 'unknown');
  assert.deepEqual(check.not_counted, {
    reason: 'stale',
    rule: 'now < expires_at',
    received_at: iso(T),
    expires_at: iso(observedAt + H),
    observed_at: iso(observedAt),
    counts_from: null,
  });

  // POST /observations: the same fields; without observed_at the defaults shape the effective time.
  const batch = await h.request('POST', '/api/v1/observations', {
    token: PUSH,
    body: [
      { subject: 'hw-2', check: 'unreachable', status: 'ok', observed_at: iso(clock.now), accuracy: '60s' },
      { subject: 'hw-2', check: 'ssh', status: 'ok', period: '10s' },
    ],
  });
  assert.equal(batch.status, 200);
  const hw2 = (await health(h, 'hw-2')).checks;
  assert.equal(hw2['unreachable']!.effective_at, iso(clock.now - M));
  assert.equal(hw2['ssh']!.effective_at, iso(clock.now - 2 * S), 'status_changed_at − overhead (defaults.overhead 2s)');

  // A subject defined through the API takes the same timing keys as a config subject.
  const defined = await put(h, '/api/v1/subjects/hw-4', { kind: 'host', accuracy: '60s', overhead: '1s' }, ADMIN);
  assert.equal(defined.status, 201);
  const definedView = (await defined.json()) as { timing: Record<string, number | null> };
  assert.deepEqual(definedView.timing, { freshness: null, overhead_seconds: 1, accuracy_seconds: 60, push_period_seconds: null });
  await put(h, '/api/v1/subjects/hw-4/checks/unreachable', { status: 'ok', observed_at: iso(clock.now) });
  const hw4 = (await health(h, 'hw-4')).checks['unreachable']!;
  assert.deepEqual(hw4.timing, { freshness: 2, overhead_seconds: 1, accuracy_seconds: 60, push_period_seconds: 30 });
  assert.equal(hw4.effective_at, iso(clock.now - M));

  // max_age bounds the age of observed_at, so it needs one; the batch is refused whole.
  const seq = h.vigil.state.seq;
  const refused = await h.request('POST', '/api/v1/observations', {
    token: PUSH,
    body: [
      { subject: 'hw-3', check: 'a', status: 'ok' },
      { subject: 'hw-3', check: 'b', status: 'ok', max_age: '1h' },
    ],
  });
  assert.equal(refused.status, 400);
  const problem = await problemOf(refused);
  assert.deepEqual(problem.errors, [{ path: '1.max_age', message: 'max_age bounds the age of observed_at: give observed_at too' }]);
  assert.equal(h.vigil.state.seq, seq);
  assert.equal((await h.request('GET', '/api/v1/subjects/hw-3')).status, 404);
});

test('the dependency wait through the API: a new crit behind a switch is held for the lag, and not_counted names the clock', async (t) => {
  const clock = manualClock();
  const h = await startHarness({ clock: clock.read });
  t.after(() => h.close());
  const T = clock.now;
  assert.equal((await put(h, '/api/v1/subjects/sw3', { kind: 'switch' }, ADMIN)).status, 201);
  assert.equal((await put(h, '/api/v1/subjects/host-17', { kind: 'host', depends_on: [{ id: 'sw3', lag: '5m' }] }, ADMIN)).status, 201);
  await put(h, '/api/v1/subjects/sw3/checks/netmon', { status: 'ok', period: '1h' });
  clock.now = T + 10 * M;
  await put(h, '/api/v1/subjects/host-17/checks/meta', { status: 'ok', period: '1h', observed_at: iso(clock.now) });
  clock.now = T + 20 * M;
  await put(h, '/api/v1/subjects/host-17/checks/meta', { status: 'ok', period: '1h', observed_at: iso(clock.now) });
  assert.equal((await health(h, 'host-17')).health, 'healthy');

  const critAt = T + 21 * M;
  clock.now = critAt;
  await put(h, '/api/v1/subjects/host-17/checks/ssh', { status: 'crit', period: '1h', observed_at: iso(critAt) });
  let view = await health(h, 'host-17');
  assert.equal(view.health, 'healthy', 'the crit is held, meta still counts');
  assert.equal(view.checks['ssh']!.not_counted_reason, 'dependency');
  assert.deepEqual(view.checks['ssh']!.not_counted, {
    reason: 'dependency',
    rule: 'now − status_changed_at > lag',
    dependency: 'sw3',
    lag_seconds: 300,
    status_changed_at: iso(critAt),
    dependency_changed_at: iso(T),
    counts_from: iso(critAt + 5 * M + 1),
  });

  // The switch stays healthy past the lag: the host itself is broken, and now it says so.
  clock.now = critAt + 5 * M + 1;
  await put(h, '/api/v1/subjects/host-17/checks/ssh', { status: 'crit', period: '1h', observed_at: iso(clock.now) });
  view = await health(h, 'host-17');
  assert.equal(view.checks['ssh']!.counted, true);
  assert.equal(view.health, 'unhealthy');
});

test('a manipulation that ends in the future is refused with a clear problem and changes nothing', async (t) => {
  const clock = manualClock();
  const h = await startHarness({ clock: clock.read });
  t.after(() => h.close());
  await put(h, '/api/v1/subjects/h1/checks/ssh', { status: 'ok' });
  const seq = h.vigil.state.seq;
  for (const body of [
    { manipulation: 'reboot', ended_at: iso(clock.now + 10 * M) },
    { manipulation: 'reboot', started_at: iso(clock.now + M) },
  ]) {
    const res = await h.request('POST', '/api/v1/subjects/h1/manipulations', { token: OPS, body });
    assert.equal(res.status, 400);
    assert.match(
      (await problemOf(res)).detail,
      /manipulation reboot: (endedAt|startedAt) \S+ is in the future \(now \S+\); report a manipulation when it has ended/,
    );
  }
  assert.equal(h.vigil.state.seq, seq);
  assert.deepEqual((await health(h, 'h1')).manipulations, []);
  const ok = await h.request('POST', '/api/v1/subjects/h1/manipulations', { token: OPS, body: { manipulation: 'reboot', ended_at: iso(clock.now) } });
  assert.equal(ok.status, 201);
});
