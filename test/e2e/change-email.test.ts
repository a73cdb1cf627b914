// Scenario 3: a `change` policy on an experiment-like subject whose checks are pushed through the API: one
// notification per change, both ways (firing, and resolved after the recovery count), none in between; the e-mail
// of each lists every current problem and the status link, and links each problem to its subject's page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertsNamed, assertQuiet, waitForNotifications } from './helpers/expect.js';
import { PROCESS_POLL } from './helpers/processes.js';
import { until } from '../helpers/until.js';
import { EXTERNAL_URL, withStack, type Sinks, type Stack } from './helpers/stack.js';

const ALERT = 'VigilLabsCheckFailing';

const config = ({ hook, smarthost }: Sinks) => `
defaults: { startup_grace: 0s }
subjects:
  - { id: pend-01, kind: experiment, labels: { lab: pendulum } }
alerting:
  evaluation_interval: 1s
  external_url: ${EXTERNAL_URL}
  group_wait: 1s
  group_interval: 1s
  receivers:
    oncall:
      email: { to: [ops@example.org], from: vigil@example.org, smarthost: "${smarthost}", require_tls: false }
      webhook: { url: "${hook('/oncall')}" }
  policies:
    - { name: labs, match: { kind: experiment }, notify: change, threshold: 2, receiver: oncall }
`;

async function nextMail(stack: Stack, count: number) {
  return until(() => (stack.smtp.messages.length >= count ? stack.smtp.messages[count - 1] : undefined), `e-mail #${count}`, {
    ...PROCESS_POLL,
    timeoutMs: 15_000,
  });
}

test('e2e: change policy notifies once per change both ways; the e-mail lists every current problem with the link', {
  timeout: 150_000,
}, async () => {
  await withStack('change', config, async (stack) => {
    const failures = (check: string) => `vigil_check_consecutive_failures{subject="pend-01",check="${check}"}`;
    const successes = (check: string) => `vigil_check_consecutive_successes{subject="pend-01",check="${check}"}`;
    for (const check of ['camera', 'stream']) await stack.push('pend-01', check, 'ok');
    await stack.waitForQuery(successes('stream'), (v) => v === 1);

    // camera fails once: below the threshold, nothing.
    await stack.push('pend-01', 'camera', 'crit', { message: 'no frames for 30s' });
    await stack.waitForQuery(failures('camera'), (v) => v === 1);
    await assertQuiet(stack, '/oncall', {}, 3_000, 'one failure is below the threshold of 2');

    // camera fails again: one FAILING notification.
    let changedAt = Date.now();
    await stack.push('pend-01', 'camera', 'crit', { message: 'no frames for 40s' });
    const [first] = await waitForNotifications(stack, '/oncall', {}, 1, 15_000);
    assert.ok(first!.receivedAt - changedAt < 10_000, `${first!.receivedAt - changedAt} ms after the change`);
    assert.equal(first!.payload.status, 'firing');
    assert.deepEqual(
      alertsNamed(first!, ALERT).map((a) => [a.labels['check'], a.status]),
      [['camera', 'firing']],
    );
    let mail = await nextMail(stack, 1);
    assert.deepEqual(mail.to, ['ops@example.org']);
    assert.equal(mail.headers['subject'], '[vigil] 1 problem (labs)');
    assert.match(mail.text, /Current problems \(1\):\n {2}- experiment pend-01: check camera failed 2 consecutive times/);
    assert.ok(mail.text.includes(`Status: ${EXTERNAL_URL}`), mail.text);
    assert.ok(mail.html.includes(`href="${EXTERNAL_URL}"`), mail.html);
    // external_url is vigil (subject_links defaults to true): each problem links to its subject's page.
    assert.ok(mail.text.includes(`subject: ${EXTERNAL_URL}/subjects/pend-01`), mail.text);
    assert.ok(mail.html.includes(`href="${EXTERNAL_URL}/subjects/pend-01"`), mail.html);
    await assertQuiet(stack, '/oncall', {}, 3_000, 'one notification per change');

    // stream fails twice too: one notification, whose e-mail lists both current problems.
    await stack.push('pend-01', 'stream', 'crit');
    await stack.waitForQuery(failures('stream'), (v) => v === 1);
    changedAt = Date.now();
    await stack.push('pend-01', 'stream', 'crit');
    const [, second] = await waitForNotifications(stack, '/oncall', {}, 2, 15_000);
    assert.ok(second!.receivedAt - changedAt < 10_000);
    assert.deepEqual(
      alertsNamed(second!, ALERT)
        .map((a) => [a.labels['check'], a.status])
        .sort(),
      [
        ['camera', 'firing'],
        ['stream', 'firing'],
      ],
    );
    mail = await nextMail(stack, 2);
    assert.equal(mail.headers['subject'], '[vigil] 2 problems (labs)');
    assert.match(mail.text, /Current problems \(2\):/);
    assert.match(mail.text, /pend-01: check camera failed/);
    assert.match(mail.text, /pend-01: check stream failed/);
    assert.ok(mail.text.includes(`Status: ${EXTERNAL_URL}`), mail.text);
    await assertQuiet(stack, '/oncall', {}, 3_000, 'one notification per change');

    // camera succeeds once: below the recovery count (= threshold for change), nothing.
    await stack.push('pend-01', 'camera', 'ok');
    await stack.waitForQuery(successes('camera'), (v) => v === 1);
    await assertQuiet(stack, '/oncall', {}, 3_000, 'one success is below the recovery count of 2');

    // camera succeeds again: one RECOVERED notification; stream is still a current problem.
    changedAt = Date.now();
    await stack.push('pend-01', 'camera', 'ok');
    const [, , third] = await waitForNotifications(stack, '/oncall', {}, 3, 15_000);
    assert.ok(third!.receivedAt - changedAt < 10_000);
    assert.deepEqual(
      alertsNamed(third!, ALERT)
        .map((a) => [a.labels['check'], a.status])
        .sort(),
      [
        ['camera', 'resolved'],
        ['stream', 'firing'],
      ],
    );
    mail = await nextMail(stack, 3);
    assert.equal(mail.headers['subject'], '[vigil] 1 problem, 1 recovered (labs)');
    assert.match(mail.text, /Recovered:\n {2}- pend-01 \/ camera:/);
    assert.match(mail.text, /Current problems \(1\):\n {2}- experiment pend-01: check stream failed/);
    await assertQuiet(stack, '/oncall', {}, 3_000, 'one notification per change');

    // stream recovers: the last notification says all clear.
    await stack.push('pend-01', 'stream', 'ok');
    await stack.waitForQuery(successes('stream'), (v) => v === 1);
    changedAt = Date.now();
    await stack.push('pend-01', 'stream', 'ok');
    const [, , , fourth] = await waitForNotifications(stack, '/oncall', {}, 4, 15_000);
    assert.ok(fourth!.receivedAt - changedAt < 10_000);
    assert.equal(fourth!.payload.status, 'resolved');
    mail = await nextMail(stack, 4);
    assert.match(mail.headers['subject'] ?? '', /^\[vigil\] all clear, (1|2) recovered \(labs\)$/);
    assert.match(mail.text, /No current problems\./);
    assert.ok(mail.text.includes(`Status: ${EXTERNAL_URL}`));

    await assertQuiet(stack, '/oncall', {}, 4_000, 'nothing after the last change');
    assert.equal(stack.webhook.notifications.length, 4, stack.webhook.describe());
    assert.equal(stack.smtp.messages.length, 4);
  });
});
