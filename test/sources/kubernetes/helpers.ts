// Shared by the kubernetes tests: a test CA made with openssl, a sink that applies to a real engine state,
// and fixtures shaped like Kyma 1.x objects.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import * as engine from '../../../src/engine/index.js';
import type { EngineState } from '../../../src/engine/types.js';
import type { KubernetesConfig } from '../../../src/sources/kubernetes/config.js';
import { createSink } from '../../../src/sources/sink.js';
import type { SourceSink } from '../../../src/sources/types.js';
import { TEST_SETTINGS } from '../../helpers/settings.js';
import type { Obj } from './fake-apiserver.js';

export interface TestPki {
  dir: string;
  caFile: string;
  ca: string;
  cert: string;
  key: string;
  /** A client certificate signed by the same CA (a kubeconfig client-certificate user). */
  clientCertFile: string;
  clientKeyFile: string;
}

/** A CA and a server certificate for 127.0.0.1, made with openssl at test time. */
export function makeTestPki(): TestPki {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('these tests need openssl to make a test CA: install it (Debian: apt-get install openssl)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigil-kube-pki-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=vigil test CA', '-days', '2');
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
  run('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=system:serviceaccount:vigil:vigil');
  run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2');
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    ca: read('ca.crt'),
    cert: read('server.crt'),
    key: read('server.key'),
    clientCertFile: join(dir, 'client.crt'),
    clientKeyFile: join(dir, 'client.key'),
  };
}

/** A sink applying to a real engine state at an injected time, plus a log of source statuses. */
export function engineSink(now: () => number) {
  const state: EngineState = engine.createState(TEST_SETTINGS);
  const statuses: { source: string; up: boolean; reason?: string }[] = [];
  // vigil's own sink over this state, logging source statuses on the way.
  const inner = createSink({ state: () => state, apply: (change) => change(state, now()), owns: () => true });
  const sink: SourceSink = {
    ...inner,
    sourceStatus: (source, up, reason) => {
      statuses.push({ source, up, ...(reason ? { reason } : {}) });
      inner.sourceStatus(source, up, reason);
    },
  };
  return {
    state,
    sink,
    statuses,
    health: (id: string) => state.subjects.get(id)?.health,
    check: (id: string, check: string) => state.subjects.get(id)?.checks[check],
  };
}

/** Watch settings fast enough for loopback tests. */
export function kubeConfig(extra: Partial<KubernetesConfig> = {}): KubernetesConfig {
  return {
    resync: 30_000,
    watch: { timeout: 300_000, stall_after: 60_000, backoff_min: 20, backoff_max: 100, page_size: 2, request_timeout: 5_000 },
    objects: [],
    ...extra,
  };
}

// Fixtures (reference §1–§4).
export const KYMA = 'applicationconnector.kyma-project.io';
export const KNATIVE = 'eventing.knative.dev';
export const SVCAT = 'servicecatalog.k8s.io';
export const SOURCES = 'sources.kyma-project.io';

export const ready = (status: 'True' | 'False' | 'Unknown', reason?: string, message?: string) => ({
  type: 'Ready',
  status,
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
});

export function application(name: string, status = 'deployed'): Obj {
  return {
    apiVersion: `${KYMA}/v1alpha1`,
    kind: 'Application',
    metadata: { name },
    spec: {},
    status: { installationStatus: { status, description: 'Install complete' } },
  };
}
export function mapping(name: string, namespace: string): Obj {
  return { apiVersion: `${KYMA}/v1alpha1`, kind: 'ApplicationMapping', metadata: { name, namespace }, spec: {} };
}
export function serviceInstance(name: string, namespace: string, application: string, conditions: unknown[], provisionStatus = 'Provisioned'): Obj {
  return {
    apiVersion: `${SVCAT}/v1beta1`,
    kind: 'ServiceInstance',
    metadata: { name, namespace, generation: 1 },
    spec: { serviceClassExternalName: `${application}-events-0a1b2` },
    status: { conditions, provisionStatus, observedGeneration: 1, asyncOpInProgress: false },
  };
}
export function knative(
  kind: 'Trigger' | 'Broker' | 'HTTPSource',
  name: string,
  namespace: string,
  conditions: unknown[],
  spec: Record<string, unknown> = {},
  generation = 1,
): Obj {
  const group = kind === 'HTTPSource' ? SOURCES : KNATIVE;
  return { apiVersion: `${group}/v1alpha1`, kind, metadata: { name, namespace, generation }, spec, status: { conditions, observedGeneration: 1 } };
}
export const trigger = (name: string, namespace: string, source: string, conditions: unknown[], generation = 1) =>
  knative('Trigger', name, namespace, conditions, { broker: 'default', filter: { attributes: { source, type: 'order.created' } } }, generation);

export function serveMesh(server: { serve(g: string, v: string, p: string): void }, knativeVersion = 'v1alpha1'): void {
  server.serve(KYMA, 'v1alpha1', 'applications');
  server.serve(KYMA, 'v1alpha1', 'applicationmappings');
  server.serve(SVCAT, 'v1beta1', 'serviceinstances');
  server.serve(KNATIVE, knativeVersion, 'triggers');
  server.serve(KNATIVE, knativeVersion, 'brokers');
  server.serve(SOURCES, 'v1alpha1', 'httpsources');
}

/** The mesh kinds served, and one healthy chain: application `shop` bound to namespace `orders`, every link ready. */
export function serveHealthyShop(server: {
  serve(g: string, v: string, p: string): void;
  put(g: string, v: string, p: string, o: Obj): unknown;
}): void {
  serveMesh(server);
  server.put(KYMA, 'v1alpha1', 'applications', application('shop'));
  server.put(KYMA, 'v1alpha1', 'applicationmappings', mapping('shop', 'orders'));
  server.put(SVCAT, 'v1beta1', 'serviceinstances', serviceInstance('shop-events', 'orders', 'shop', [ready('True')]));
  server.put(KNATIVE, 'v1alpha1', 'brokers', knative('Broker', 'default', 'orders', [ready('True')]));
  server.put(KNATIVE, 'v1alpha1', 'triggers', trigger('on-order', 'orders', 'shop', [ready('True')]));
  server.put(SOURCES, 'v1alpha1', 'httpsources', knative('HTTPSource', 'shop', 'kyma-integration', [ready('True')]));
}

/** A kubeconfig (YAML text) for the fake API server at `server`, authenticating with a bearer token. */
export function kubeconfigFor(server: string, token: string): string {
  return stringify({
    'current-context': 'fake',
    clusters: [{ name: 'fake', cluster: { server } }],
    users: [{ name: 'vigil', user: { token } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'vigil' } }],
  });
}
