// Cost of one event-mesh evaluation (evaluateChains over every watched object) and of rendering the kubernetes
// metric families, at Kyma sizes well beyond real clusters. `npm run build && node dist/bench/kubernetes.js`.
import { performance } from 'node:perf_hooks';
import { renderKubernetesMetrics } from '../src/sources/kubernetes/metrics.js';
import type { KubeObject } from '../src/sources/kubernetes/client/api.js';
import { evaluateChains, type KindView } from '../src/sources/kubernetes/mesh/chain.js';

const APPS = Number(process.env['APPS'] ?? 1000);
const NAMESPACES = Number(process.env['NAMESPACES'] ?? 200);
const BINDINGS_PER_APP = 2;
const ready = { conditions: [{ type: 'Ready', status: 'True' }], observedGeneration: 1 };
const obj = (name: string, namespace: string | undefined, extra: Partial<KubeObject> = {}): KubeObject => ({
  metadata: { name, ...(namespace ? { namespace } : {}), generation: 1 },
  ...extra,
});

const applications: KubeObject[] = [];
const mappings: KubeObject[] = [];
const instances: KubeObject[] = [];
const triggers: KubeObject[] = [];
const httpsources: KubeObject[] = [];
const brokers: KubeObject[] = [];
for (let n = 0; n < NAMESPACES; n++) brokers.push(obj('default', `ns${n}`, { status: ready }));
for (let a = 0; a < APPS; a++) {
  const app = `app${a}`;
  applications.push(obj(app, undefined, { status: { installationStatus: { status: 'deployed' } } }));
  httpsources.push(obj(app, 'kyma-integration', { status: ready }));
  for (let b = 0; b < BINDINGS_PER_APP; b++) {
    const ns = `ns${(a * 7 + b * 13) % NAMESPACES}`;
    mappings.push(obj(app, ns));
    instances.push(
      obj(`${app}-events`, ns, { spec: { serviceClassExternalName: `${app}-events-x1` }, status: { ...ready, provisionStatus: 'Provisioned' } }),
    );
    triggers.push(obj(`${app}-on-event`, ns, { spec: { broker: 'default', filter: { attributes: { source: app } } }, status: ready }));
  }
}
const known = (objects: KubeObject[]): KindView => ({ state: 'known', objects });
const input = {
  integrationNamespace: 'kyma-integration',
  applications: known(applications),
  mappings: known(mappings),
  instances: known(instances),
  triggers: known(triggers),
  brokers: known(brokers),
  httpsources: known(httpsources),
};

function time(label: string, runs: number, fn: () => number): void {
  fn(); // warm up
  const samples: number[] = [];
  let size = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    size = fn();
    samples.push(performance.now() - started);
  }
  samples.sort((x, y) => x - y);
  console.log(`${label}: median ${samples[Math.floor(runs / 2)]!.toFixed(1)} ms, max ${samples[runs - 1]!.toFixed(1)} ms (${size})`);
}

const total = applications.length + mappings.length + instances.length + triggers.length + brokers.length + httpsources.length;
console.log(`${APPS} applications, ${NAMESPACES} namespaces, ${total} objects`);
time('evaluateChains', 20, () => evaluateChains(input)!.reduce((sum, chain) => sum + chain.checks.length, 0));
const all = [...applications, ...mappings, ...instances, ...triggers, ...brokers, ...httpsources];
time(
  'render vigil_kube_object_ready',
  20,
  () =>
    renderKubernetesMetrics({
      objects: all.map((o) => ({ group: 'g', kind: 'K', namespace: o.metadata.namespace ?? '', name: o.metadata.name, ready: 'true' as const })),
      heartbeats: [],
    }).length,
);
