// deploy/kubernetes: the ClusterRole grants list and watch on exactly the resources the event-mesh source
// watches, the Service carries the scrape annotations, and kustomize renders the whole set.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { KubeClient } from '../../../src/sources/kubernetes/client/api.js';
import { EventMeshSource } from '../../../src/sources/kubernetes/mesh/source.js';
import { parseWebConfig } from '../../../src/web/web-config.js';
import { kubeConfig } from './helpers.js';

const file = (name: string) => readFileSync(new URL(`../../../../deploy/kubernetes/${name}`, import.meta.url), 'utf8');

describe('deploy/kubernetes', () => {
  it('grants list and watch on exactly the watched resources', async () => {
    const client = new KubeClient({ server: 'http://127.0.0.1:1', insecureSkipTlsVerify: false, authorization: () => undefined, origin: 'test' });
    const mesh = new EventMeshSource({
      config: { ...kubeConfig(), event_mesh: { integration_namespace: 'kyma-integration', knative_version: 'v1alpha1' } },
      client,
    });
    const watched = mesh.watches
      .kinds()
      .map((k) => `${k.ref.group}/${k.ref.plural}`)
      .sort();
    const role = parse(file('clusterrole.yaml')) as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    const granted = role.rules.flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.map((resource) => `${group}/${resource}`))).sort();
    assert.deepEqual(granted, watched);
    for (const rule of role.rules) assert.deepEqual(rule.verbs, ['list', 'watch']);
    await client.close();
  });

  it('serves TLS from the vigil-tls Secret through the web config in the ConfigMap, probes over HTTPS', () => {
    const configMap = parse(file('configmap.yaml')) as { data: Record<string, string> };
    type Container = { volumeMounts: { name: string; mountPath: string }[]; readinessProbe: { httpGet: { scheme: string } } };
    type Volume = { name: string; secret?: { secretName: string }; configMap?: { items?: { key: string; path: string }[] } };
    const deployment = parse(file('deployment.yaml')) as { spec: { template: { spec: { containers: Container[]; volumes: Volume[] } } } };
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0]!;
    const mountOf = (path: string) => container.volumeMounts.find((m) => path.startsWith(`${m.mountPath}/`));
    const webConfigFile = (parse(configMap.data['vigil.yml']!) as { web_config_file: string }).web_config_file;
    const webMount = mountOf(webConfigFile)!;
    assert.deepEqual(pod.volumes.find((v) => v.name === webMount.name)?.configMap?.items, [{ key: 'web.yml', path: 'web.yml' }]);
    const web = parseWebConfig(configMap.data['web.yml']!, 'web.yml', '/etc/vigil');
    assert.ok(web.tls && 'file' in web.tls.cert && 'file' in web.tls.key);
    for (const path of [web.tls.cert.file, web.tls.key.file]) {
      assert.equal(pod.volumes.find((v) => v.name === mountOf(path)?.name)?.secret?.secretName, 'vigil-tls', path);
    }
    assert.equal(container.readinessProbe.httpGet.scheme, 'HTTPS');
    const service = parse(file('service.yaml')) as { metadata: { annotations: Record<string, string> } };
    assert.equal(service.metadata.annotations['prometheus.io/scheme'], 'https');
    assert.equal((parse(file('certificate.yaml')) as { spec: { secretName: string } }).spec.secretName, 'vigil-tls');
  });

  it('renders with kustomize, with scrape annotations and the heartbeat example Trigger', () => {
    const service = parse(file('service.yaml')) as { metadata: { annotations: Record<string, string> } };
    assert.equal(service.metadata.annotations['prometheus.io/scrape'], 'true');
    assert.equal(service.metadata.annotations['prometheus.io/port'], '9977');
    const trigger = parse(file('heartbeat-trigger.yaml')) as {
      spec: { filter: { attributes: Record<string, string> }; subscriber: { uri: string } };
    };
    assert.equal(trigger.spec.filter.attributes['type'], 'io.vigil.heartbeat');
    assert.match(trigger.spec.subscriber.uri, /\/api\/v1\/heartbeats\?namespace=orders$/);
    let rendered: string;
    try {
      rendered = execFileSync('kubectl', ['kustomize', new URL('../../../../deploy/kubernetes', import.meta.url).pathname], { encoding: 'utf8' });
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') throw new Error('this test needs kubectl (kustomize built in): install kubectl');
      throw error;
    }
    const kinds = parseAllDocuments(rendered)
      .map((doc) => (doc.toJS() as { kind: string }).kind)
      .sort();
    assert.deepEqual(kinds, ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Namespace', 'Secret', 'Service', 'ServiceAccount']);
  });
});
