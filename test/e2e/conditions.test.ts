// Policies on conditions other than crit (`on:`), on the real stack:
//  1. a download whose server accepts connections but never answers (every run times out: not reached) under
//     `on: [crit, unreachable]`, threshold 3 → one notification, not before the third unreached run; it answers
//     again → one resolved; nothing about it reaches default_receiver (the policy covers unavailability);
//  2. a pushed heartbeat that stops under `on: [stale]` → one notification to the policy's receiver, none to
//     default_receiver; a new push → resolved;
//  3. a switch and three hosts behind it, all probed through it, when it goes down → exactly one notification
//     (the switch's, saying it has 3 dependants): the hosts' unreached runs behind a down dependency do not count.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import { assertQuiet, waitForNotifications } from './helpers/expect.js';
import { PROCESS_POLL } from './helpers/processes.js';
import { until } from '../helpers/until.js';
import { FAST_ALERTING, withStack, type Sinks, type Stack } from './helpers/stack.js';

/** An HTTP server that answers 200, or accepts requests and never answers while `hanging`. */
async function startServer(): Promise<{ server: Server; port: number; setHanging: (hanging: boolean) => void }> {
  let hanging = false;
  const server = createServer((_request: IncomingMessage, response: ServerResponse) => {
    if (!hanging) response.writeHead(200).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, setHanging: (value) => (hanging = value) };
}

async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A check's run record as vigil exposes it on /metrics (vigil_check_runs_total, vigil_check_last_run). */
async function runsOf(stack: Stack, subject: string, check: string): Promise<{ total: number; last: Record<string, number> }> {
  const text = await (await fetch(`${stack.vigilBase}/metrics`)).text();
  const labels = `subject="${subject}",check="${check}"`;
  const total = Number(new RegExp(`^vigil_check_runs_total\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const last: Record<string, number> = {};
  for (const match of text.matchAll(new RegExp(`^vigil_check_last_run\\{${labels},outcome="(\\w+)"\\} (\\d+)$`, 'gm')))
    last[match[1]!] = Number(match[2]);
  return { total, last };
}

/** Consecutive unreached runs up to the latest, from the run record. */
const unreachedStreak = (runs: { total: number; last: Record<string, number> }): number =>
  runs.total -
  Math.max(
    0,
    ...Object.entries(runs.last)
      .filter(([outcome]) => outcome !== 'unreachable')
      .map(([, n]) => n),
  );

const DOWNLOAD_ALERT = { alertname: 'VigilReachCheckFailing', subject: 'web' };

test('e2e: a download that never answers notifies once after three unreached runs, and once when it answers', { timeout: 120_000 }, async () => {
  const { server, port, setHanging } = await startServer();
  const config = ({ hook }: Sinks) => `
defaults: { startup_grace: 0s }
# on: [unreachable] counts run records, which are opt-in (docs/metrics.md, choosing families)
metrics: { include: [vigil_check_runs_total, vigil_check_last_run] }
targets:
  - { name: web, type: download, url: "http://127.0.0.1:${port}/", interval: 1s, timeout: 500ms }
alerting:
${FAST_ALERTING}
  default_receiver: builtin
  receivers:
    reach: { webhook: { url: "${hook('/reach')}" } }
    builtin: { webhook: { url: "${hook('/builtin')}" } }
  policies:
    - { name: reach, match: { kind: target }, on: [crit, unreachable], notify: change, threshold: 3, recovery: 1, receiver: reach }
`;
  try {
    await withStack('download-timeout', config, async (stack) => {
      await stack.waitForQuery('vigil_check_last_run{subject="web",check="download",outcome="ok"}', (v) => (v ?? 0) >= 1);

      setHanging(true);
      const second = await until(
        async () =>
          unreachedStreak(await runsOf(stack, 'web', 'download')) >= 2 ? { notifications: stack.webhook.matching('/reach').length } : undefined,
        'two unreached runs',
        { ...PROCESS_POLL, timeoutMs: 15_000, intervalMs: 50 },
      );
      assert.equal(second.notifications, 0, 'nothing after two unreached runs');
      const [firing] = await waitForNotifications(stack, '/reach', DOWNLOAD_ALERT, 1, 20_000);
      assert.equal(firing!.payload.status, 'firing');
      assert.ok(unreachedStreak(await runsOf(stack, 'web', 'download')) >= 3, 'fired after the third unreached run');
      assert.equal(await stack.query('vigil_subject_connectivity{subject="web"}'), 0, 'a timeout is connectivity, not health');
      await assertQuiet(stack, '/reach', {}, 4_000, 'one notification while it keeps timing out');

      setHanging(false);
      const [, resolved] = await waitForNotifications(stack, '/reach', DOWNLOAD_ALERT, 2, 20_000);
      assert.equal(resolved!.payload.status, 'resolved');
      await assertQuiet(stack, '/reach', {}, 3_000, 'one notification per change');
      assert.equal(stack.webhook.matching('/reach').length, 2, stack.webhook.describe());
      assert.equal(stack.webhook.matching('/builtin', { subject: 'web' }).length, 0, `the policy covers it:\n${stack.webhook.describe()}`);
    });
  } finally {
    await stopServer(server);
  }
});

test('e2e: a pushed heartbeat that stops notifies the policy receiver once, and resolves on the next push', { timeout: 120_000 }, async () => {
  const config = ({ hook }: Sinks) => `
defaults: { startup_grace: 0s }
# on: [stale] counts evaluations since the result expired: the expiry time is opt-in (docs/metrics.md)
metrics: { include: [vigil_check_expiry_timestamp_seconds] }
alerting:
${FAST_ALERTING}
  default_receiver: builtin
  receivers:
    beats: { webhook: { url: "${hook('/beats')}" } }
    builtin: { webhook: { url: "${hook('/builtin')}" } }
  policies:
    - { name: heartbeats, match: { kind: push }, on: [stale], notify: change, threshold: 2, receiver: beats }
`;
  await withStack('heartbeat', config, async (stack) => {
    // period 1s, freshness 2 (the default): stale 2s after the last beat.
    for (let i = 0; i < 3; i++) {
      await stack.push('backup', 'nightly', 'ok', { period: '1s' });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Counting (default exposition): a result, and no vigil_check_not_counted series.
    await stack.waitForQuery(
      'count(vigil_check_consecutive_successes{subject="backup",check="nightly"} unless on (subject, check) vigil_check_not_counted)',
      (v) => v === 1,
    );
    assert.equal(stack.webhook.matching('/beats').length, 0, 'nothing while it beats');

    const stoppedAt = Date.now();
    const [firing] = await waitForNotifications(stack, '/beats', { alertname: 'VigilHeartbeatsCheckFailing', subject: 'backup' }, 1, 20_000);
    assert.equal(firing!.payload.status, 'firing');
    assert.ok(firing!.receivedAt - stoppedAt >= 2_000, 'not before the result expired');
    await assertQuiet(stack, '/beats', {}, 3_000, 'one notification while it stays silent');
    assert.equal(
      stack.webhook.matching('/builtin', { alertname: 'VigilCheckStale' }).length,
      0,
      `no built-in duplicate:\n${stack.webhook.describe()}`,
    );

    await stack.push('backup', 'nightly', 'ok', { period: '1m' });
    const [, resolved] = await waitForNotifications(stack, '/beats', { alertname: 'VigilHeartbeatsCheckFailing' }, 2, 20_000);
    assert.equal(resolved!.payload.status, 'resolved');
    assert.equal(stack.webhook.matching('/beats').length, 2, stack.webhook.describe());
  });
});

test('e2e: three hosts behind a switch that goes down: exactly one notification, the switch’s', { timeout: 120_000 }, async () => {
  const { server, port, setHanging } = await startServer();
  const url = (path: string) => `"http://127.0.0.1:${port}/${path}"`;
  const config = ({ hook }: Sinks) => `
defaults: { startup_grace: 0s }
# on: [unreachable] counts run records, which are opt-in (docs/metrics.md, choosing families)
metrics: { include: [vigil_check_runs_total, vigil_check_last_run] }
subjects:
  - { id: sw, kind: switch }
  - { id: h1, kind: host, labels: { switch: sw }, depends_on: [sw] }
  - { id: h2, kind: host, labels: { switch: sw }, depends_on: [sw] }
  - { id: h3, kind: host, labels: { switch: sw }, depends_on: [sw] }
targets:
  - { name: sw, type: download, url: ${url('sw')}, interval: 1s, timeout: 500ms }
  - { name: h1, type: download, url: ${url('h1')}, interval: 1s, timeout: 500ms }
  - { name: h2, type: download, url: ${url('h2')}, interval: 1s, timeout: 500ms }
  - { name: h3, type: download, url: ${url('h3')}, interval: 1s, timeout: 500ms }
alerting:
${FAST_ALERTING}
  default_receiver: builtin
  receivers:
    net: { webhook: { url: "${hook('/net')}" } }
    builtin: { webhook: { url: "${hook('/builtin')}" } }
  policies:
    - { name: net, match: { kind: [switch, host] }, on: [crit, unreachable], notify: failure, threshold: 3,
        receiver: net, group_by: [policy, subject] }
`;
  try {
    await withStack('switch-down', config, async (stack) => {
      for (const subject of ['sw', 'h1', 'h2', 'h3']) {
        await stack.waitForQuery(`vigil_check_last_run{subject="${subject}",check="download",outcome="ok"}`, (v) => (v ?? 0) >= 1);
      }
      setHanging(true); // everything behind the switch stops answering, the switch too
      const [firing] = await waitForNotifications(stack, '/net', { alertname: 'VigilNetCheckFailing', subject: 'sw' }, 1, 20_000);
      const [alert] = firing!.payload.alerts;
      assert.equal(alert!.annotations['dependants'], '3', 'the one message says how far the outage reaches');
      // the hosts keep timing out: well past their own threshold, still nothing about them
      await until(async () => ((await runsOf(stack, 'h3', 'download')).last['unknown'] ?? 0) >= 4, 'h3 runs behind the down switch', {
        ...PROCESS_POLL,
        timeoutMs: 15_000,
      });
      await assertQuiet(stack, '/net', {}, 4_000, 'host alerts while their switch is down');
      assert.equal(stack.webhook.notifications.filter((n) => n.path === '/net').length, 1, stack.webhook.describe());
      assert.equal(stack.webhook.matching('/builtin', { alertname: 'VigilSubjectUnavailable' }).length, 0, stack.webhook.describe());
      assert.equal(await stack.query('vigil_subject_dependency_down{subject="h1"}'), 1);
    });
  } finally {
    await stopServer(server);
  }
});
