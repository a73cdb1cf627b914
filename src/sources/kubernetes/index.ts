// How the kubernetes part plugs into `vigil serve` (src/extensions.ts): the event-mesh source with its heartbeat
// sender and receiver, the generic objects source, and their /metrics families.
import { randomBytes } from 'node:crypto';
import type { Extension, ExtensionDefinition } from '../extension.js';
import { servedByPoller } from '../served-by-poller.js';
import type { Source } from '../types.js';
import { KubeClient } from './client/api.js';
import { kubernetesSection, type KubernetesConfig } from './config.js';
import { resolveConnection } from './client/connection.js';
import { HeartbeatMonitor } from './heartbeat/monitor.js';
import { heartbeatRoutes } from './heartbeat/receiver.js';
import { HeartbeatSender } from './heartbeat/sender.js';
import { KUBERNETES_FAMILY_ROWS, writeKubernetesFamilies } from './metrics.js';
import { EventMeshSource, MESH_SOURCE } from './mesh/source.js';
import { ObjectsSource } from './objects.js';
import type { ObjectReadiness } from './watch-set.js';

export { EventMeshSource, EVENT_MESH_SUBJECT, MESH_SOURCE, applicationSubject } from './mesh/source.js';
export { ObjectsSource, OBJECTS_SOURCE, objectSubject } from './objects.js';

export const kubernetesExtension = {
  name: 'kubernetes',
  routes: [{ path: /^\/api\/v1\/heartbeats$/, methods: 'POST' }],
  section: kubernetesSection,
  families: KUBERNETES_FAMILY_ROWS,
  create: ({ section, auth, log, cluster }) => {
    if (!section) return undefined;
    if (!section.event_mesh && section.objects.length === 0) {
      log.warn('kubernetes: neither event_mesh nor objects is configured; nothing to watch');
      return undefined;
    }
    const connection = resolveConnection({
      ...(section.kubeconfig ? { kubeconfig: section.kubeconfig } : {}),
      ...(section.context ? { context: section.context } : {}),
    });
    log.info({ server: connection.server, origin: connection.origin }, 'kubernetes: API server');
    const client = new KubeClient(connection);
    const onError = (message: string) => log.warn(message);
    const sources: Source[] = [];
    const extension: Extension = { sources };

    let monitor: HeartbeatMonitor | undefined;
    let mesh: EventMeshSource | undefined;
    if (section.event_mesh) {
      const meshConfig = { ...section, event_mesh: section.event_mesh };
      const beat = section.event_mesh.heartbeat;
      let heartbeat: ConstructorParameters<typeof EventMeshSource>[0]['heartbeat'];
      if (beat) {
        // The sender and the receiver that checks its signatures are the same process (with replicas, the one running
        // the mesh source: the others forward heartbeats to it), so a key made up at start works; secret_file pins it.
        const key = beat.secret ?? randomBytes(32).toString('hex');
        monitor = new HeartbeatMonitor(beat.interval, beat.freshness);
        heartbeat = {
          monitor,
          sender: new HeartbeatSender({ config: beat, integrationNamespace: section.event_mesh.integration_namespace, key, monitor }),
        };
        extension.routes = heartbeatRoutes({
          monitor,
          auth,
          key,
          type: beat.type,
          onReceived: (application, namespace) => mesh?.heartbeatReceived(application, namespace),
          ...(cluster && { servedByPoller: servedByPoller(cluster, MESH_SOURCE) }),
        });
      }
      mesh = new EventMeshSource({ config: meshConfig, client, ...(heartbeat ? { heartbeat } : {}), onError });
      sources.push(mesh);
    }
    let objects: ObjectsSource | undefined;
    if (section.objects.length > 0) {
      objects = new ObjectsSource({ config: section, client, onError });
      sources.push(objects);
    }

    extension.metrics = (w, enabled) =>
      writeKubernetesFamilies(
        w,
        { objects: concat<ObjectReadiness>(mesh?.watches.objectReadiness(), objects?.watches.objectReadiness()), heartbeats: monitor?.pairs() ?? [] },
        enabled,
      );
    extension.stop = () => client.close();
    return extension;
  },
} satisfies ExtensionDefinition<KubernetesConfig>;

function* concat<T>(...parts: (Iterable<T> | undefined)[]): Iterable<T> {
  for (const part of parts) if (part) yield* part;
}
