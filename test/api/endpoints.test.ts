import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MetricsSelection } from '../../src/exporter/metrics/selection.js';
import { startHarness, type Harness } from '../helpers/api-harness.js';

const PUSH = 'pusher-secret-token';
const OPS = 'ops-secret-token';
const ADMIN = 'admin-secret-token';

describe('API endpoints', () => {
  let h: Harness;
  before(async () => {
    // The run records are opt-in: the test of unreached runs reads them from /metrics.
    h = await startHarness({ selection: new MetricsSelection({ include: ['vigil_check_runs_total', 'vigil_check_last_run'] }) });
  });
  after(() => h.close());

  it('serves the lifecycle probes', async () => {
    assert.equal((await h.request('GET', '/-/healthy')).status, 200);
    assert.equal((await h.request('GET', '/-/ready')).status, 200);
    h.web.setReady(false);
    assert.equal((await h.request('GET', '/-/ready')).status, 503);
    h.web.setReady(true);
  });

  it('creates subjects with PUT and reads their configuration', async () => {
    const created = await h.request('PUT', '/api/v1/subjects/sw3', { token: ADMIN, body: { kind: 'switch', labels: { rack: 'r7' } } });
    assert.equal(created.status, 201);
    assert.equal((await h.request('PUT', '/api/v1/subjects/r7', { token: ADMIN, body: { kind: 'rack' } })).status, 201);
    const host = await h.request('PUT', '/api/v1/subjects/host-17', {
      token: ADMIN,
      body: { kind: 'host', labels: { switch: 'sw3' }, depends_on: ['r7', { id: 'sw3', lag: '5m' }] },
    });
    assert.equal(host.status, 201);
    const read = await h.request('GET', '/api/v1/subjects/host-17');
    const body = (await read.json()) as { kind: string; labels: Record<string, string>; depends_on: { id: string; lag_seconds: number }[] };
    assert.equal(body.kind, 'host');
    assert.deepEqual(body.labels, { switch: 'sw3' });
    assert.deepEqual(body.depends_on[1], { id: 'sw3', lag_seconds: 300 });
    const updated = await h.request('PUT', '/api/v1/subjects/sw3', { token: ADMIN, body: { kind: 'switch' } });
    assert.equal(updated.status, 200);
    const unknownDependency = await h.request('PUT', '/api/v1/subjects/h2', { token: ADMIN, body: { kind: 'host', depends_on: ['nope'] } });
    assert.equal(unknownDependency.status, 404);
    const repeated = await h.request('PUT', '/api/v1/subjects/h3', { token: ADMIN, body: { kind: 'host', depends_on: ['r7', 'r7'] } });
    assert.equal(repeated.status, 400);
  });

  it('takes an unreachable run: counted as a run for on: [unreachable], leaving status, counters and contact alone', async () => {
    assert.equal((await h.request('PUT', '/api/v1/subjects/far/checks/ping', { token: PUSH, body: { status: 'ok', period: '1m' } })).status, 200);
    const before = (await (await h.request('GET', '/api/v1/subjects/far/health')).json()) as { last_seen_at: string };
    for (let i = 0; i < 2; i++) {
      const run = await h.request('PUT', '/api/v1/subjects/far/checks/ping', { token: PUSH, body: { status: 'unreachable', message: 'timeout' } });
      assert.equal(run.status, 200);
    }
    const batch = await h.request('POST', '/api/v1/observations', { token: PUSH, body: [{ subject: 'far', check: 'ping', status: 'unreachable' }] });
    assert.equal(batch.status, 200);
    const far = h.vigil.state.subjects.get('far')!;
    assert.deepEqual(far.runs?.['ping'], { total: 4, last: { ok: 1, unreachable: 4 } });
    assert.equal(far.checks['ping']?.reported, 'ok', 'not a result');
    assert.equal(far.checks['ping']?.consecutiveSuccesses, 1);
    const after = (await (await h.request('GET', '/api/v1/subjects/far/health')).json()) as { last_seen_at: string };
    assert.equal(after.last_seen_at, before.last_seen_at, 'not a contact');
    const metrics = await (await h.request('GET', '/metrics')).text();
    assert.match(metrics, /^vigil_check_last_run\{subject="far",check="ping",outcome="unreachable"\} 4$/m);
    const refused = await h.request('PUT', '/api/v1/subjects/far/checks/ping', { token: PUSH, body: { status: 'gone' } });
    assert.equal(refused.status, 400);
  });

  it('keeps the configuration ETag still while health changes, and answers 304', async () => {
    await h.request('PUT', '/api/v1/subjects/etag-demo', { token: ADMIN, body: { kind: 'host' } });
    const first = await h.request('GET', '/api/v1/subjects/etag-demo');
    const configTag = first.headers.get('etag')!;
    const firstHealth = await h.request('GET', '/api/v1/subjects/etag-demo/health');
    const healthTag = firstHealth.headers.get('etag')!;
    assert.ok(configTag && healthTag);

    assert.equal(
      (await h.request('PUT', '/api/v1/subjects/etag-demo/checks/disk', { token: PUSH, body: { status: 'crit', message: 'full' } })).status,
      200,
    );

    const again = await h.request('GET', '/api/v1/subjects/etag-demo', { headers: { 'if-none-match': configTag } });
    assert.equal(again.status, 304);
    const healthAgain = await h.request('GET', '/api/v1/subjects/etag-demo/health', { headers: { 'if-none-match': healthTag } });
    assert.equal(healthAgain.status, 200);
    assert.notEqual(healthAgain.headers.get('etag'), healthTag);
    const view = (await healthAgain.json()) as { health: string; checks: Record<string, { status: string; consecutive_failures: number }> };
    assert.equal(view.health, 'unhealthy');
    assert.equal(view.checks['disk']?.consecutive_failures, 1);

    const list = await h.request('GET', '/api/v1/subjects');
    const listAgain = await h.request('GET', '/api/v1/subjects', { headers: { 'if-none-match': list.headers.get('etag')! } });
    assert.equal(listAgain.status, 304);

    await h.request('PUT', '/api/v1/subjects/etag-demo', { token: ADMIN, body: { kind: 'host', labels: { rack: 'r1' } } });
    const changed = await h.request('GET', '/api/v1/subjects/etag-demo', { headers: { 'if-none-match': configTag } });
    assert.equal(changed.status, 200);
  });

  it('acknowledges a write only after the group commit that holds it', async () => {
    const before = h.vigil.store.stats().transactions;
    const res = await h.request('POST', '/api/v1/observations', {
      token: PUSH,
      body: [
        { subject: 'batch-1', check: 'ping', status: 'ok', period: 30 },
        { subject: 'batch-2', check: 'ping', status: 'warn', period: '30s', observed_at: new Date().toISOString() },
      ],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { accepted: 2 });
    assert.ok(h.vigil.store.stats().transactions > before, 'a flush happened before the answer');
    const health = (await (await h.request('GET', '/api/v1/subjects/batch-2/health')).json()) as { warnings: number; health: string };
    assert.equal(health.health, 'healthy');
    assert.equal(health.warnings, 1);
  });

  it('sets connectivity apart from health', async () => {
    await h.request('PUT', '/api/v1/subjects/m1/checks/agent', { token: PUSH, body: { status: 'ok' } });
    const res = await h.request('PUT', '/api/v1/subjects/m1/connectivity', {
      token: OPS,
      body: { state: 'unavailable', reason: 'tentacle offline' },
    });
    assert.equal(res.status, 200);
    const view = (await res.json()) as { health: string; connectivity: string; connectivity_reason: string };
    assert.equal(view.connectivity, 'unavailable');
    assert.equal(view.connectivity_reason, 'tentacle offline');
    assert.equal(view.health, 'healthy');
    const unknownSubject = await h.request('PUT', '/api/v1/subjects/ghost/connectivity', { token: OPS, body: { state: 'available' } });
    assert.equal(unknownSubject.status, 404);
  });

  it('sets and deletes metadata; warnings count but health stays', async () => {
    await h.request('PUT', '/api/v1/subjects/m2/checks/agent', { token: PUSH, body: { status: 'ok' } });
    const set = await h.request('PUT', '/api/v1/subjects/m2/metadata/FreeDiskSpace', {
      token: OPS,
      body: { level: 'warning', message: 'low disk', value: 1.5e9 },
    });
    const view = (await set.json()) as { warnings: number; health: string; metadata: Record<string, { value: number }> };
    assert.equal(view.warnings, 1);
    assert.equal(view.health, 'healthy');
    assert.equal(view.metadata['FreeDiskSpace']?.value, 1.5e9);
    assert.equal((await h.request('DELETE', '/api/v1/subjects/m2/metadata/FreeDiskSpace', { token: OPS })).status, 204);
    assert.equal((await h.request('DELETE', '/api/v1/subjects/m2/metadata/FreeDiskSpace', { token: OPS })).status, 404);
  });

  it('records manipulations', async () => {
    await h.request('PUT', '/api/v1/subjects/m3/checks/ssh', { token: PUSH, body: { status: 'ok' } });
    const res = await h.request('POST', '/api/v1/subjects/m3/manipulations', {
      token: OPS,
      body: { manipulation: 'reboot', started_at: 1_700_000_000, ended_at: '2023-11-14T22:14:00Z' },
    });
    assert.equal(res.status, 201);
    const view = (await res.json()) as { manipulations: { manipulation: string; ended_at: string }[] };
    assert.deepEqual(
      view.manipulations.map((m) => m.manipulation),
      ['reboot'],
    );
    assert.equal(view.manipulations[0]?.ended_at, '2023-11-14T22:14:00.000Z');
    const backwards = await h.request('POST', '/api/v1/subjects/m3/manipulations', {
      token: OPS,
      body: { manipulation: 'reboot', started_at: 2_000_000_000, ended_at: 1_000_000_000 },
    });
    assert.equal(backwards.status, 400);
  });

  it('deletes API-created subjects', async () => {
    await h.request('PUT', '/api/v1/subjects/temp', { token: ADMIN, body: { kind: 'host' } });
    assert.equal((await h.request('DELETE', '/api/v1/subjects/temp', { token: ADMIN })).status, 204);
    assert.equal((await h.request('GET', '/api/v1/subjects/temp')).status, 404);
  });

  it('serves /metrics, gzipped when asked', async () => {
    const plain = await h.request('GET', '/metrics');
    assert.equal(plain.status, 200);
    assert.match(plain.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await plain.text();
    assert.match(text, /^vigil_subject_health\{subject="etag-demo",kind="host",state="unhealthy"\} 1$/m);
    assert.match(text, /^vigil_build_info\{version="test"\} 1$/m);
    const zipped = await fetch(`${h.base}/metrics`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(zipped.headers.get('content-encoding'), 'gzip');
    // fetch decodes gzip itself; the body still has to be the exposition.
    assert.match(await zipped.text(), /vigil_subject_health/);
  });
});
