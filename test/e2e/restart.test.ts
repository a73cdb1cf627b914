// Scenario 5: vigil is killed (SIGKILL) and restarted. Everything it acknowledged before the kill is there after it;
// the alert firing before the kill neither resolves nor fires again (no duplicate notification, the generated rules
// hold vigil's last values through the gap); VigilExporterDown fires while vigil is down and resolves when it is back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertQuiet, waitForNotifications } from './helpers/expect.js';
import { EXTERNAL_URL, withStack, type Sinks, type Stack } from './helpers/stack.js';
import type { Notification } from './helpers/webhook-sink.js';

const LAB_ALERT = { alertname: 'VigilLabsCheckFailing', subject: 'pend-01' };
const EXPORTER_DOWN = { alertname: 'VigilExporterDown' };
/** The generated rule's `for`. */
const EXPORTER_DOWN_FOR_MS = 60_000;

const config = ({ hook }: Sinks) => `
defaults: { startup_grace: 0s }
subjects:
  - { id: pend-01, kind: experiment }
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
    # the camera only: pend-01's health stays the built-in VigilSubjectUnhealthy's (a policy for every check takes it over)
    - { name: labs, match: { kind: experiment, check: camera }, notify: change, threshold: 2, receiver: lab }
`;

interface HealthView {
  health: string;
  checks: Record<string, { status: string; message?: string; consecutive_failures?: number; consecutive_successes?: number }>;
}

async function healthOf(stack: Stack, subject: string): Promise<HealthView> {
  const response = await fetch(`${stack.vigilBase}/api/v1/subjects/${subject}/health`);
  assert.equal(response.status, 200, `${subject}: ${response.status}`);
  const view = (await response.json()) as HealthView;
  return { health: view.health, checks: view.checks };
}

/** (alertname, subject, status) of every alert in these notifications, in arrival order. */
const transitions = (notifications: Notification[], alertname: string) =>
  notifications.flatMap((n) =>
    n.payload.alerts.filter((a) => a.labels['alertname'] === alertname).map((a) => `${a.labels['subject'] ?? ''}:${a.status}`),
  );

test('e2e: vigil killed and restarted loses nothing acknowledged, duplicates nothing, and VigilExporterDown fires meanwhile', {
  timeout: 240_000,
}, async () => {
  await withStack('restart', config, async (stack) => {
    await stack.push('pend-01', 'camera', 'crit', { message: 'no frames' });
    await stack.push('pend-01', 'camera', 'crit', { message: 'no frames, again' });
    const [firing] = await waitForNotifications(stack, '/lab', LAB_ALERT, 1, 15_000);
    assert.equal(firing!.payload.status, 'firing');

    // Acknowledged writes right before the kill: a new pushed subject and another check.
    await stack.push('pend-01', 'stream', 'ok', { message: 'streaming' });
    await stack.push('host-9', 'disk', 'crit', { message: 'disk full' });
    const before = { pend: await healthOf(stack, 'pend-01'), host: await healthOf(stack, 'host-9') };
    await stack.killVigil();
    const killedAt = Date.now();

    const [down] = await waitForNotifications(stack, '/builtin', EXPORTER_DOWN, 1, EXPORTER_DOWN_FOR_MS + 30_000);
    assert.equal(down!.payload.status, 'firing');
    const downAfter = down!.receivedAt - killedAt;
    assert.ok(downAfter >= EXPORTER_DOWN_FOR_MS && downAfter < EXPORTER_DOWN_FOR_MS + 15_000, `VigilExporterDown ${downAfter} ms after the kill`);
    assert.equal(stack.webhook.matching('/lab').length, 1, `nothing about the lab while vigil is down:\n${stack.webhook.describe()}`);

    await stack.startVigil();
    assert.deepEqual(await healthOf(stack, 'pend-01'), before.pend, 'pend-01 as acknowledged before the kill');
    assert.deepEqual(await healthOf(stack, 'host-9'), before.host, 'host-9 (created by a push) as acknowledged before the kill');
    const [, back] = await waitForNotifications(stack, '/builtin', EXPORTER_DOWN, 2, 20_000);
    assert.equal(back!.payload.status, 'resolved');
    await stack.waitForQuery('vigil_check_consecutive_failures{subject="pend-01",check="camera"}', (v) => v === 2);

    // Several evaluations on fresh data after the restart: the lab alert neither resolved nor fired again.
    await assertQuiet(stack, '/lab', {}, 5_000, 'after the restart');
    assert.deepEqual(transitions(stack.webhook.matching('/lab'), LAB_ALERT.alertname), ['pend-01:firing']);
    assert.deepEqual(transitions(stack.webhook.matching('/builtin'), EXPORTER_DOWN.alertname), [':firing', ':resolved']);
    // Built-in subject alerts that fired during the gap did not resolve across it either.
    // (pend-01 has been unhealthy since before the kill, so its `for: 1m` ran out while vigil was down.)
    const unhealthy = transitions(stack.webhook.matching('/builtin'), 'VigilSubjectUnhealthy');
    assert.ok(unhealthy.includes('pend-01:firing') && !unhealthy.some((t) => t.endsWith(':resolved')), stack.webhook.describe());

    // The alert survived the restart as one alert: recovering now sends exactly one resolved notification.
    await stack.push('pend-01', 'camera', 'ok');
    await stack.push('pend-01', 'camera', 'ok');
    const [, resolved] = await waitForNotifications(stack, '/lab', LAB_ALERT, 2, 15_000);
    assert.equal(resolved!.payload.status, 'resolved');
    await assertQuiet(stack, '/lab', {}, 3_000, 'one notification per change');
  });
});
