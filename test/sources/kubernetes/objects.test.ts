// kubernetes.objects: any custom resource becomes subjects with a ready check; vigil_kube_object_ready renders
// a StateSet that promtool accepts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { renderKubernetesMetrics } from '../../../src/sources/kubernetes/metrics.js';
import { KubeClient } from '../../../src/sources/kubernetes/client/api.js';
import { ObjectsSource, OBJECTS_SOURCE } from '../../../src/sources/kubernetes/objects.js';
import { FakeApiServer } from './fake-apiserver.js';
import { untilTurns } from '../../helpers/until.js';
import { engineSink, kubeConfig, ready } from './helpers.js';

const CM = 'cert-manager.io';
const cert = (name: string, namespace: string, conditions: unknown[], labels: Record<string, string> = { team: 'web' }) => ({
  apiVersion: `${CM}/v1`,
  kind: 'Certificate',
  metadata: { name, namespace, generation: 1, labels },
  status: { conditions, observedGeneration: 1 },
});

function promtool(text: string): string {
  try {
    return execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool is needed for this test: install it (Debian: apt-get install prometheus)');
    throw new Error(`promtool check metrics failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('kubernetes objects', () => {
  let server: FakeApiServer;
  let client: KubeClient;
  before(async () => {
    server = await new FakeApiServer().start();
    client = new KubeClient({ server: server.url, insecureSkipTlsVerify: false, authorization: () => undefined, origin: 'test' });
    server.serve(CM, 'v1', 'certificates');
  });
  after(async () => {
    await client.close();
    await server.stop();
  });

  it('turns each selected object into a subject with a ready check, and removes it with the object', async () => {
    server.put(CM, 'v1', 'certificates', cert('web', 'prod', [ready('True', 'Ready', 'Certificate is up to date and has not expired')]));
    server.put(CM, 'v1', 'certificates', cert('api', 'prod', [ready('False', 'Expired', 'Certificate expired')]));
    server.put(CM, 'v1', 'certificates', cert('other', 'prod', [ready('True')], { team: 'data' }));
    const engine = engineSink(Date.now);
    const config = kubeConfig({
      objects: [{ group: CM, version: 'v1', plural: 'certificates', namespace: 'prod', label_selector: 'team=web', condition: 'Ready' }],
    });
    const source = new ObjectsSource({ config, client, debounceMs: 5 });
    source.start(engine.sink);
    try {
      await untilTurns(() => engine.state.subjects.size === 2, 'two subjects');
      assert.equal(server.listRequests('certificates')[0]!.query['labelSelector'], 'team=web');
      const web = engine.state.subjects.get('certificates.cert-manager.io/prod/web')!;
      assert.equal(web.spec.kind, 'certificate');
      assert.deepEqual(web.spec.labels, { name: 'web', namespace: 'prod', resource: 'certificates.cert-manager.io' });
      assert.equal(web.health, 'healthy');
      const api = engine.state.subjects.get('certificates.cert-manager.io/prod/api')!;
      assert.equal(api.health, 'unhealthy');
      assert.match(api.checks['ready']!.message!, /Ready not ready \(Expired\): Certificate expired/);
      assert.equal(engine.state.sources.get(OBJECTS_SOURCE)?.up, true);

      const text = renderKubernetesMetrics({ objects: source.watches.objectReadiness(), heartbeats: [] });
      assert.match(text, /vigil_kube_object_ready\{group="cert-manager.io",kind="Certificate",namespace="prod",name="api",status="false"\} 1/);
      assert.match(text, /vigil_kube_object_ready\{group="cert-manager.io",kind="Certificate",namespace="prod",name="api",status="true"\} 0/);

      server.remove(CM, 'v1', 'certificates', 'api', 'prod');
      await untilTurns(() => !engine.state.subjects.has('certificates.cert-manager.io/prod/api'), 'the deleted object to go');
    } finally {
      await source.stop();
      server.closeWatches();
    }
  });

  it('renders families promtool accepts, with heartbeat families per application and namespace', () => {
    const text = renderKubernetesMetrics({
      objects: [
        { group: 'applicationconnector.kyma-project.io', kind: 'Application', namespace: '', name: 'shop', ready: 'true' },
        { group: 'eventing.knative.dev', kind: 'Trigger', namespace: 'orders', name: 'on "order"', ready: 'unknown' },
      ],
      heartbeats: [
        { application: 'shop', namespace: 'orders', sent: 3, sendErrors: 1, received: 2, receivedAt: 1_767_225_600_250, latencyMs: 40 },
        { application: 'crm', namespace: 'sales', sent: 0, sendErrors: 0, received: 0 },
      ],
    });
    assert.equal(promtool(text).trim(), '');
    assert.match(text, /vigil_eventmesh_heartbeat_received_timestamp_seconds\{application="shop",namespace="orders"\} 1767225600.25\n/);
    assert.match(text, /vigil_eventmesh_heartbeat_latency_seconds\{application="shop",namespace="orders"\} 0.04\n/);
    assert.doesNotMatch(text, /heartbeat_latency_seconds\{application="crm"/, 'no latency before a heartbeat arrived');
    assert.match(text, /name="on \\"order\\"",status="unknown"\} 1/);
    assert.equal(renderKubernetesMetrics({ objects: [], heartbeats: [] }), '');
  });
});
