// Scenario 4: a switch goes unhealthy → the alerts of the hosts behind it are inhibited in Alertmanager (the host
// alert already firing stops repeating), and a host failing meanwhile does not alert at all (the engine does not
// count its checks). When the switch recovers, the host alert is no longer muted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertQuiet, waitForNotifications } from './helpers/expect.js';
import { PROCESS_POLL } from './helpers/processes.js';
import { until } from '../helpers/until.js';
import { EXTERNAL_URL, withStack, type Sinks } from './helpers/stack.js';

const HOST_ALERT = { alertname: 'VigilHostsCheckFailing', subject: 'host-17' };
const SWITCH_ALERT = { alertname: 'VigilSwitchesCheckFailing', subject: 'sw3' };

// Host alerts repeat every 2s while they fire, so muting shows as notifications that stop.
const config = ({ hook }: Sinks) => `
defaults: { startup_grace: 0s, dependency_lag: 1s }
subjects:
  - { id: sw3, kind: switch }
  - { id: host-17, kind: host, labels: { switch: sw3 }, depends_on: [sw3] }
  - { id: host-18, kind: host, labels: { switch: sw3 }, depends_on: [sw3] }
alerting:
  evaluation_interval: 1s
  external_url: ${EXTERNAL_URL}
  group_wait: 1s
  group_interval: 1s
  receivers:
    ops: { webhook: { url: "${hook('/ops')}" } }
  policies:
    - { name: switches, match: { kind: switch }, notify: failure, threshold: 2, receiver: ops }
    - { name: hosts, match: { kind: host }, notify: failure, threshold: 2, receiver: ops, repeat: 2s, group_by: [policy, subject] }
`;

test('e2e: a switch in trouble inhibits the alerts of its hosts', { timeout: 150_000 }, async () => {
  await withStack('inhibition', config, async (stack) => {
    await stack.push('sw3', 'link', 'ok');
    await stack.push('host-17', 'ssh', 'ok');
    await stack.push('host-18', 'ssh', 'ok');
    // Counting (default exposition): a result, and no vigil_check_not_counted series.
    await stack.waitForQuery(
      'vigil_check_consecutive_successes{subject="host-17"} unless on (subject, check) vigil_check_not_counted',
      (v) => v === 1,
    );

    // host-17 fails: its alert fires and repeats.
    await stack.push('host-17', 'ssh', 'crit');
    await stack.push('host-17', 'ssh', 'crit');
    const firing = await waitForNotifications(stack, '/ops', HOST_ALERT, 2, 20_000);
    assert.ok(firing.every((n) => n.payload.status === 'firing'));

    // sw3 fails: its alert fires and mutes host-17's (which keeps firing in Prometheus).
    await stack.push('sw3', 'link', 'crit');
    await stack.push('sw3', 'link', 'crit');
    const [switchFiring] = await waitForNotifications(stack, '/ops', SWITCH_ALERT, 1, 15_000);
    assert.equal(switchFiring!.payload.status, 'firing');
    const inhibited = await until(
      async () => {
        const alerts = await stack.alertmanagerAlerts();
        const host = alerts.find((a) => a.labels['alertname'] === HOST_ALERT.alertname && a.labels['subject'] === 'host-17');
        const source = alerts.find((a) => a.labels['alertname'] === SWITCH_ALERT.alertname && a.labels['subject'] === 'sw3');
        return host?.status.state === 'suppressed' && source ? { host, source } : undefined;
      },
      'Alertmanager to inhibit host-17',
      { ...PROCESS_POLL, timeoutMs: 10_000 },
    );
    assert.deepEqual(inhibited.host.status.inhibitedBy, [inhibited.source.fingerprint]);
    assert.equal(inhibited.host.labels['switch'], 'sw3', 'the dependency label is joined onto the host alert');
    assert.equal(await stack.query(`ALERTS{alertname="${HOST_ALERT.alertname}",subject="host-17",alertstate="firing"}`), 1);

    // host-18 fails while its switch is down: the engine does not count it, so nothing fires at all.
    await stack.push('host-18', 'ssh', 'crit');
    await stack.push('host-18', 'ssh', 'crit');
    await stack.waitForQuery('vigil_check_consecutive_failures{subject="host-18"}', (v) => v === 2);
    assert.equal(await stack.query('vigil_check_not_counted{subject="host-18",reason="dependency"}'), 1);
    // Three repeat intervals: host-17 would have repeated, host-18 would have fired.
    await assertQuiet(stack, '/ops', { alertname: HOST_ALERT.alertname }, 6_000, 'host alerts while their switch is down');
    assert.equal(await stack.query(`ALERTS{alertname="${HOST_ALERT.alertname}",subject="host-18"}`), undefined);

    // sw3 recovers: host-17's alert (still failing) is no longer muted and repeats again.
    const before = stack.webhook.matching('/ops', HOST_ALERT).length;
    await stack.push('sw3', 'link', 'ok');
    await waitForNotifications(stack, '/ops', HOST_ALERT, before + 1, 15_000);
    assert.equal(stack.webhook.matching('/ops', { alertname: HOST_ALERT.alertname, subject: 'host-18' }).length, 0);
  });
});
