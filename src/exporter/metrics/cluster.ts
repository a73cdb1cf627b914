// vigil_cluster_*: what one replica knows about its holds and the cluster, as text exposition (docs/metrics.md).
import { SHARD_COUNT } from '../../cluster/shards.js';

export interface ClusterMetricsInput {
  shardsHeld: number;
  liveReplicas: number;
  validForMs: number;
  lastRenewalAt: number | undefined;
  renewals: number;
  renewalFailures: number;
  forwarded: { ok: number; failed: number; refused: number };
  /** Source calls this replica's polling sources made about subjects other replicas own. */
  relayed: { delivered: number; dropped: number; pending: number };
}

export function renderClusterMetrics(input: ClusterMetricsInput): string {
  const lines = [
    '# HELP vigil_cluster_shards Shards the subjects are split into (fixed).',
    '# TYPE vigil_cluster_shards gauge',
    `vigil_cluster_shards ${SHARD_COUNT}`,
    '# HELP vigil_cluster_shards_held Shards this replica holds and evaluates now.',
    '# TYPE vigil_cluster_shards_held gauge',
    `vigil_cluster_shards_held ${input.shardsHeld}`,
    '# HELP vigil_cluster_replicas Replicas with a heartbeat within the hold TTL, as this replica last saw them.',
    '# TYPE vigil_cluster_replicas gauge',
    `vigil_cluster_replicas ${input.liveReplicas}`,
    '# HELP vigil_cluster_hold_valid_seconds How long this replica may still use its shards without another renewal.',
    '# TYPE vigil_cluster_hold_valid_seconds gauge',
    `vigil_cluster_hold_valid_seconds ${(input.validForMs / 1000).toFixed(3)}`,
    '# HELP vigil_cluster_last_heartbeat_timestamp_seconds When this replica last renewed its holds and heartbeat.',
    '# TYPE vigil_cluster_last_heartbeat_timestamp_seconds gauge',
    `vigil_cluster_last_heartbeat_timestamp_seconds ${((input.lastRenewalAt ?? 0) / 1000).toFixed(3)}`,
    '# HELP vigil_cluster_renewals_total Hold renewals by result.',
    '# TYPE vigil_cluster_renewals_total counter',
    `vigil_cluster_renewals_total{result="ok"} ${input.renewals}`,
    `vigil_cluster_renewals_total{result="failed"} ${input.renewalFailures}`,
    '# HELP vigil_cluster_forwarded_requests_total Requests sent on to the replica that answers them ' +
      '(the owner of a subject, the runner of a polling source), by result.',
    '# TYPE vigil_cluster_forwarded_requests_total counter',
    ...Object.entries(input.forwarded).map(([result, count]) => `vigil_cluster_forwarded_requests_total{result="${result}"} ${count}`),
    '# HELP vigil_cluster_relayed_source_calls_total Source reports about subjects other replicas own, sent to their owner, by result.',
    '# TYPE vigil_cluster_relayed_source_calls_total counter',
    `vigil_cluster_relayed_source_calls_total{result="delivered"} ${input.relayed.delivered}`,
    `vigil_cluster_relayed_source_calls_total{result="dropped"} ${input.relayed.dropped}`,
    '# HELP vigil_cluster_relayed_source_calls_pending Source reports waiting to reach their owner (retried while a shard moves).',
    '# TYPE vigil_cluster_relayed_source_calls_pending gauge',
    `vigil_cluster_relayed_source_calls_pending ${input.relayed.pending}`,
  ];
  return `${lines.join('\n')}\n`;
}
