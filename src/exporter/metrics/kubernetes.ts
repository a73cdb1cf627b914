// The Kubernetes families of docs/metrics.md, rendered at scrape time from the state the kubernetes sources keep:
// vigil_kube_object_ready (StateSet true/false/unknown per watched object) and the vigil_eventmesh_heartbeat_*
// families per application and namespace. Labels are object names only: never a message, URL or secret.
import { escapeLabelValue, familyHeader, formatSecondsFromMs, formatValue } from './text-format.js';

export interface KubeObjectReadySample {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  ready: 'true' | 'false' | 'unknown';
}

export interface HeartbeatSample {
  application: string;
  namespace: string;
  sent: number;
  sendErrors: number;
  received: number;
  receivedAt?: number;
  latencyMs?: number;
}

export interface KubernetesMetricsInput {
  objects: Iterable<KubeObjectReadySample>;
  heartbeats: Iterable<HeartbeatSample>;
}

const READY_STATES = ['true', 'false', 'unknown'] as const;

export const KUBERNETES_FAMILIES = {
  objectReady: familyHeader('vigil_kube_object_ready', 'gauge', 'Ready condition of a watched Kubernetes object as a StateSet: exactly one status is 1.'),
  received: familyHeader('vigil_eventmesh_heartbeat_received_timestamp_seconds', 'gauge', 'Unix time the last heartbeat came back through the event mesh.'),
  latency: familyHeader('vigil_eventmesh_heartbeat_latency_seconds', 'gauge', 'Time the last heartbeat took from send to receipt through the event mesh.'),
  sent: familyHeader('vigil_eventmesh_heartbeats_sent_total', 'counter', 'Heartbeats sent into the event mesh.'),
  sendErrors: familyHeader('vigil_eventmesh_heartbeat_send_errors_total', 'counter', 'Heartbeats the event mesh refused or that could not be sent.'),
  receivedTotal: familyHeader('vigil_eventmesh_heartbeats_received_total', 'counter', 'Heartbeats received back from the event mesh (duplicates not counted).'),
} as const;

/** Text exposition of the Kubernetes families; families without series are left out entirely. */
export function renderKubernetesMetrics(input: KubernetesMetricsInput): string {
  const out: string[] = [];
  const objects = [...input.objects];
  if (objects.length > 0) {
    out.push(KUBERNETES_FAMILIES.objectReady);
    const seen = new Set<string>();
    for (const object of objects) {
      const labels = `group="${escapeLabelValue(object.group)}",kind="${escapeLabelValue(object.kind)}",namespace="${escapeLabelValue(object.namespace)}",name="${escapeLabelValue(object.name)}"`;
      // The same object watched twice (mesh and objects:) is one series set.
      if (seen.has(labels)) continue;
      seen.add(labels);
      for (const state of READY_STATES) out.push(`vigil_kube_object_ready{${labels},status="${state}"} ${state === object.ready ? 1 : 0}\n`);
    }
  }
  const heartbeats = [...input.heartbeats];
  if (heartbeats.length > 0) {
    const labelsOf = (h: HeartbeatSample) => `application="${escapeLabelValue(h.application)}",namespace="${escapeLabelValue(h.namespace)}"`;
    const family = (header: string, name: string, value: (h: HeartbeatSample) => string | undefined) => {
      const lines = heartbeats.flatMap((h) => {
        const v = value(h);
        return v === undefined ? [] : [`${name}{${labelsOf(h)}} ${v}\n`];
      });
      if (lines.length > 0) out.push(header, ...lines);
    };
    family(KUBERNETES_FAMILIES.received, 'vigil_eventmesh_heartbeat_received_timestamp_seconds', (h) =>
      h.receivedAt === undefined ? undefined : formatSecondsFromMs(h.receivedAt),
    );
    family(KUBERNETES_FAMILIES.latency, 'vigil_eventmesh_heartbeat_latency_seconds', (h) => (h.latencyMs === undefined ? undefined : formatValue(h.latencyMs / 1000)));
    family(KUBERNETES_FAMILIES.sent, 'vigil_eventmesh_heartbeats_sent_total', (h) => formatValue(h.sent));
    family(KUBERNETES_FAMILIES.sendErrors, 'vigil_eventmesh_heartbeat_send_errors_total', (h) => formatValue(h.sendErrors));
    family(KUBERNETES_FAMILIES.receivedTotal, 'vigil_eventmesh_heartbeats_received_total', (h) => formatValue(h.received));
  }
  return out.join('');
}
