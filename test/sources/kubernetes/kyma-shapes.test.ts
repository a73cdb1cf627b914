// The event mesh and `objects:` against objects shaped like a real cluster's, through the public path: fake
// API server on loopback → source → real engine → /metrics text.
//
// Fixtures written from the upstream shapes:
// - kyma-project/kyma 1.15.0 `components/application-operator/pkg/apis/applicationconnector/v1alpha1/types.go`
//   (Application spec.services[]: id, identifier, name, displayName, …) and
//   `components/application-registry/internal/metadata/applications/util.go` createServiceName (the service's
//   `name` = normalised display name + "-" + first 5 hex of sha1(id)); the application broker's v1 converter
//   `components/application-broker/internal/broker/catalog.go` publishes it as the OSB service (class external
//   name = that name, id = the service id);
// - kyma 1.15.0 `components/application-broker/pkg/apis/applicationconnector/v1alpha1/types.go`
//   (ApplicationMapping spec.services[].id; nil = every service enabled);
// - kubernetes-retired/service-catalog `pkg/apis/servicecatalog/v1beta1/types.go` (ServiceInstance spec
//   serviceClassExternalName / serviceClassRef, status.userSpecifiedClassName, conditions, provisionStatus);
// - kubernetes/api `core/v1/types.go` NodeConditionType (MemoryPressure, DiskPressure, PIDPressure: False is
//   healthy);
// - SAP/sap-btp-service-operator `internal/utils/condition_utils.go` (Ready=False NotProvisioned without a
//   message; the error in Succeeded=False and, in older releases, Failed=True).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import type { KubernetesConfig } from '../../../src/sources/kubernetes/config.js';
import { renderSubjectFamilies } from '../../../src/exporter/metrics/render.js';
import { KubeClient } from '../../../src/sources/kubernetes/client/api.js';
import { applicationSubject, EventMeshSource } from '../../../src/sources/kubernetes/mesh/source.js';
import { ObjectsSource } from '../../../src/sources/kubernetes/objects.js';
import { FakeApiServer, type Obj } from './fake-apiserver.js';
import { KNATIVE, KYMA, SOURCES, SVCAT, engineSink, knative, kubeConfig, ready, serveMesh, trigger, waitFor } from './helpers.js';

const APP = 'mp-commerce';
const EVENTS_ID = 'ac031e8c-9aa4-4cb7-8999-0d358726ffaa';
const API_ID = '5b0bf2c5-3e3c-4c0f-bd33-9e3a5f1a0d11';
/** The application registry's createServiceName: nothing of the application's name is in it. */
const serviceName = (displayName: string, id: string): string =>
  `${displayName
    .replace(/[^A-Za-z0-9]+/g, '-')
    .toLowerCase()
    .replace(/-$/, '')}-${createHash('sha1').update(id).digest('hex').slice(0, 5)}`;
const EVENTS_CLASS = serviceName('SAP Commerce Cloud - Events', EVENTS_ID);
const API_CLASS = serviceName('SAP Commerce Cloud - Commerce Webservices', API_ID);

function kymaApplication(): Obj {
  return {
    apiVersion: `${KYMA}/v1alpha1`,
    kind: 'Application',
    metadata: { name: APP },
    spec: {
      description: 'SAP Commerce Cloud',
      skipInstallation: false,
      services: [
        {
          id: EVENTS_ID,
          identifier: '',
          name: EVENTS_CLASS,
          displayName: 'SAP Commerce Cloud - Events',
          description: 'Events v1',
          providerDisplayName: 'SAP',
          entries: [{ type: 'Events' }],
        },
        {
          id: API_ID,
          identifier: '',
          name: API_CLASS,
          displayName: 'SAP Commerce Cloud - Commerce Webservices',
          description: 'OCC',
          providerDisplayName: 'SAP',
          entries: [{ type: 'API', targetUrl: 'https://commerce.example/occ' }],
        },
      ],
    },
    status: { installationStatus: { status: 'deployed', description: 'Install complete' } },
  };
}

function kymaMapping(namespace: string, services?: string[]): Obj {
  return {
    apiVersion: `${KYMA}/v1alpha1`,
    kind: 'ApplicationMapping',
    metadata: { name: APP, namespace },
    spec: services ? { services: services.map((id) => ({ id })) } : {},
  };
}

/** A ServiceInstance as `kubectl apply` of the documented YAML leaves it once service-catalog has reconciled it. */
function kymaInstance(name: string, namespace: string, className: string, classId: string, status: Record<string, unknown>): Obj {
  return {
    apiVersion: `${SVCAT}/v1beta1`,
    kind: 'ServiceInstance',
    metadata: { name, namespace, generation: 1 },
    spec: {
      serviceClassExternalName: className,
      servicePlanExternalName: 'default',
      serviceClassRef: { name: classId },
      servicePlanRef: { name: `${classId}-plan` },
      updateRequests: 0,
    },
    status: {
      userSpecifiedClassName: `ServiceClass/${className}`,
      userSpecifiedPlanName: 'default',
      observedGeneration: 1,
      asyncOpInProgress: false,
      ...status,
    },
  };
}
const provisioned = {
  conditions: [ready('True', 'ProvisionedSuccessfully', 'The instance was provisioned successfully')],
  provisionStatus: 'Provisioned',
  lastConditionState: 'Ready',
};

function meshConfig(): KubernetesConfig & { event_mesh: NonNullable<KubernetesConfig['event_mesh']> } {
  return kubeConfig({ event_mesh: { integration_namespace: 'kyma-integration', knative_version: 'v1alpha1' } }) as KubernetesConfig & {
    event_mesh: NonNullable<KubernetesConfig['event_mesh']>;
  };
}

const healthSample = (subject: string, state: string): RegExp =>
  new RegExp(`^vigil_subject_health\\{subject="${subject.replace(/[.]/g, '\\.')}",kind="[^"]+",state="${state}"\\} 1$`, 'm');

describe('kubernetes sources on real-cluster shapes', () => {
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

  function startMesh() {
    const engine = engineSink(Date.now);
    const source = new EventMeshSource({ config: meshConfig(), client, debounceMs: 5 });
    source.start(engine.sink);
    stops.push(() => source.stop());
    return engine;
  }

  function kymaCluster(): void {
    serveMesh(server);
    server.put(KYMA, 'v1alpha1', 'applications', kymaApplication());
    server.put(SOURCES, 'v1alpha1', 'httpsources', knative('HTTPSource', APP, 'kyma-integration', [ready('True')]));
    server.put(KNATIVE, 'v1alpha1', 'brokers', knative('Broker', 'default', 'orders', [ready('True')]));
    server.put(KNATIVE, 'v1alpha1', 'triggers', trigger('on-order', 'orders', APP, [ready('True')]));
  }

  it('joins a ServiceInstance to its application through the class the application registry named', async () => {
    kymaCluster();
    server.put(KYMA, 'v1alpha1', 'applicationmappings', kymaMapping('orders'));
    server.put(SVCAT, 'v1beta1', 'serviceinstances', kymaInstance('commerce-events', 'orders', EVENTS_CLASS, EVENTS_ID, provisioned));
    const engine = startMesh();
    const subject = applicationSubject(APP);
    await waitFor(() => engine.health(subject) === 'healthy', 'the application healthy');
    assert.doesNotMatch(EVENTS_CLASS, new RegExp(APP), 'the class name says nothing of the application');
    assert.equal(engine.check(subject, 'serviceinstance:orders')!.status, 'ok');
    assert.match(engine.check(subject, 'serviceinstance:orders')!.message!, /1 ServiceInstance\(s\) provisioned and ready/);
    assert.match(renderSubjectFamilies(engine.state), healthSample(subject, 'healthy'));
  });

  it('keeps the annotation override, and judges service-catalog versions without provisionStatus by Ready', async () => {
    kymaCluster();
    server.put(KYMA, 'v1alpha1', 'applicationmappings', kymaMapping('orders'));
    const annotated = kymaInstance('renamed', 'orders', 'some-other-class', 'some-other-id', {
      conditions: [ready('True', 'ProvisionedSuccessfully')],
    });
    (annotated['metadata'] as { annotations?: Record<string, string> }).annotations = { 'vigil.io/application': APP };
    server.put(SVCAT, 'v1beta1', 'serviceinstances', annotated);
    const engine = startMesh();
    const subject = applicationSubject(APP);
    await waitFor(() => engine.health(subject) === 'healthy', 'healthy with no provisionStatus at all');
    assert.equal(engine.check(subject, 'serviceinstance:orders')!.status, 'ok');
  });

  it('honours ApplicationMapping.spec.services: an instance of a service the mapping does not enable is crit', async () => {
    kymaCluster();
    server.put(KYMA, 'v1alpha1', 'applicationmappings', kymaMapping('orders', [API_ID]));
    server.put(SVCAT, 'v1beta1', 'serviceinstances', kymaInstance('commerce-events', 'orders', EVENTS_CLASS, EVENTS_ID, provisioned));
    const engine = startMesh();
    const subject = applicationSubject(APP);
    await waitFor(() => engine.health(subject) === 'unhealthy', 'unhealthy');
    assert.match(engine.check(subject, 'mapping:orders')!.message!, new RegExp(`services: ${API_CLASS}$`));
    assert.match(
      engine.check(subject, 'serviceinstance:orders')!.message!,
      new RegExp(`uses service ${EVENTS_CLASS}, which ApplicationMapping orders/${APP} does not enable`),
    );

    server.put(KYMA, 'v1alpha1', 'applicationmappings', kymaMapping('orders', [API_ID, EVENTS_ID]));
    await waitFor(() => engine.health(subject) === 'healthy', 'healthy once the mapping enables the events service');
  });

  it('a namespace bound with no ServiceInstance (API access only) is ok with an info message, not crit', async () => {
    kymaCluster();
    server.put(KYMA, 'v1alpha1', 'applicationmappings', kymaMapping('reports'));
    const engine = startMesh();
    const subject = applicationSubject(APP);
    await waitFor(() => engine.check(subject, 'serviceinstance:reports') !== undefined, 'the namespace judged');
    const check = engine.check(subject, 'serviceinstance:reports')!;
    assert.equal(check.status, 'ok');
    assert.match(check.message!, /API access only/);
    // No Broker or Trigger is expected without an instance (there is none in `reports`): ok, saying so.
    for (const link of ['broker:reports', 'trigger:reports']) {
      assert.equal(engine.check(subject, link)!.status, 'ok');
      assert.equal(engine.check(subject, link)!.message, `not expected: reports has API access only (no ServiceInstance of ${APP})`);
    }
    assert.equal(engine.health(subject), 'healthy');
  });

  it("objects: names only conditions in their unhealthy polarity, and surfaces btp-operator's Failed message", async () => {
    server.serve('', 'v1', 'nodes');
    server.serve('services.cloud.sap.com', 'v1', 'serviceinstances');
    server.put('', 'v1', 'nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'worker-1' },
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
          { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' },
          { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
          { type: 'Ready', status: 'False' },
        ],
      },
    });
    const failure = 'ServiceInstance create failed: BrokerError:Bad Request, Status: 400, Description: plan is not available';
    server.put('services.cloud.sap.com', 'v1', 'serviceinstances', {
      apiVersion: 'services.cloud.sap.com/v1',
      kind: 'ServiceInstance',
      metadata: { name: 'xsuaa', namespace: 'apps', generation: 1 },
      spec: { serviceOfferingName: 'xsuaa', servicePlanName: 'application' },
      status: {
        conditions: [
          { type: 'Succeeded', status: 'False', reason: 'CreateFailed', message: failure, observedGeneration: 1 },
          { type: 'Failed', status: 'True', reason: 'CreateFailed', message: failure, observedGeneration: 1 },
          { type: 'Ready', status: 'False', reason: 'NotProvisioned', observedGeneration: 1 },
        ],
        ready: 'False',
      },
    });
    const engine = engineSink(Date.now);
    const config = kubeConfig({
      objects: [
        { group: '', version: 'v1', plural: 'nodes', condition: 'Ready' },
        { group: 'services.cloud.sap.com', version: 'v1', plural: 'serviceinstances', condition: 'Ready' },
      ],
    });
    const source = new ObjectsSource({ config, client, debounceMs: 5 });
    source.start(engine.sink);
    stops.push(() => source.stop());
    await waitFor(() => engine.state.subjects.size === 2, 'two subjects');
    const node = engine.check('nodes/worker-1', 'ready')!;
    assert.equal(node.status, 'crit');
    assert.match(node.message!, /DiskPressure: kubelet has disk pressure/);
    assert.doesNotMatch(node.message!, /memory/, 'MemoryPressure=False is healthy, never the cause');
    const btp = engine.check('serviceinstances.services.cloud.sap.com/apps/xsuaa', 'ready')!;
    assert.equal(btp.status, 'crit');
    assert.equal(btp.message, `Ready not ready (NotProvisioned): Failed: ${failure}`);
    assert.match(renderSubjectFamilies(engine.state), healthSample('nodes/worker-1', 'unhealthy'));
  });
});
