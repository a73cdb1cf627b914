// `vigil serve` with a kubernetes: section: the extension comes up from the config (kubeconfig with a token,
// heartbeat key from secret_file), heartbeats go out through a fake broker and come back to POST
// /api/v1/heartbeats, /metrics carries the kubernetes families, and shutdown is clean.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startVigil } from '../../../src/serve.js';
import { FakeApiServer } from './fake-apiserver.js';
import { untilTurns } from '../../helpers/until.js';
import { kubeconfigFor, serveHealthyShop } from './helpers.js';

test('startVigil with a kubernetes section watches the mesh and closes the heartbeat loop', async (t) => {
  const api = await new FakeApiServer({ token: 'sa-token' }).start();
  t.after(() => api.stop());
  serveHealthyShop(api);

  // The broker: takes the binary-mode event and delivers it, unchanged, to the Trigger's subscriber.
  let vigilUrl = '';
  const broker = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('ce-') || k === 'content-type')) as Record<
        string,
        string
      >;
      // A heartbeat may still be in flight when vigil shuts down at the end of the test.
      const answer = await fetch(`${vigilUrl}/api/v1/heartbeats`, { method: 'POST', headers, body: Buffer.concat(chunks) }).catch(() => undefined);
      res.writeHead(answer?.ok ? 202 : 502).end();
    });
  });
  await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve));
  t.after(() => broker.close());
  const brokerPort = (broker.address() as AddressInfo).port;

  const dir = mkdtempSync(join(tmpdir(), 'vigil-kube-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'heartbeat.key'), 'shared-heartbeat-key\n');
  writeFileSync(join(dir, 'kubeconfig'), kubeconfigFor(api.url, 'sa-token'));
  writeFileSync(
    join(dir, 'vigil.yml'),
    [
      'listen: 127.0.0.1:0',
      'state: vigil.db',
      'log: { level: silent }',
      'defaults: { startup_grace: 0s }',
      'kubernetes:',
      '  kubeconfig: kubeconfig',
      '  resync: 1s',
      '  event_mesh:',
      '    heartbeat:',
      '      interval: 200ms',
      `      broker_url: "http://127.0.0.1:${brokerPort}/{namespace}"`,
      '      secret_file: heartbeat.key',
      '  objects:',
      '    - { group: eventing.knative.dev, version: v1alpha1, plural: brokers }',
    ].join('\n'),
  );
  const running = await startVigil({ configPath: join(dir, 'vigil.yml') });
  let stopped = false;
  t.after(() => (stopped ? undefined : running.stop()));
  vigilUrl = `http://127.0.0.1:${running.address.port}`;
  const subjects = running.vigil.state.subjects;

  await untilTurns(() => subjects.get('application:shop')?.checks['heartbeat:orders']?.status === 'ok', 'a heartbeat round trip', 15_000);
  assert.equal(subjects.get('application:shop')!.health, 'healthy');
  assert.equal(subjects.get('event-mesh')!.health, 'healthy');
  assert.equal(subjects.get('brokers.eventing.knative.dev/orders/default')!.health, 'healthy');

  const metrics = await (await fetch(`${vigilUrl}/metrics`)).text();
  assert.match(metrics, /^vigil_kube_object_ready\{group="eventing.knative.dev",kind="Broker",namespace="orders",name="default",status="true"\} 1$/m);
  assert.match(metrics, /^vigil_eventmesh_heartbeat_received_timestamp_seconds\{application="shop",namespace="orders"\} \d+(\.\d+)?$/m);
  assert.match(metrics, /^vigil_eventmesh_heartbeat_latency_seconds\{application="shop",namespace="orders"\} /m);
  assert.match(metrics, /^vigil_source_up\{source="kubernetes-event-mesh"\} 1$/m);
  assert.doesNotMatch(metrics, /sa-token|shared-heartbeat-key/);

  const unsigned = await fetch(`${vigilUrl}/api/v1/heartbeats`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'x', 'ce-source': 'shop', 'ce-type': 'io.vigil.heartbeat' },
    body: JSON.stringify({ application: 'shop', namespace: 'orders', sent_at: Date.now() }),
  });
  assert.equal(unsigned.status, 401);

  stopped = true;
  await running.stop();
});
