// The demo on the real stack: `vigil serve --demo` (a short story), `vigil generate-rules --demo` for its rules,
// Debian's prometheus and prometheus-alertmanager. Over the first cycle every scripted outage is exactly one firing
// notification, the built-in alerts (stale heartbeat, unavailable machine) one resolved notification each, the
// notify: failure policies none, and the hosts behind the switch none at all.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEMO_SUBJECTS } from '../../src/demo/config.js';
import { cycleMs, episodes, parseTiming } from '../../src/demo/story.js';
import { PROCESS_POLL, sleep } from './helpers/processes.js';
import { until } from '../helpers/until.js';
import { withStack, type Stack } from './helpers/stack.js';

// One-second ticks (Prometheus scrapes and evaluates every second here); the heartbeat and the disconnect outlast
// the built-in alerts' 1m `for`; failures stay under it. A cycle is about two minutes.
const TIMING_SPEC = 'tick=1s,fail=15s,silence=75s,gap=12s';
const timing = parseTiming(TIMING_SPEC);

interface Expected {
  outage: string;
  alertname: string;
  subject: string;
  resolved: number;
}
const EXPECTED: Expected[] = [
  { outage: 'web fails', alertname: 'VigilDemoWebCheckFailing', subject: DEMO_SUBJECTS.web, resolved: 0 },
  { outage: 'switch down', alertname: 'VigilDemoNetworkCheckFailing', subject: DEMO_SUBJECTS.switch, resolved: 0 },
  { outage: 'heartbeat stops', alertname: 'VigilCheckStale', subject: DEMO_SUBJECTS.heartbeat, resolved: 1 },
  { outage: 'machine disconnects', alertname: 'VigilSubjectUnavailable', subject: DEMO_SUBJECTS.roamingMachine, resolved: 1 },
  { outage: 'video goes quiet', alertname: 'VigilDemoLabsCheckFailing', subject: DEMO_SUBJECTS.experiment, resolved: 0 },
];

/** When the story began, from the demo's own log line. */
function storyStart(stack: Stack): number {
  const line = readFileSync(join(stack.dir, 'logs', 'vigil.log'), 'utf8')
    .split('\n')
    .find((l) => l.includes('demo story started'));
  assert.ok(line, 'the demo logs the start of its story');
  return (JSON.parse(line) as { time: number }).time;
}

/** Notifications (webhook POSTs) of `status` that carry a `status` alert named `alertname` for `subject`. */
function count(stack: Stack, { alertname, subject }: Expected, status: 'firing' | 'resolved'): number {
  return stack.webhook
    .matching('/demo', { alertname, subject })
    .filter((n) => n.payload.alerts.some((a) => a.labels['alertname'] === alertname && a.labels['subject'] === subject && a.status === status))
    .length;
}

test('e2e: the demo story makes one notification per outage, none for the suppressed hosts', { timeout: 300_000 }, async () => {
  await withStack('demo', { demoTiming: TIMING_SPEC }, async (stack) => {
    const start = storyStart(stack);
    const cycleEnd = start + cycleMs(timing);
    // The next cycle's first alert (the web target's third failed probe) cannot come before this.
    const nextCycleFirstAlert = cycleEnd + episodes(timing)[0]!.start + timing.failMs / 2 + 3 * timing.tickMs;

    const complete = () => EXPECTED.every((e) => count(stack, e, 'firing') >= 1 && count(stack, e, 'resolved') >= e.resolved);
    await until(complete, () => `one notification per outage within the first cycle; got:\n${stack.webhook.describe()}`, {
      ...PROCESS_POLL,
      timeoutMs: Math.max(1_000, cycleEnd + 10_000 - Date.now()),
      intervalMs: 250,
    });
    // Let anything that would be a second notification arrive, then count: still within the first cycle's alerts.
    await sleep(Math.max(0, Math.min(5_000, nextCycleFirstAlert - Date.now() - 2_000)));
    assert.ok(Date.now() < nextCycleFirstAlert, 'counted before the second cycle could alert');

    const summary = EXPECTED.map((e) => `${e.outage}: ${count(stack, e, 'firing')} firing, ${count(stack, e, 'resolved')} resolved`).join('\n');
    for (const expected of EXPECTED) {
      assert.equal(count(stack, expected, 'firing'), 1, `${expected.outage}: one firing notification\n${summary}\n${stack.webhook.describe()}`);
      assert.equal(count(stack, expected, 'resolved'), expected.resolved, `${expected.outage}: resolved notifications\n${summary}`);
    }
    for (const host of DEMO_SUBJECTS.hosts) {
      assert.deepEqual(stack.webhook.matching('/demo', { subject: host }), [], `${host} is suppressed: no notification`);
    }
    const expectedNames = new Set(EXPECTED.map((e) => `${e.alertname}/${e.subject}`));
    const others = stack.webhook.notifications
      .flatMap((n) => n.payload.alerts)
      .filter((a) => !expectedNames.has(`${a.labels['alertname']}/${a.labels['subject']}`));
    assert.deepEqual(
      others.map((a) => `${a.labels['alertname']}/${a.labels['subject']}`),
      [],
      'no other alert was notified',
    );
  });
});
