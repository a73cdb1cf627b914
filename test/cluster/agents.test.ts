// With replicas, an agent stays connected to whichever replica it reached: that replica relays its websocket to
// the replica owning the machine, whose state the agent's reports change.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { shardOf } from '../../src/cluster/shards.js';
import { until } from '../helpers/until.js';
import { TOKEN, startCluster, type ClusterHarness } from './harness.js';

describe('agents with replicas', () => {
  let cluster: ClusterHarness;
  before(async () => {
    cluster = await startCluster({ holdTtl: '10s', renewInterval: '2s', extra: 'agents: { enabled: true, auto_register: true }' });
    await cluster.add();
    await cluster.add();
  });
  after(async () => cluster?.cleanup());

  it('relays an agent connected to a replica that does not own its machine to the owner', async () => {
    const [a, b] = cluster.replicas.map((replica) => replica.base) as [string, string];
    const view = await cluster.settled(a, 2, 30_000);
    const ofB = new Set(view.replicas.find((replica) => replica.id === b)!.shards);
    const machine = Array.from({ length: 200 }, (_, i) => `m-${i}`).find((id) => ofB.has(shardOf(id)))!;

    const socket = new WebSocket(`${a.replace('http', 'ws')}/api/v1/agents/connect?id=${machine}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const welcome = await new Promise<{ type: string; subject: string }>((resolve, reject) => {
      setTimeout(() => reject(new Error(`no welcome within 10 s:\n${cluster.replicas.map((r) => r.logs()).join('\n')}`)), 10_000).unref();
      socket.once('message', (data) => resolve(JSON.parse(String(data)) as { type: string; subject: string }));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    });
    assert.deepEqual([welcome.type, welcome.subject], ['welcome', machine], 'the owner welcomes it through the relay');
    socket.send(JSON.stringify({ type: 'check', check: 'disk', status: 'crit', message: 'disk full' }));

    type Health = { connectivity: string | null; checks: Record<string, { status: string }> };
    const health = await until(
      async () => {
        const res = await fetch(`${b}/api/v1/subjects/${machine}/health`);
        const found = res.ok ? ((await res.json()) as Health) : undefined;
        return found?.checks['disk']?.status === 'crit' ? found : undefined;
      },
      'the check to reach the owner',
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    assert.equal(health.connectivity, 'available');
    const metricsA = await (await fetch(`${a}/metrics`)).text();
    const metricsB = await (await fetch(`${b}/metrics`)).text();
    assert.doesNotMatch(metricsA, new RegExp(`subject="${machine}"`), 'the relaying replica does not expose it');
    assert.match(metricsB, new RegExp(`^vigil_subject_connectivity\\{subject="${machine}"[^}]*\\} 1$`, 'm'));
    assert.match(metricsB, /^vigil_agents_connected 1$/m, 'the owner holds the connection');
    socket.close();
  });
});
