// Scenario 1: a hostport target's listener closes, then reopens.
//
// A refused connection is "not reached" (docs/targets.md): vigil marks the subject unavailable and leaves its health
// alone, and the check goes stale because no result arrives. What the user gets is therefore the built-in
// connectivity alert — VigilSubjectUnavailable after its `for` (1m), none before — plus VigilCheckStale about the same
// outage, each exactly once; on reopening, the first successful probe resolves both, each exactly once.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { assertQuiet, waitForNotifications } from './helpers/expect.js';
import { freePort } from './helpers/processes.js';
import { EXTERNAL_URL, withStack, type Sinks } from './helpers/stack.js';
import type { Notification } from './helpers/webhook-sink.js';

const UNAVAILABLE = { alertname: 'VigilSubjectUnavailable', subject: 'db-port' };
const STALE = { alertname: 'VigilCheckStale', subject: 'db-port' };
/** The generated rules' `for` of both built-in alerts. */
const FOR_MS = 60_000;

class Listener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number) {}
  async open(): Promise<void> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

const config = (port: number) => ({ hook }: Sinks) => `
defaults: { startup_grace: 0s }
targets:
  - { name: db-port, type: hostport, host: 127.0.0.1, port: ${port}, interval: 1s, timeout: 500ms }
alerting:
  evaluation_interval: 1s
  external_url: ${EXTERNAL_URL}
  group_wait: 1s
  group_interval: 1s
  default_receiver: builtin
  receivers:
    builtin: { webhook: { url: "${hook('/builtin')}" } }
`;

const statuses = (notifications: Notification[], alertname: string) =>
  notifications.flatMap((n) => n.payload.alerts.filter((a) => a.labels['alertname'] === alertname).map((a) => a.status));

test('e2e: a hostport listener closes and reopens: one alert after its for, one resolution after the first success', { timeout: 240_000 }, async () => {
  const listener = new Listener(await freePort());
  await listener.open();
  try {
    await withStack('hostport', config(listener.port), async (stack) => {
      await stack.waitForQuery('vigil_subject_connectivity{subject="db-port"}', (v) => v === 1);
      await stack.waitForQuery('vigil_check_status{subject="db-port",check="hostport",status="ok"}', (v) => v === 1);

      await listener.close();
      const closedAt = Date.now();
      await stack.waitForQuery('vigil_subject_connectivity{subject="db-port"}', (v) => v === 0);
      // Health is untouched by a refused connection: the check keeps its last status.
      assert.equal(await stack.query('vigil_subject_health{subject="db-port",state="unhealthy"}'), 0);

      // Nothing before the `for` has run out.
      await assertQuiet(stack, '/builtin', {}, FOR_MS - 5_000 - (Date.now() - closedAt), 'before the for of the built-in alerts');
      const [unavailable] = await waitForNotifications(stack, '/builtin', UNAVAILABLE, 1, 30_000);
      const after = unavailable!.receivedAt - closedAt;
      assert.ok(after >= FOR_MS && after < FOR_MS + 15_000, `VigilSubjectUnavailable ${after} ms after the close`);
      await waitForNotifications(stack, '/builtin', STALE, 1, 15_000);
      await assertQuiet(stack, '/builtin', {}, 3_000, 'one notification per alert');

      await listener.open();
      const reopenedAt = Date.now();
      const resolvedUnavailable = await waitForNotifications(stack, '/builtin', { ...UNAVAILABLE }, 2, 15_000);
      assert.equal(resolvedUnavailable[1]!.payload.status, 'resolved');
      assert.ok(resolvedUnavailable[1]!.receivedAt - reopenedAt < 10_000, 'resolved soon after the first successful probe');
      await waitForNotifications(stack, '/builtin', STALE, 2, 15_000);
      await assertQuiet(stack, '/builtin', {}, 4_000, 'nothing after the recovery');

      const all = stack.webhook.matching('/builtin');
      assert.deepEqual(statuses(all, UNAVAILABLE.alertname), ['firing', 'resolved'], stack.webhook.describe());
      assert.deepEqual(statuses(all, STALE.alertname), ['firing', 'resolved'], stack.webhook.describe());
      assert.equal(all.length, 4, stack.webhook.describe());
    });
  } finally {
    await listener.close().catch(() => {});
  }
});
