// The event-mesh source against the fake API server, judged by the real engine: the scenarios.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { KubernetesConfig } from '../../../src/sources/kubernetes/config.js';
import { KubeClient } from '../../../src/sources/kubernetes/client/api.js';
import { HeartbeatMonitor } from '../../../src/sources/kubernetes/heartbeat/monitor.js';
import { HeartbeatSender } from '../../../src/sources/kubernetes/heartbeat/sender.js';
import { applicationSubject, EVENT_MESH_SUBJECT, EventMeshSource, MESH_SOURCE } from '../../../src/sources/kubernetes/mesh/source.js';
import { FakeApiServer } from './fake-apiserver.js';
import {
  KNATIVE,
  KYMA,
  SOURCES,
  SVCAT,
  application,
  engineSink,
  knative,
  kubeConfig,
  mapping,
  ready,
  serveMesh,
  serviceInstance,
  trigger,
  waitFor,
} from './helpers.js';

const SHOP = applicationSubject('shop');

function healthyChain(server: FakeApiServer, knativeVersion = 'v1alpha1'): void {
  server.put(KYMA, 'v1alpha1', 'applications', application('shop', 'DEPLOYED'));
  server.put(KYMA, 'v1alpha1', 'applicationmappings', mapping('shop', 'orders'));
  server.put(SVCAT, 'v1beta1', 'serviceinstances', serviceInstance('shop-events', 'orders', 'shop', [ready('True', 'ProvisionedSuccessfully')]));
  server.put(KNATIVE, knativeVersion, 'brokers', knative('Broker', 'default', 'orders', [ready('True')]));
  server.put(KNATIVE, knativeVersion, 'triggers', trigger('on-order', 'orders', 'shop', [ready('True')]));
  server.put(SOURCES, 'v1alpha1', 'httpsources', knative('HTTPSource', 'shop', 'kyma-integration', [ready('True')]));
}

function meshConfig(extra: Partial<NonNullable<KubernetesConfig['event_mesh']>> = {}) {
  return kubeConfig({ event_mesh: { integration_namespace: 'kyma-integration', knative_version: 'v1alpha1', ...extra } }) as KubernetesConfig & {
    event_mesh: NonNullable<KubernetesConfig['event_mesh']>;
  };
}

describe('event mesh source', () => {
  let server: FakeApiServer;
  let client: KubeClient;
  let stops: (() => Promise<void>)[] = [];
  before(async () => {
    server = await new FakeApiServer().start();
    client = new KubeClient({ server: server.url, insecureSkipTlsVerify: false, authorization: () => undefined, origin: 'test' });
  });
  afterEach(async () => {
    for (const stop of stops) await stop();
    stops = [];
    server.closeWatches();
  });
  after(async () => {
    await client.close();
    await server.stop();
  });

  function start(config = meshConfig(), heartbeat?: ConstructorParameters<typeof EventMeshSource>[0]['heartbeat'], clock = { now: Date.now() }) {
    const engine = engineSink(() => clock.now);
    const source = new EventMeshSource({
      config,
      client,
      debounceMs: 5,
      now: () => clock.now,
      ...(heartbeat ? { heartbeat } : {}),
    });
    source.start(engine.sink);
    stops.push(() => source.stop());
    return { engine, source, clock };
  }

  it('ServiceInstance fails → the application is unhealthy with the reason; the mesh follows', async () => {
    serveMesh(server);
    healthyChain(server);
    const { engine } = start();
    await waitFor(() => engine.health(SHOP) === 'healthy', 'shop healthy');
    assert.equal(engine.health(EVENT_MESH_SUBJECT), 'healthy');
    assert.deepEqual(Object.keys(engine.state.subjects.get(SHOP)!.checks).sort(), [
      'broker:orders',
      'httpsource',
      'installed',
      'mapping:orders',
      'serviceinstance:orders',
      'trigger:orders',
    ]);
    assert.equal(engine.statuses.at(-1)?.up, true);

    server.put(
      SVCAT,
      'v1beta1',
      'serviceinstances',
      serviceInstance('shop-events', 'orders', 'shop', [
        ready('False', 'ProvisionCallFailed', 'Error provisioning ServiceInstance: the broker answered 500'),
        { type: 'Failed', status: 'True', reason: 'ProvisionCallFailed', message: 'Error provisioning ServiceInstance: the broker answered 500' },
      ]),
    );
    await waitFor(() => engine.health(SHOP) === 'unhealthy', 'shop unhealthy');
    const check = engine.check(SHOP, 'serviceinstance:orders')!;
    assert.equal(check.status, 'crit');
    assert.match(check.message!, /ProvisionCallFailed.*broker answered 500/);
    assert.match(engine.state.subjects.get(SHOP)!.healthReason ?? '', /serviceinstance:orders/);
    assert.equal(engine.health(EVENT_MESH_SUBJECT), 'unhealthy');
    assert.match(engine.check(EVENT_MESH_SUBJECT, 'applications')!.message!, /shop unhealthy/);
  });

  it('Trigger becomes ready → healthy (knative v1 field names)', async () => {
    serveMesh(server, 'v1');
    server.put(KYMA, 'v1alpha1', 'applications', application('crm', 'deployed'));
    server.put(KYMA, 'v1alpha1', 'applicationmappings', mapping('crm', 'sales'));
    server.put(SVCAT, 'v1beta1', 'serviceinstances', serviceInstance('crm-events', 'sales', 'crm', [ready('True')]));
    server.put(KNATIVE, 'v1', 'brokers', knative('Broker', 'default', 'sales', [ready('True')]));
    server.put(SOURCES, 'v1alpha1', 'httpsources', knative('HTTPSource', 'crm', 'kyma-integration', [ready('True')]));
    const pending = trigger('on-lead', 'sales', 'crm', [
      ready('Unknown', 'SubscriptionNotConfigured'),
      { type: 'SubscriptionReady', status: 'Unknown' },
    ]);
    server.put(KNATIVE, 'v1', 'triggers', pending);
    const { engine } = start(meshConfig({ knative_version: 'v1', applications: ['crm'] }));
    const crm = applicationSubject('crm');
    await waitFor(() => engine.health(crm) === 'unhealthy', 'crm unhealthy while the trigger is not ready');
    assert.match(engine.check(crm, 'trigger:sales')!.message!, /not ready yet \(SubscriptionNotConfigured\)/);
    assert.equal(engine.state.subjects.has(SHOP), false, 'only the configured applications are watched');

    server.put(KNATIVE, 'v1', 'triggers', {
      ...pending,
      status: { conditions: [ready('True')], observedGeneration: 1, subscriberUri: 'http://crm-handler.sales.svc/' },
    });
    await waitFor(() => engine.health(crm) === 'healthy', 'crm healthy');
    assert.equal(engine.check(crm, 'trigger:sales')!.status, 'ok');
  });

  it('watch expires → re-list without losing or duplicating state; a deleted application goes away', async () => {
    serveMesh(server);
    healthyChain(server);
    server.put(KYMA, 'v1alpha1', 'applications', application('legacy', 'DEPLOYED'));
    const { engine, source } = start();
    await waitFor(() => engine.health(SHOP) === 'healthy' && engine.state.subjects.has(applicationSubject('legacy')), 'both applications');
    const lists = server.listRequests().length;

    server.closeWatches();
    server.remove(KYMA, 'v1alpha1', 'applications', 'legacy');
    server.put(
      KNATIVE,
      'v1alpha1',
      'brokers',
      knative('Broker', 'default', 'orders', [ready('False', 'DeploymentUnavailable', "The Deployment 'default-broker-ingress' is unavailable.")]),
    );
    server.compact();
    await waitFor(() => engine.health(SHOP) === 'unhealthy' && !engine.state.subjects.has(applicationSubject('legacy')), 'the re-listed state');
    assert.ok(server.listRequests().length > lists, 'the informers re-listed');
    assert.equal(source.watches.informer('applications').objects.size, 1);
    assert.equal(source.watches.informer('brokers').objects.size, 1);
    assert.match(engine.check(SHOP, 'broker:orders')!.message!, /DeploymentUnavailable/);
    assert.match(engine.check(EVENT_MESH_SUBJECT, 'applications')!.message!, /1 of 1 application/);
  });

  it('heartbeat stops → the heartbeat check goes crit after freshness × interval', async () => {
    serveMesh(server);
    healthyChain(server);
    const clock = { now: Date.UTC(2026, 0, 1) };
    const monitor = new HeartbeatMonitor(30_000, 3);
    const beat = {
      interval: 30_000,
      freshness: 3,
      via: 'broker' as const,
      httpsource_url: '',
      broker_url: 'http://127.0.0.1:9/{namespace}',
      type: 'io.vigil.heartbeat',
      event_type_version: 'v1',
      timeout: 1000,
    };
    const sender = new HeartbeatSender({ config: beat, integrationNamespace: 'kyma-integration', key: 'k', monitor });
    const { engine, source } = start(meshConfig(), { monitor, sender }, clock);
    await waitFor(() => engine.health(SHOP) === 'healthy', 'shop healthy');
    assert.deepEqual(source.pairs(), [{ application: 'shop', namespace: 'orders' }]);
    assert.equal(engine.check(SHOP, 'heartbeat:orders'), undefined, 'no verdict before the first window passed');

    clock.now += 10_000;
    monitor.recordReceived({ id: 'h1', application: 'shop', namespace: 'orders', sentAt: clock.now - 40 }, 'orders', clock.now);
    source.heartbeatReceived('shop', 'orders');
    assert.equal(engine.check(SHOP, 'heartbeat:orders')!.status, 'ok');
    assert.match(engine.check(SHOP, 'heartbeat:orders')!.message!, /latency 0s/);

    clock.now += 90_000; // exactly the window: still fine
    source.evaluate();
    assert.equal(engine.check(SHOP, 'heartbeat:orders')!.status, 'ok');
    clock.now += 1;
    source.evaluate();
    const check = engine.check(SHOP, 'heartbeat:orders')!;
    assert.equal(check.status, 'crit');
    assert.match(check.message!, /no heartbeat within 90s \(last one 90s ago\)/);
    assert.equal(engine.health(SHOP), 'unhealthy');
    assert.equal(engine.health(EVENT_MESH_SUBJECT), 'unhealthy');
    assert.equal(engine.state.sources.get(MESH_SOURCE)?.up, true);
  });

  it('says so on the event-mesh subject when the cluster does not serve Applications', async () => {
    const bare = await new FakeApiServer().start();
    const bareClient = new KubeClient({ server: bare.url, insecureSkipTlsVerify: false, authorization: () => undefined, origin: 'test' });
    const engine = engineSink(Date.now);
    const source = new EventMeshSource({ config: meshConfig(), client: bareClient, debounceMs: 5 });
    source.start(engine.sink);
    try {
      await waitFor(() => engine.check(EVENT_MESH_SUBJECT, 'applications') !== undefined, 'the mesh verdict');
      const check = engine.check(EVENT_MESH_SUBJECT, 'applications')!;
      assert.equal(check.status, 'crit');
      assert.match(check.message!, /applications.applicationconnector.kyma-project.io\/v1alpha1 is not served/);
    } finally {
      await source.stop();
      await bareClient.close();
      await bare.stop();
    }
  });
});
