// The Kubernetes families of docs/metrics.md, rendered at scrape time from the state the kubernetes sources keep:
// vigil_kube_object_ready (StateSet true/false/unknown per watched object) and the vigil_eventmesh_heartbeat_*
// families per application and namespace. Labels are object names only: never a message, URL or secret.
import { D, familyEntry, NONE, type FamilyEntry } from '../../exporter/metrics/family-table.js';
import { family, type FamilyDef } from '../../exporter/metrics/families.js';
import { escapeLabelValue, formatSecondsFromMs, formatValue } from '../../exporter/metrics/text-format.js';
import { labelledSample, optionalFamily, writtenText } from '../../exporter/metrics/whole-families.js';
import type { ExpositionWriter } from '../../exporter/metrics/writer.js';

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
  objectReady: family('vigil_kube_object_ready', 'gauge', 'Ready condition of a watched Kubernetes object as a StateSet: exactly one status is 1.'),
  received: family('vigil_eventmesh_heartbeat_received_timestamp_seconds', 'gauge', 'Unix time the last heartbeat came back through the event mesh.'),
  latency: family('vigil_eventmesh_heartbeat_latency_seconds', 'gauge', 'Time the last heartbeat took from send to receipt through the event mesh.'),
  sent: family('vigil_eventmesh_heartbeats_sent_total', 'counter', 'Heartbeats sent into the event mesh.'),
  sendErrors: family('vigil_eventmesh_heartbeat_send_errors_total', 'counter', 'Heartbeats the event mesh refused or that could not be sent.'),
  receivedTotal: family(
    'vigil_eventmesh_heartbeats_received_total',
    'counter',
    'Heartbeats received back from the event mesh (duplicates not counted).',
  ),
} as const;

/** Their rows of the family table (exporter/metrics/selection.ts): cost, defaults and what reads them. */
export const KUBERNETES_FAMILY_ROWS: readonly FamilyEntry[] = [
  familyEntry('vigil_kube_object_ready', 'kubernetes', 3, D, true),
  familyEntry('vigil_eventmesh_heartbeat_received_timestamp_seconds', 'kubernetes', 1, D, true, true),
  familyEntry('vigil_eventmesh_heartbeat_latency_seconds', 'kubernetes', 1, D, true, true),
  familyEntry('vigil_eventmesh_heartbeats_sent_total', 'kubernetes', 1, NONE, true),
  familyEntry('vigil_eventmesh_heartbeat_send_errors_total', 'kubernetes', 1, NONE, true),
  familyEntry('vigil_eventmesh_heartbeats_received_total', 'kubernetes', 1, NONE, true),
];

/** Writes the Kubernetes families; families without series are left out entirely. */
export function writeKubernetesFamilies(w: ExpositionWriter, input: KubernetesMetricsInput, enabled: (family: string) => boolean = () => true): void {
  const f = KUBERNETES_FAMILIES;
  if (enabled(f.objectReady.name)) {
    optionalFamily(w, f.objectReady, () => {
      const seen = new Set<string>();
      for (const object of input.objects) {
        const labels =
          `group="${escapeLabelValue(object.group)}",kind="${escapeLabelValue(object.kind)}",` +
          `namespace="${escapeLabelValue(object.namespace)}",name="${escapeLabelValue(object.name)}"`;
        // The same object watched twice (mesh and objects:) is one series set.
        if (seen.has(labels)) continue;
        seen.add(labels);
        for (const state of READY_STATES) labelledSample(w, f.objectReady, `${labels},status="${state}"`, state === object.ready ? '1' : '0');
      }
      return seen.size;
    });
  }
  const heartbeats = [...input.heartbeats];
  if (heartbeats.length === 0) return;
  const labels = heartbeats.map((h) => `application="${escapeLabelValue(h.application)}",namespace="${escapeLabelValue(h.namespace)}"`);
  const heartbeatFamily = (def: FamilyDef, value: (h: HeartbeatSample) => string | undefined): void => {
    if (!enabled(def.name)) return;
    optionalFamily(w, def, () => {
      let written = 0;
      heartbeats.forEach((h, i) => {
        const v = value(h);
        if (v === undefined) return;
        labelledSample(w, def, labels[i]!, v);
        written++;
      });
      return written;
    });
  };
  heartbeatFamily(f.received, (h) => (h.receivedAt === undefined ? undefined : formatSecondsFromMs(h.receivedAt)));
  heartbeatFamily(f.latency, (h) => (h.latencyMs === undefined ? undefined : formatValue(h.latencyMs / 1000)));
  heartbeatFamily(f.sent, (h) => formatValue(h.sent));
  heartbeatFamily(f.sendErrors, (h) => formatValue(h.sendErrors));
  heartbeatFamily(f.receivedTotal, (h) => formatValue(h.received));
}

/** The same families as text (tests and the benchmark). */
export const renderKubernetesMetrics = (input: KubernetesMetricsInput): string => writtenText((w) => writeKubernetesFamilies(w, input));
