// The table of probe types: one entry per `type:` of the targets config, giving its config schema, the metric keys
// it may report and the factory that turns a validated target into the function the scheduler runs. The mapped
// type makes a target type without a probe, a schema or its metrics a compile error.
// Shared limits (max_duration, warn_duration, certificate expiry) are applied here once, after every probe.
import { TARGET_SCHEMAS, type TargetConfig, type TargetType } from '../../config/targets.js';
import { applyLimits } from './conditions.js';
import { createDnsProbe } from './dns.js';
import { type AgentPool, createDownloadProbe } from './download.js';
import { createFilewriteProbe, type FilewriteFs } from './filewrite.js';
import { createGrpcProbe } from './grpc.js';
import { createHostportProbe } from './hostport.js';
import type { ProbeMetric } from './metrics.js';
import { assertPingUsable, createPingProbe } from './ping.js';
import type { ProbeFactory, RunProbe } from './probe.js';
import { createTcpProbe } from './tcp.js';
import type { ReadFile } from './tls.js';

/** What probe factories may need besides their target; built once per source. */
export interface ProbeContext {
  agents: AgentPool;
  readFile?: ReadFile | undefined;
  pingCommand?: string | undefined;
  filewriteFs?: FilewriteFs | undefined;
}

export interface ProbeType<K extends TargetType> {
  /** The config schema of `type: K` (config/targets.ts). */
  schema: (typeof TARGET_SCHEMAS)[K];
  /** The measurement keys its results may carry (metrics.ts: each feeds a `vigil_probe_*` family). */
  metrics: readonly ProbeMetric[];
  create: ProbeFactory<Extract<TargetConfig, { type: K }>, ProbeContext>;
  /** Throws at source creation when the probe cannot work on this host (a missing binary). */
  assertUsable?: (context: ProbeContext) => void;
}

const TLS_METRICS = ['duration_seconds', 'tls_cert_expiry_timestamp_seconds'] as const;

export const PROBE_TYPES: { [K in TargetType]: ProbeType<K> } = {
  ping: {
    schema: TARGET_SCHEMAS.ping,
    metrics: ['duration_seconds', 'icmp_packet_loss_ratio', 'icmp_rtt_min_seconds', 'icmp_rtt_avg_seconds', 'icmp_rtt_max_seconds'],
    create: createPingProbe,
    assertUsable: (context) => assertPingUsable(context.pingCommand),
  },
  hostport: { schema: TARGET_SCHEMAS.hostport, metrics: ['duration_seconds'], create: createHostportProbe },
  filewrite: { schema: TARGET_SCHEMAS.filewrite, metrics: ['duration_seconds', 'response_bytes'], create: createFilewriteProbe },
  download: {
    schema: TARGET_SCHEMAS.download,
    metrics: ['duration_seconds', 'response_bytes', 'http_status_code', 'tls_cert_expiry_timestamp_seconds'],
    create: createDownloadProbe,
  },
  tcp: { schema: TARGET_SCHEMAS.tcp, metrics: TLS_METRICS, create: createTcpProbe },
  dns: { schema: TARGET_SCHEMAS.dns, metrics: ['duration_seconds'], create: createDnsProbe },
  grpc: { schema: TARGET_SCHEMAS.grpc, metrics: TLS_METRICS, create: createGrpcProbe },
};

/** Checks once per type in use that its probes can work on this host; throws what to install otherwise. */
export function assertProbesUsable(targets: readonly TargetConfig[], context: ProbeContext): void {
  for (const type of new Set(targets.map((target) => target.type))) PROBE_TYPES[type].assertUsable?.(context);
}

/** The runner of one target: its probe, then the limits every probe shares. `now` reads the wall clock (ms). */
export function createProbeRunner(target: TargetConfig, context: ProbeContext, now: () => number = Date.now): RunProbe {
  // The table pairs each type with its own factory, which TypeScript cannot follow through an indexed union.
  const create = PROBE_TYPES[target.type].create as ProbeFactory<TargetConfig, ProbeContext>;
  const run = create(target, context);
  return async (signal) => applyLimits(await run(signal), target, now());
}
