// Maintenance windows on the real stack (vigil, `vigil generate-rules` output, Debian's Prometheus and Alertmanager):
// a download target that fails inside a window sends nothing, though vigil keeps recording its failures; once the
// window ends the generated alert fires and exactly one notification is sent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startStatusServer } from './helpers/status-server.js';
import { assertQuiet, waitForNotifications, whenCheckCounterReaches } from './helpers/expect.js';
import { EXTERNAL_URL, TOKEN, withStack, type Sinks } from './helpers/stack.js';

const ALERT = { alertname: 'VigilProbesCheckFailing', subject: 'web' };
/** Long enough for several failed runs, evaluations and Alertmanager's group_wait inside the window. */
const WINDOW_MS = 15_000;

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
    - { name: probes, match: { kind: target }, notify: change, threshold: 2, recovery: 1, receiver: probes }
`;

test('e2e: a target failing inside a maintenance window notifies nobody; after the window it notifies once', { timeout: 120_000 }, async () => {
  const target = await startStatusServer();
  try {
    await withStack('maintenance', config(target.port), async (stack) => {
      await stack.waitForQuery('vigil_check_consecutive_successes{subject="web",check="download"}', (v) => (v ?? 0) >= 1);
      const now = Date.now();
      const created = await fetch(`${stack.vigilBase}/api/v1/maintenance`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          match: { subject: 'web' },
          starts_at: new Date(now - 1_000).toISOString(),
          ends_at: new Date(now + WINDOW_MS).toISOString(),
          reason: 'web server upgrade',
        }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const window = (await created.json()) as { id: string; ends_at: string };
      await stack.waitForQuery('vigil_subject_maintenance{subject="web"}', (v) => v === 1);

      target.status = 500;
      const failing = await whenCheckCounterReaches(stack, { subject: 'web', check: 'download', path: '/probes' }, 'consecutive_failures', 3);
      assert.equal(failing.notificationsSoFar, 0);
      const endsAt = Date.parse(window.ends_at);
      await assertQuiet(stack, '/probes', {}, Math.max(0, endsAt - Date.now() - 500), 'nothing while the window is open');
      // Health was recorded all along, and its events say they happened in the window.
      const events = (await (await fetch(`${stack.vigilBase}/api/v1/events?after=0&subject=web`)).json()) as {
        events: { type: string; to: string; maintenance: string | null }[];
      };
      assert.equal(events.events.find((e) => e.type === 'health' && e.to === 'unhealthy')?.maintenance, window.id);

      const [firing] = await waitForNotifications(stack, '/probes', ALERT, 1, 20_000);
      assert.equal(firing!.payload.status, 'firing');
      assert.ok(firing!.receivedAt >= endsAt, 'not before the window ended');
      assert.ok(firing!.receivedAt - endsAt < 15_000, `${firing!.receivedAt - endsAt} ms after the window ended`);
      await assertQuiet(stack, '/probes', {}, 3_000, 'one notification');
      assert.equal(stack.webhook.notifications.length, 1, stack.webhook.describe());
    });
  } finally {
    await target.close();
  }
});
