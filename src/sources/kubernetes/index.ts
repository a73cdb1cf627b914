// How the kubernetes part plugs into `vigil serve` (src/extensions.ts): the event-mesh source with its heartbeat
// sender and receiver, the generic objects source, and their /metrics families.
import { randomBytes } from 'node:crypto';
import * as engine from '../../engine/index.js';
import { renderKubernetesMetrics } from '../../exporter/metrics/kubernetes.js';
import type { Extension, ExtensionFactory } from '../../extensions.js';
import type { Vigil } from '../../runtime/vigil.js';
import type { Source } from '../types.js';
import { KubeClient } from './client/api.js';
import { resolveConnection } from './client/connection.js';
import { HeartbeatMonitor } from './heartbeat/monitor.js';
import { heartbeatRoutes } from './heartbeat/receiver.js';
import { HeartbeatSender } from './heartbeat/sender.js';
import { EventMeshSource } from './mesh/source.js';
import { ObjectsSource } from './objects.js';
import type { ObjectReadiness } from './watch-set.js';

export { EventMeshSource, EVENT_MESH_SUBJECT, MESH_SOURCE, applicationSubject } from './mesh/source.js';
export { ObjectsSource, OBJECTS_SOURCE, objectSubject } from './objects.js';

/** Engine access the sources need beyond the sink: reading health and removing subjects whose object is gone. */
export function subjectAccess(vigil: Vigil, source: string) {
  return {
    healthOf: (id: string) => vigil.state.subjects.get(id)?.health,
    removeSubject: (id: string) => {
      if (vigil.state.subjects.has(id)) vigil.apply((state, now) => engine.removeSubject(state, id, now));
    },
    ownedSubjects: () => [...vigil.state.subjects.values()].filter((s) => s.spec.source === source).map((s) => s.spec.id),
  };
}

export const kubernetesExtension: ExtensionFactory = ({ config, vigil, auth, log }) => {
  const section = config.kubernetes;
  if (!section) return undefined;
  if (!section.event_mesh && section.objects.length === 0) {
    log.warn('kubernetes: neither event_mesh nor objects is configured; nothing to watch');
    return undefined;
  }
  const connection = resolveConnection({ ...(section.kubeconfig ? { kubeconfig: section.kubeconfig } : {}), ...(section.context ? { context: section.context } : {}) });
  log.info({ server: connection.server, origin: connection.origin }, 'kubernetes: API server');
  const client = new KubeClient(connection);
  const onError = (message: string) => log.warn(message);
  const sources: Source[] = [];
  const extension: Extension = { name: 'kubernetes', sources };

  let monitor: HeartbeatMonitor | undefined;
  let mesh: EventMeshSource | undefined;
  if (section.event_mesh) {
    const meshConfig = { ...section, event_mesh: section.event_mesh };
    const beat = section.event_mesh.heartbeat;
    let heartbeat: ConstructorParameters<typeof EventMeshSource>[0]['heartbeat'];
    if (beat) {
      // Sender and receiver are this process, so a random key works for one replica; secret_file for more.
      const key = beat.secret ?? randomBytes(32).toString('hex');
      monitor = new HeartbeatMonitor(beat.interval, beat.freshness);
      heartbeat = { monitor, sender: new HeartbeatSender({ config: beat, integrationNamespace: section.event_mesh.integration_namespace, key, monitor }) };
      extension.routes = heartbeatRoutes({
        monitor,
        auth,
        key,
        type: beat.type,
        onReceived: (application, namespace) => mesh?.heartbeatReceived(application, namespace),
      });
    }
    const access = subjectAccess(vigil, 'kubernetes-event-mesh');
    mesh = new EventMeshSource({ config: meshConfig, client, ...access, ...(heartbeat ? { heartbeat } : {}), onError });
    sources.push(mesh);
  }
  let objects: ObjectsSource | undefined;
  if (section.objects.length > 0) {
    const { removeSubject, ownedSubjects } = subjectAccess(vigil, 'kubernetes-objects');
    objects = new ObjectsSource({ config: section, client, removeSubject, ownedSubjects, onError });
    sources.push(objects);
  }

  extension.metrics = () =>
    renderKubernetesMetrics({
      objects: concat<ObjectReadiness>(mesh?.watches.objectReadiness(), objects?.watches.objectReadiness()),
      heartbeats: monitor?.pairs() ?? [],
    });
  extension.stop = () => client.close();
  return extension;
};

function* concat<T>(...parts: (Iterable<T> | undefined)[]): Iterable<T> {
  for (const part of parts) if (part) yield* part;
}
