// Scenario 2: a flap shorter than the threshold produces no notification at all, although Prometheus saw every
// result; the same policy then notifies once for a real failure (so the silence is not a broken pipeline).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertQuiet, waitForNotifications } from './helpers/expect.js';
import { EXTERNAL_URL, withStack, type Sinks } from './helpers/stack.js';

const config = ({ hook }: Sinks) => `
defaults: { startup_grace: 0s }
subjects:
  - { id: pend-01, kind: experiment, labels: { lab: pendulum } }
alerting:
  evaluation_interval: 1s
  external_url: ${EXTERNAL_URL}
  group_wait: 1s
  group_interval: 1s
  default_receiver: builtin
  receivers:
    builtin: { webhook: { url: "${hook('/builtin')}" } }
    lab: { webhook: { url: "${hook('/lab')}" } }
  policies:
    - { name: labs, match: { kind: experiment }, notify: change, threshold: 3, receiver: lab }
`;

test('e2e: a flap shorter than the threshold notifies nobody; a real failure notifies once', { timeout: 120_000 }, async () => {
  await withStack('flap', config, async (stack) => {
    const failures = 'vigil_check_consecutive_failures{subject="pend-01",check="camera"}';
    const successes = 'vigil_check_consecutive_successes{subject="pend-01",check="camera"}';
    await stack.push('pend-01', 'camera', 'ok');
    await stack.waitForQuery(successes, (v) => v === 1);
    // FFS FFS FFS: each result is scraped before the next one is pushed, so Prometheus sees two failures in a row, three times.
    for (let round = 0; round < 3; round++) {
      await stack.push('pend-01', 'camera', 'crit');
      await stack.waitForQuery(failures, (v) => v === 1);
      await stack.push('pend-01', 'camera', 'crit');
      await stack.waitForQuery(failures, (v) => v === 2);
      await stack.push('pend-01', 'camera', 'ok');
      await stack.waitForQuery(successes, (v) => v === 1);
    }
    assert.equal(await stack.query(`max_over_time(${failures}[5m])`), 2, 'Prometheus saw the flap at its peak');
    // Several evaluations, group waits and intervals: anything the flap could have caused would have arrived.
    await assertQuiet(stack, '/lab', {}, 5_000, 'flap shorter than the threshold');
    assert.equal(stack.webhook.notifications.length, 0, `no notification at all:\n${stack.webhook.describe()}`);

    const thirdFailureAt = Date.now();
    for (let i = 0; i < 3; i++) await stack.push('pend-01', 'camera', 'crit');
    const [firing] = await waitForNotifications(stack, '/lab', { alertname: 'VigilLabsCheckFailing', subject: 'pend-01' }, 1, 15_000);
    assert.equal(firing!.payload.status, 'firing');
    assert.ok(firing!.receivedAt - thirdFailureAt < 10_000, `notified ${firing!.receivedAt - thirdFailureAt} ms after the third failure`);
    await assertQuiet(stack, '/lab', {}, 4_000, 'one notification per change');
  });
});
