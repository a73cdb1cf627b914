// The metric contract, from its single source of truth: the renderers themselves. Every renderer is run on an
// input that makes it write every family it can write, and the `# TYPE` lines of the output are the contract.
// docs/metrics.md is checked against this list (contract.test.ts); dashboards and rules take it from here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAgentMetrics } from '../../../src/sources/agents/metrics.js';
import { renderBoundsMetrics } from '../../../src/exporter/metrics/bounds.js';
import { renderClusterMetrics } from '../../../src/exporter/metrics/cluster.js';
import { renderKubernetesMetrics } from '../../../src/sources/kubernetes/metrics.js';
import { renderMaintenance } from '../../../src/exporter/metrics/maintenance.js';
import { Maintenance } from '../../../src/maintenance/registry.js';
import { renderPractableMetrics } from '../../../src/sources/practable/metrics.js';
import { probeSchema } from '../../../src/config/probe-modules.js';
import { MetricsSelection } from '../../../src/exporter/metrics/selection.js';
import { createMetricsEndpoint } from '../../../src/exporter/metrics/self.js';
import { probeRoutes } from '../../../src/exporter/probe-endpoint.js';
import { REPO_ROOT } from '../../helpers/repo-root.js';
import { parseExposition } from './exposition-parser.js';
import { makeCheck, realisticState, T0 } from './factory.js';

/** Every family of every renderer, fully populated: core (subjects, checks, probes, sources, self), maintenance, each source's. */
export async function renderEveryFamily(): Promise<string> {
  const state = realisticState();
  // A target that presented a TLS certificate (download over https).
  state.subjects.get('lab-1')!.checks['https'] = makeCheck('https', {
    metrics: { duration_seconds: 0.2, tls_cert_expiry_timestamp_seconds: T0 / 1000 + 86_400 },
  });
  // Run records (vigil_check_runs_total, vigil_check_last_run) and a dependency (vigil_subject_dependency_down on
  // lab-1, vigil_subject_dependants on the web target it depends on).
  const lab = state.subjects.get('lab-1')!;
  lab.runs = { https: { total: 4, last: { ok: 2, unreachable: 4 } } };
  const web = [...state.subjects.keys()].find((id) => id !== 'lab-1')!;
  lab.spec.dependsOn = [{ id: web, lag: 0 }];
  state.dependents.set(web, new Set(['lab-1']));
  const endpoint = createMetricsEndpoint({
    state: () => state,
    storeStats: () => ({ transactions: 1, rowsWritten: 2, lastFlushDurationMs: 3, pendingSubjects: 0, sizeBytes: 4096 }),
    version: '0.0.0-test',
    selection: new MetricsSelection({ include: ['*'] }), // every family, the opt-in ones too
  });
  probeRoutes(probeSchema.parse({}), endpoint.registry); // the blackbox-compatible /probe adds its counter family
  await endpoint.render(); // the scrape self-metrics appear from the second scrape on
  const core = (await endpoint.render()).body;
  const practable = renderPractableMetrics({
    streams: [{ experiment: 'pend00', stream: 'st-data', lastTxAt: T0, fps: 25 }],
    experiments: [{ experiment: 'pend00', available: true }],
    frames: [{ source: 'relay', count: 3 }],
    malformed: [{ source: 'relay', reason: 'not_json', count: 1 }],
    availabilityUpdates: { ok: 1, error: 0 },
  });
  const kubernetes = renderKubernetesMetrics({
    objects: [{ group: 'eventing.knative.dev', kind: 'Trigger', namespace: 'default', name: 't', ready: 'true' }],
    heartbeats: [{ application: 'app', namespace: 'default', sent: 2, sendErrors: 0, received: 1, receivedAt: T0, latencyMs: 40 }],
  });
  // A maintenance window open now over every subject (vigil_subject_maintenance).
  const maintenance = new Maintenance({ loadMaintenance: () => [], saveMaintenance: () => undefined, deleteMaintenance: () => undefined });
  maintenance.add({ match: {}, reason: 'contract', startsAt: T0 - 60_000, endsAt: T0 + 60_000 });
  const windows = renderMaintenance(state, maintenance, T0);
  const agents = renderAgentMetrics({ connected: 1, connectionsTotal: 2, webhook: { delivered: 1, failed: 0, dropped: 0, queued: 0 } });
  const cluster = renderClusterMetrics({
    shardsHeld: 22,
    liveReplicas: 3,
    validForMs: 8_000,
    lastRenewalAt: T0,
    renewals: 10,
    renewalFailures: 1,
    forwarded: { ok: 5, failed: 0, refused: 1 },
    relayed: { delivered: 7, dropped: 0, pending: 2 },
  });
  const bounds = renderBoundsMetrics({ streamsOpen: 1, streamsDropped: 0, connections: { open: 3, cap: 4096, evicted: 0 } });
  return core + windows + practable + kubernetes + agents + bounds + cluster;
}

/** vigil_* family names the renderers write (the contract). */
export async function exposedFamilies(): Promise<Set<string>> {
  const families = parseExposition(await renderEveryFamily()).families;
  return new Set([...families.keys()].filter((name) => name.startsWith('vigil_')));
}

/** vigil_* family names docs/metrics.md documents: the first column of its tables (`{a,b}` alternatives expanded). */
export function documentedFamilies(): Set<string> {
  const text = readFileSync(join(REPO_ROOT, 'docs', 'metrics.md'), 'utf8');
  const names = new Set<string>();
  for (const match of text.matchAll(/^\| `(vigil_[a-z_{},]+)` \|/gm)) {
    const name = match[1]!;
    const braces = /\{([^}]+)\}/.exec(name);
    if (braces) for (const part of braces[1]!.split(',')) names.add(name.replace(braces[0], part));
    else names.add(name);
  }
  return names;
}
