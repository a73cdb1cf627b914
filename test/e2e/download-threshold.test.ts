// Scenario 1, for a probe whose failures are results: a download target whose server starts answering 500.
// `notify: change, threshold: 3, recovery: 2` → exactly one FAILING notification, not before the third failed run;
// after the server answers 200 again, exactly one RECOVERED notification, not before the second successful run.
// (hostport.test.ts is the same scenario for a listener that closes: a refused connection is a failed result too.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startStatusServer } from './helpers/status-server.js';
import { assertQuiet, waitForNotifications, whenCheckCounterReaches, type CheckCounters } from './helpers/expect.js';
import { EXTERNAL_URL, withStack, type Sinks, type Stack } from './helpers/stack.js';

const ALERT = { alertname: 'VigilProbesCheckFailing', subject: 'web' };

const config =
  (port: number) =>
  ({ hook }: Sinks) =>
    `
defaults: { startup_grace: 0s }
targets:
  - { name: web, type: download, url: "http://127.0.0.1:${port}/", interval: 1s, timeout: 900ms }
alerting:
  evaluation_interval: 1s
  external_url: ${EXTERNAL_URL}
  group_wait: 1s
  group_interval: 1s
  receivers:
    probes: { webhook: { url: "${hook('/probes')}" } }
  policies:
    - { name: probes, match: { kind: target }, notify: change, threshold: 3, recovery: 2, receiver: probes }
`;

const whenCounterReaches = (stack: Stack, counter: keyof CheckCounters, count: number) =>
  whenCheckCounterReaches(stack, { subject: 'web', check: 'download', path: '/probes' }, counter, count);

test('e2e: a download target failing notifies once after the threshold and once after the recovery count', { timeout: 120_000 }, async () => {
  const target = await startStatusServer();
  try {
    await withStack('download', config(target.port), async (stack) => {
      await stack.waitForQuery('vigil_check_consecutive_successes{subject="web",check="download"}', (v) => (v ?? 0) >= 1);

      target.status = 500;
      const secondFailure = await whenCounterReaches(stack, 'consecutive_failures', 2);
      assert.equal(secondFailure.notificationsSoFar, 0, 'nothing after two failed runs');
      const thirdFailure = await whenCounterReaches(stack, 'consecutive_failures', 3);
      assert.equal(thirdFailure.notificationsSoFar, 0, 'nothing before the third failed run');
      const [firing] = await waitForNotifications(stack, '/probes', ALERT, 1, 15_000);
      assert.equal(firing!.payload.status, 'firing');
      assert.ok(firing!.receivedAt - thirdFailure.at < 10_000, `${firing!.receivedAt - thirdFailure.at} ms after the third failure`);
      await assertQuiet(stack, '/probes', {}, 4_000, 'one notification while it keeps failing');

      target.status = 200;
      const firstSuccess = await whenCounterReaches(stack, 'consecutive_successes', 1);
      assert.equal(firstSuccess.notificationsSoFar, 1, 'nothing after one successful run');
      const secondSuccess = await whenCounterReaches(stack, 'consecutive_successes', 2);
      assert.equal(secondSuccess.notificationsSoFar, 1, 'nothing before the second successful run');
      const [, resolved] = await waitForNotifications(stack, '/probes', ALERT, 2, 15_000);
      assert.equal(resolved!.payload.status, 'resolved');
      assert.ok(resolved!.receivedAt - secondSuccess.at < 10_000);
      await assertQuiet(stack, '/probes', {}, 4_000, 'one notification per change');
      assert.equal(stack.webhook.notifications.length, 2, stack.webhook.describe());
    });
  } finally {
    await target.close();
  }
});
