// `vigil serve` wiring: the agents and octopus extensions come up from the config, the websocket is attached to the
// real server, /metrics carries the agents' families, and shutdown closes the connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentConnection } from '../../../src/agent/client.js';
import { startVigil } from '../../../src/serve.js';
import { API_KEY, startFakeOctopus } from '../octopus/fake-octopus.js';
import { untilTurns } from '../../helpers/until.js';

test('startVigil with agents: and octopus: sections serves the websocket, polls Octopus and shuts down cleanly', async (t) => {
  const octopus = await startFakeOctopus();
  t.after(() => octopus.close());
  octopus.machines.push({ Id: 'Machines-1', Name: 'lab-pc-7', HealthStatus: 'Unavailable' });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-agents-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'octopus-key'), API_KEY);
  writeFileSync(
    join(dir, 'vigil.yml'),
    [
      'listen: 127.0.0.1:0',
      'state: vigil.db',
      'log: { level: silent }',
      'api: { tokens: [ { name: agents, token: serve-agent-token, scopes: [agent] } ] }',
      'agents: {}',
      `octopus: { url: "${octopus.url}", api_key_file: octopus-key, interval: 1h }`,
    ].join('\n'),
  );
  const running = await startVigil({ configPath: join(dir, 'vigil.yml') });
  let stopped = false;
  t.after(() => (stopped ? undefined : running.stop()));
  const base = `http://127.0.0.1:${running.address.port}`;

  await untilTurns(
    () => running.vigil.state.subjects.get('lab-pc-7')?.connectivity === 'unavailable',
    'Octopus reports the machine unavailable',
    5_000,
  );
  const agent = new AgentConnection({ server: base, id: 'lab-pc-7', token: 'serve-agent-token', heartbeatInterval: 0 });
  agent.start();
  await agent.ready();
  const machine = running.vigil.state.subjects.get('lab-pc-7')!;
  await untilTurns(() => machine.connectivity === 'available', 'the agent makes it available');
  assert.equal(machine.spec.source, 'octopus', 'the agent does not take over an Octopus machine');

  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^vigil_agents_connected 1$/m);
  assert.match(metrics, /^vigil_subject_connectivity\{subject="lab-pc-7",kind="machine"\} 1$/m);
  assert.match(metrics, /^vigil_source_up\{source="octopus"\} 1$/m);

  await agent.stop();
  stopped = true;
  await running.stop();
});
