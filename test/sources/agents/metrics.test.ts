// The agents' families pass promtool and appear in /metrics next to vigil_subject_connectivity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { renderAgentMetrics } from '../../../src/sources/agents/metrics.js';
import { untilTurns } from '../../helpers/until.js';
import { startAgentHarness } from './harness.js';

const PROMTOOL = '/usr/bin/promtool';

function promtoolCheck(text: string): string {
  assert.ok(existsSync(PROMTOOL), `promtool is missing: install it with "apt-get install prometheus" (expected ${PROMTOOL})`);
  const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return `${run.stdout}${run.stderr}`.trim() + (run.status === 0 ? '' : ` (exit ${run.status})`);
}

test('agent families render as valid exposition, with and without the webhook', () => {
  assert.equal(promtoolCheck(renderAgentMetrics({ connected: 3, connectionsTotal: 7 })), '');
  const withHook = renderAgentMetrics({ connected: 0, connectionsTotal: 0, webhook: { delivered: 1, failed: 2, dropped: 3, queued: 4 } });
  assert.equal(promtoolCheck(withHook), '');
  assert.match(withHook, /^vigil_agent_webhook_notifications_total\{result="dropped"\} 3$/m);
});

test('/metrics carries vigil_agents_connected and vigil_agent_connections_total, and the machine in vigil_subject_connectivity', async (t) => {
  const h = await startAgentHarness('agents: {}');
  t.after(() => h.close());
  const client = await h.connect('m1');
  await client.next();
  await untilTurns(() => h.vigil.state.subjects.get('m1')?.connectivity === 'available', 'available');
  const body = await (await fetch(h.base + '/metrics')).text();
  assert.match(body, /^vigil_agents_connected 1$/m);
  assert.match(body, /^vigil_agent_connections_total 1$/m);
  assert.match(body, /^vigil_subject_connectivity\{subject="m1",kind="machine"\} 1$/m);
  // Findings about other parts' families (prom-client's nodejs_* defaults) belong to their owners' tests.
  const findings = promtoolCheck(body)
    .split('\n')
    .filter((line) => line.startsWith('vigil_') || /parse|error/i.test(line));
  assert.deepEqual(findings, []);
});
