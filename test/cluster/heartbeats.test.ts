// Kyma event-mesh heartbeats with replicas on one real PostgreSQL. The mesh source and its heartbeat sender run on
// one replica (a polling source); the broker delivers each heartbeat back to whichever replica the Trigger's
// subscriber URL reaches (a Kubernetes Service picks any), and that replica forwards it to the one running the
// source, whose sender knows what it sent. The fake API server and broker speak the real wire formats (see
// test/sources/kubernetes/fake-apiserver.ts and serve.test.ts).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeApiServer } from '../sources/kubernetes/fake-apiserver.js';
import { kubeconfigFor, serveHealthyShop } from '../sources/kubernetes/helpers.js';
import type { ServeProcess } from '../helpers/serve-process.js';
import { until } from '../helpers/until.js';
import { REPLICA_POLL, startCluster, type ClusterHarness } from './harness.js';

const MESH_SOURCE = 'kubernetes-event-mesh';

interface HealthAnswer {
  subjects: { id: string; checks: Record<string, { status: string }> }[];
}

describe('event-mesh heartbeats with replicas', () => {
  let api: FakeApiServer;
  let broker: Server;
  let cluster: ClusterHarness;
  /** Where the broker delivers heartbeats: set by the test to a replica that does not run the mesh source. */
  let deliverTo = '';
  /** Status of each delivery since `deliverTo` was set. */
  const answers: number[] = [];

  before(async () => {
    api = await new FakeApiServer({ token: 'sa-token' }).start();
    serveHealthyShop(api);

    // The broker: takes the binary-mode event and delivers it, unchanged, to the Trigger's subscriber.
    broker = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        if (deliverTo === '') return void res.writeHead(503).end(); // the test has not picked a replica yet
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([name]) => name.startsWith('ce-') || name === 'content-type'),
        ) as Record<string, string>;
        const answer = await fetch(`${deliverTo}/api/v1/heartbeats`, { method: 'POST', headers, body: Buffer.concat(chunks) }).catch(() => undefined);
        answers.push(answer?.status ?? 0);
        await answer?.arrayBuffer();
        res.writeHead(answer?.ok ? 202 : 502).end();
      });
    });
    await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve));
    const brokerPort = (broker.address() as AddressInfo).port;

    // No secret_file: each replica makes up its own heartbeat key, which works because only the replica that sent a
    // heartbeat checks its signature.
    cluster = await startCluster({
      holdTtl: '4s',
      renewInterval: '1s',
      extra: [
        'kubernetes:',
        '  kubeconfig: kubeconfig',
        '  resync: 1s',
        '  event_mesh:',
        '    heartbeat:',
        '      interval: 300ms',
        `      broker_url: "http://127.0.0.1:${brokerPort}/{namespace}"`,
      ].join('\n'),
    });
    writeFileSync(join(cluster.dir, 'kubeconfig'), kubeconfigFor(api.url, 'sa-token'));
    for (let i = 0; i < 2; i++) await cluster.add();
  });
  after(async () => {
    await cluster?.cleanup();
    broker?.close();
    await api?.stop();
  });

  it('are forwarded by a replica that does not run the mesh source to the one that does, and close the loop', async () => {
    await cluster.settled(cluster.replicas[0]!.base, 2, 30_000);
    const pollingOn = async (replica: ServeProcess): Promise<boolean> => {
      const view = (await (await fetch(`${replica.base}/api/v1/cluster`)).json()) as { polling_sources: string[] };
      return view.polling_sources.includes(MESH_SOURCE);
    };
    const [poller, other] = await until(
      async () => {
        const running = await Promise.all(cluster.replicas.map(pollingOn));
        const index = running.indexOf(true);
        return running.filter(Boolean).length === 1 ? [cluster.replicas[index]!, cluster.replicas[1 - index]!] : undefined;
      },
      'one replica runs the mesh source',
      { ...REPLICA_POLL, timeoutMs: 20_000 },
    );
    deliverTo = other.base;

    // The heartbeat check of the application turns ok (on its owner, whichever replica that is) ...
    await until(
      async () => {
        const health = (await (await fetch(`${other.base}/api/v1/health`)).json()) as HealthAnswer;
        return health.subjects.find((s) => s.id === 'application:shop')?.checks['heartbeat:orders']?.status === 'ok';
      },
      'heartbeat:orders ok through the other replica',
      { ...REPLICA_POLL, timeoutMs: 20_000 },
    );
    // ... because the replica running the source counted the heartbeats delivered to the other one.
    const metrics = await (await fetch(`${poller.base}/metrics`)).text();
    assert.match(metrics, /^vigil_eventmesh_heartbeat_received_timestamp_seconds\{application="shop",namespace="orders"\} \d/m);
    assert.ok(answers.length > 0 && answers.every((status) => status === 204), `every delivery accepted: ${answers.join(', ')}`);

    // The answer is the running replica's own: a heartbeat it did not sign is refused there, relayed as 401.
    const forged = await fetch(`${other.base}/api/v1/heartbeats`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'forged-1',
        'ce-source': 'shop',
        'ce-type': 'io.vigil.heartbeat',
        'ce-vigilsignature': 'v1=00',
      },
      body: JSON.stringify({ application: 'shop', namespace: 'orders', sent_at: Date.now() }),
    });
    assert.equal(forged.status, 401);
    assert.match(forged.headers.get('content-type') ?? '', /application\/problem\+json/);
    const metricsOther = await (await fetch(`${other.base}/metrics`)).text();
    assert.match(metricsOther, /^vigil_cluster_forwarded_requests_total\{result="ok"\} [1-9]/m);
  });
});
