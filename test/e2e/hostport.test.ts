// Scenario 1: a hostport target's listener closes → exactly one firing notification after the threshold,
// none before; it reopens → one resolved notification after the recovery count.
//
// A refused connection is a failed result (docs/targets.md: the host answered with a reset, so the path works and the
// service is down). A Clowder-style policy on the hostport check, `notify: change` (the mode that sends resolved
// notifications), `threshold: 3, recovery: 2`, therefore gives exactly one FAILING notification, not before the third
// failed run, and after reopening exactly one RECOVERED notification, not before the second successful run. The
// subject stays available throughout, so no built-in connectivity or staleness alert is raised about it.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { assertQuiet, waitForNotifications, whenCheckCounterReaches, type CheckCounters } from './helpers/expect.js';
import { freePort } from './helpers/processes.js';
import { EXTERNAL_URL, withStack, type Sinks, type Stack } from './helpers/stack.js';
import type { Notification } from './helpers/webhook-sink.js';

const SUBJECT = 'db-port';
const ALERT = { alertname: 'VigilDbPortCheckFailing', subject: SUBJECT, check: 'hostport' };

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

const config =
  (port: number) =>
  ({ hook }: Sinks) =>
    `
defaults: { startup_grace: 0s }
targets:
  - { name: ${SUBJECT}, type: hostport, host: 127.0.0.1, port: ${port}, interval: 1s, timeout: 500ms }
alerting:
  evaluation_interval: 1s
  external_url: ${EXTERNAL_URL}
  group_wait: 1s
  group_interval: 1s
  default_receiver: builtin
  receivers:
    builtin: { webhook: { url: "${hook('/builtin')}" } }
    db: { webhook: { url: "${hook('/db')}" } }
  policies:
    - { name: db-port, match: { kind: target, check: [hostport] }, notify: change, threshold: 3, recovery: 2, receiver: db }
`;

const whenCounterReaches = (stack: Stack, counter: keyof CheckCounters, count: number) =>
  whenCheckCounterReaches(stack, { subject: SUBJECT, check: 'hostport', path: '/db' }, counter, count);

/** Every alert of every notification to `path`, as `alertname:status`, in arrival order. */
const alertsAt = (notifications: Notification[]) => notifications.flatMap((n) => n.payload.alerts.map((a) => `${a.labels['alertname']}:${a.status}`));

test('e2e: a hostport listener closes and reopens: one notification after the threshold, one after the recovery count', {
  timeout: 120_000,
}, async () => {
  const listener = new Listener(await freePort());
  await listener.open();
  try {
    await withStack('hostport', config(listener.port), async (stack) => {
      await stack.waitForQuery(`vigil_check_consecutive_successes{subject="${SUBJECT}",check="hostport"}`, (v) => (v ?? 0) >= 1);

      await listener.close();
      const secondFailure = await whenCounterReaches(stack, 'consecutive_failures', 2);
      assert.equal(secondFailure.notificationsSoFar, 0, 'nothing after two failed runs');
      const thirdFailure = await whenCounterReaches(stack, 'consecutive_failures', 3);
      assert.equal(thirdFailure.notificationsSoFar, 0, 'nothing before the third failed run');
      const [firing] = await waitForNotifications(stack, '/db', ALERT, 1, 15_000);
      assert.equal(firing!.payload.status, 'firing');
      assert.ok(firing!.receivedAt - thirdFailure.at < 10_000, `${firing!.receivedAt - thirdFailure.at} ms after the third failure`);
      // The refused connection is the check failing, not the subject going away.
      assert.ok((await stack.query(`vigil_check_consecutive_failures{subject="${SUBJECT}",check="hostport"}`))! >= 3, 'the check itself fails');
      assert.equal(await stack.query(`vigil_subject_connectivity{subject="${SUBJECT}"}`), 1);
      await assertQuiet(stack, '/db', {}, 4_000, 'one notification while it keeps failing');

      await listener.open();
      const firstSuccess = await whenCounterReaches(stack, 'consecutive_successes', 1);
      assert.equal(firstSuccess.notificationsSoFar, 1, 'nothing after one successful run');
      const secondSuccess = await whenCounterReaches(stack, 'consecutive_successes', 2);
      assert.equal(secondSuccess.notificationsSoFar, 1, 'nothing before the second successful run');
      const [, resolved] = await waitForNotifications(stack, '/db', ALERT, 2, 15_000);
      assert.equal(resolved!.payload.status, 'resolved');
      assert.ok(resolved!.receivedAt - secondSuccess.at < 10_000, `${resolved!.receivedAt - secondSuccess.at} ms after the second success`);
      await assertQuiet(stack, '/db', {}, 4_000, 'nothing after the recovery');

      assert.deepEqual(
        alertsAt(stack.webhook.matching('/db')),
        [`${ALERT.alertname}:firing`, `${ALERT.alertname}:resolved`],
        stack.webhook.describe(),
      );
      assert.deepEqual(
        stack.webhook.matching('/builtin', { subject: SUBJECT }),
        [],
        `no built-in alert about ${SUBJECT}:\n${stack.webhook.describe()}`,
      );
    });
  } finally {
    await listener.close().catch(() => {});
  }
});
