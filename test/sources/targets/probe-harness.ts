// Runs one target, as the targets source does (probe from the registry, then the shared limits), from the same
// YAML-shaped fields a user writes. Every probe test parses its target through the real config schema.
import assert from 'node:assert/strict';
import type { AddressInfo, Server } from 'node:net';
import { targetsSchema, type TargetConfig } from '../../../src/config/targets.js';
import { AgentPool } from '../../../src/sources/targets/download.js';
import type { ProbeResult } from '../../../src/sources/targets/probe.js';
import { createProbeRunner, PROBE_TYPES } from '../../../src/sources/targets/registry.js';

export function parseTarget(fields: Record<string, unknown>): TargetConfig {
  const [parsed] = targetsSchema.parse([{ name: 't', interval: '30s', timeout: '5s', ...fields }]);
  return parsed!;
}

export class ProbeHarness {
  readonly agents = new AgentPool();
  private readonly servers: Server[] = [];

  /**
   * Runs the target once; `now` is the wall clock the limits judge certificate expiry against. Every result is
   * checked to carry only the metric keys its probe type declares (registry.ts), so the exporter knows them all.
   */
  async run(fields: Record<string, unknown>, options: { now?: number; signal?: AbortSignal } = {}): Promise<ProbeResult> {
    const target = parseTarget(fields);
    const runner = createProbeRunner(target, { agents: this.agents }, () => options.now ?? Date.now());
    const result = await runner(options.signal ?? AbortSignal.timeout(5_000));
    const declared: readonly string[] = PROBE_TYPES[target.type].metrics;
    for (const key of Object.keys(result.metrics)) assert.ok(declared.includes(key), `${target.type} reported ${key}, which it does not declare`);
    return result;
  }

  async listen<T extends Server>(server: T, host = '127.0.0.1'): Promise<number> {
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await this.agents.close();
    for (const server of this.servers) {
      (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
