// status's JSON API shapes under /api/v1/practable, and the vigil_practable_* families (promtool-clean).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { problemHandler } from '../../../src/exporter/problem.js';
import { renderPractableMetrics } from '../../../src/sources/practable/metrics.js';
import { practableRoutes } from '../../../src/sources/practable/api.js';
import { practableMetricsInput } from '../../../src/sources/practable/index.js';
import { jumpHost, relayHousekeeping, relayStream } from './fakes.js';
import { startRig, type Rig } from './harness.js';

const PROMTOOL = '/usr/bin/promtool';

function promtoolCheck(text: string): string {
  assert.ok(existsSync(PROMTOOL), `promtool is missing: install it with "apt-get install prometheus" (expected ${PROMTOOL})`);
  const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return `${run.stdout}${run.stderr}`.trim() + (run.status === 0 ? '' : ` (exit ${run.status})`);
}

async function serveApi(rig: Rig): Promise<{ base: string; server: Server }> {
  const app = express();
  app.use(
    '/api/v1',
    practableRoutes({ model: rig.source.model, bookAvailability: (key) => rig.source.bookAvailable.get(key) }, () => rig.clock.now),
  );
  app.use(problemHandler(() => undefined));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/practable`, server };
}

async function fedRig(): Promise<Rig> {
  const rig = await startRig();
  // Forward in time (the manifest was read at the real now, so grace has passed); tokens keep the real clock.
  rig.clock.now = Date.UTC(2030, 4, 2, 10, 0, 0, 100);
  await rig.relayFrame([...relayHousekeeping, relayStream('pend00-st-data', '41.2ms'), relayStream('pend00-st-video', 'Never')]);
  await rig.jumpFrame([jumpHost('pend00')]);
  return rig;
}

test("GET /practable/experiments answers status's ExperimentReport shape", async (t) => {
  const rig = await fedRig();
  const { base, server } = await serveApi(rig);
  t.after(async () => {
    server.close();
    await rig.close();
  });
  const response = await fetch(`${base}/experiments`);
  assert.equal(response.status, 200);
  const [report] = (await response.json()) as Record<string, unknown>[];
  const firstChecked = report!['first_checked'];
  assert.match(String(firstChecked), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/);
  assert.deepEqual(
    { ...report, first_checked: undefined },
    {
      available: false,
      first_checked: undefined,
      health_events: 2,
      healthy: false,
      jump_ok: true,
      jump_report: {
        connected: '2024-05-02 09:00:00 +0000 UTC',
        expires_at: '2029-05-01 09:00:00 +0000 UTC',
        scopes: ['host', 'read', 'write'],
        stats: { rx: { last: '0s' }, tx: { last: '0s' } },
        topic: 'pend00',
        user_agent: 'Go-http-client/1.1',
      },
      last_checked_jump: '2030-05-02 10:00:00.1 +0000 UTC',
      last_checked_streams: '2030-05-02 10:00:00.1 +0000 UTC',
      last_found_in_manifest: report!['last_found_in_manifest'],
      resource_name: 'r-pend00',
      stream_ok: { 'pend00-st-data': true, 'pend00-st-video': false },
      stream_reports: {
        'pend00-st-data': {
          connected: '2024-05-02 09:00:00.123456789 +0000 UTC',
          expires_at: '2029-05-01 09:00:00 +0000 UTC',
          scopes: ['write', 'read', 'expt'],
          stats: { rx: { last: '999h0m0s', never: true }, tx: { fps: 24, last: '41.2ms', size: 1024 } },
          topic: 'pend00-st-data',
          user_agent: 'Go-http-client/1.1',
        },
        'pend00-st-video': {
          connected: '2024-05-02 09:00:00.123456789 +0000 UTC',
          expires_at: '2029-05-01 09:00:00 +0000 UTC',
          scopes: ['write', 'read', 'expt'],
          stats: { rx: { last: '999h0m0s', never: true }, tx: { last: '999h0m0s', never: true } },
          topic: 'pend00-st-video',
          user_agent: 'Go-http-client/1.1',
        },
      },
      stream_required: { 'pend00-st-data': true, 'pend00-st-video': true },
      topic_name: 'pend00',
    },
  );
});

test("GET /practable/experiments/{id}/events answers status's HealthEvent list; unknown id is a 404 problem", async (t) => {
  const rig = await fedRig();
  const { base, server } = await serveApi(rig);
  t.after(async () => {
    server.close();
    await rig.close();
  });
  const events = (await (await fetch(`${base}/experiments/pend00/events`)).json()) as unknown[];
  assert.deepEqual(events, [
    {
      issues: ['missing jump', 'unhealthy pend00-st-video'],
      stream_ok: { 'pend00-st-data': true, 'pend00-st-video': false },
      when: '2030-05-02 10:00:00.1 +0000 UTC',
    },
    {
      issues: ['unhealthy pend00-st-video'],
      jump_ok: true,
      stream_ok: { 'pend00-st-data': true, 'pend00-st-video': false },
      when: '2030-05-02 10:00:00.1 +0000 UTC',
    },
  ]);
  assert.deepEqual(await (await fetch(`${base}/experiments/events/pend00`)).json(), events, 'upstream path too');
  const missing = await fetch(`${base}/experiments/nope/events`);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('content-type'), 'application/problem+json; charset=utf-8');
});

test('vigil_practable_* families pass promtool check metrics', async (t) => {
  const rig = await fedRig();
  t.after(() => rig.close());
  rig.relay.broadcast('not json');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const text = renderPractableMetrics(practableMetricsInput(rig.source));
  assert.equal(promtoolCheck(text), '');
  const lastTx = (Date.UTC(2030, 4, 2, 10, 0, 0, 100) - 41.2) / 1000;
  assert.match(text, new RegExp(`^vigil_practable_stream_last_tx_timestamp_seconds\\{experiment="pend00",stream="st-data"\\} ${lastTx}$`, 'm'));
  assert.match(text, /^vigil_practable_stream_tx_fps\{experiment="pend00",stream="st-data"\} 24.98$/m);
  assert.doesNotMatch(text, /stream="st-video"\} /, 'a stream that never transmitted has no last-tx time and no rate');
  assert.match(text, /^vigil_practable_experiment_available\{experiment="pend00"\} 0$/m);
  assert.match(text, /^vigil_practable_frames_total\{source="practable-relay"\} 1$/m);
  assert.match(text, /^vigil_practable_availability_updates_total\{result="ok"\} 0$/m);
  assert.doesNotMatch(text, /secret|127\.0\.0\.1/);
  // Awkward names are escaped, never break the exposition.
  const odd = renderPractableMetrics({
    streams: [{ experiment: 'a"b\\c', stream: 'st-\n', lastTxAt: 1_000, fps: 1.5 }],
    experiments: [{ experiment: 'a"b\\c', available: true }],
    frames: [],
    malformed: [{ source: 'practable-relay', reason: 'not_json', count: 2 }],
    availabilityUpdates: { ok: 1, error: 0 },
  });
  assert.equal(promtoolCheck(odd), '');
});
