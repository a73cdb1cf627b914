// The table of probe types: one entry per `type:` of the targets config, each turning a validated target into the
// function the scheduler runs. The mapped type makes a new target type without a probe a compile error.
// Shared limits (max_duration, warn_duration, certificate expiry) are applied here once, after every probe.
import type { TargetConfig, TargetType } from '../../config/targets.js';
import { applyLimits } from './conditions.js';
import { type AgentPool, prepareDownload, probeDownload } from './download.js';
import { probeDns } from './dns.js';
import { createFilewriteProbe, type FilewriteFs } from './filewrite.js';
import { probeGrpc } from './grpc.js';
import { probeHostport } from './hostport.js';
import { createPingProbe } from './ping.js';
import type { ProbeResult } from './probe.js';
import { probeTcp } from './tcp.js';
import { withTlsOptions, type ReadFile } from './tls.js';

export type RunProbe = (signal: AbortSignal) => Promise<ProbeResult>;

/** What probe factories may need besides their target; built once per source. */
export interface ProbeContext {
  agents: AgentPool;
  readFile?: ReadFile | undefined;
  pingCommand?: string | undefined;
  filewriteFs?: FilewriteFs | undefined;
}

type ProbeFactory<T extends TargetConfig> = (target: T, context: ProbeContext) => RunProbe;

export const PROBE_TYPES: { [K in TargetType]: ProbeFactory<Extract<TargetConfig, { type: K }>> } = {
  ping: (target, context) => {
    const probe = createPingProbe(context.pingCommand);
    return (signal) => probe(target, signal);
  },
  hostport: (target) => (signal) => probeHostport(target, signal),
  filewrite: (target, context) => {
    const probe = createFilewriteProbe(context.filewriteFs);
    return (signal) => probe(target, signal);
  },
  download: (target, context) => {
    const prepared = prepareDownload(target, context.agents, context.readFile);
    return (signal) => probeDownload(prepared, signal);
  },
  tcp: (target, context) => {
    const prepared = withTlsOptions(target, context.readFile);
    return (signal) => probeTcp(prepared, signal);
  },
  dns: (target) => (signal) => probeDns(target, signal),
  grpc: (target, context) => {
    const prepared = withTlsOptions(target, context.readFile);
    return (signal) => probeGrpc(prepared, signal);
  },
};

/** The runner of one target: its probe, then the limits every probe shares. `now` reads the wall clock (ms). */
export function createProbeRunner(target: TargetConfig, context: ProbeContext, now: () => number = Date.now): RunProbe {
  const factory = PROBE_TYPES[target.type] as ProbeFactory<TargetConfig>;
  const run = factory(target, context);
  return async (signal) => applyLimits(await run(signal), target, now());
}
