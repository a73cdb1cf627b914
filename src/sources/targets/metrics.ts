// The measurements a probe may report, declared once: each `metrics` key of a probe result with the
// `vigil_probe_*` family that exposes it. The exporter derives its probe families from this table
// (exporter/metrics/families.ts), so a new key here is a new series on /metrics; docs/metrics.md describes them.

export interface ProbeMetricDef {
  /** The family name; keys that share one differ by `stat`. */
  family: string;
  help: string;
  /** The `stat` label value when several keys feed one family (ICMP round trip: min, avg, max). */
  stat?: string;
}

const RTT = {
  family: 'vigil_probe_icmp_rtt_seconds',
  help: 'ICMP round-trip time of the last probe by statistic (min, avg, max).',
} as const;

/** In /metrics output order (families in order of their first key). */
export const PROBE_METRICS = {
  duration_seconds: { family: 'vigil_probe_duration_seconds', help: 'Duration of the last probe.' },
  response_bytes: { family: 'vigil_probe_response_bytes', help: 'Size of the response body of the last probe.' },
  http_status_code: { family: 'vigil_probe_http_status_code', help: 'HTTP status code of the last probe response.' },
  icmp_packet_loss_ratio: {
    family: 'vigil_probe_icmp_packet_loss_ratio',
    help: 'Fraction of ICMP echo requests of the last probe that got no reply.',
  },
  tls_cert_expiry_timestamp_seconds: {
    family: 'vigil_probe_tls_cert_expiry_timestamp_seconds',
    help: 'Unix time the earliest certificate of the chain presented to the last probe expires.',
  },
  icmp_rtt_min_seconds: { ...RTT, stat: 'min' },
  icmp_rtt_avg_seconds: { ...RTT, stat: 'avg' },
  icmp_rtt_max_seconds: { ...RTT, stat: 'max' },
} as const satisfies Record<string, ProbeMetricDef>;

/** A measurement key a probe may report. */
export type ProbeMetric = keyof typeof PROBE_METRICS;
