// docs/metrics.md: the exposition passes `promtool check metrics` with no findings. This runs the real linter
// (Debian's prometheus package) on a realistic /metrics body, self-metrics included.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderAgentMetrics } from '../../../src/sources/agents/metrics.js';
import { renderBoundsMetrics } from '../../../src/exporter/metrics/bounds.js';
import { renderMaintenance } from '../../../src/exporter/metrics/maintenance.js';
import { createMetricsEndpoint } from '../../../src/exporter/metrics/self.js';
import { Maintenance } from '../../../src/maintenance/registry.js';
import { makeCheck, makeSubject, realisticState } from './factory.js';
import { MetricsSelection } from '../../../src/exporter/metrics/selection.js';

const PROMTOOL = '/usr/bin/promtool';

describe('promtool check metrics', () => {
  it('finds nothing to report on a realistic exposition', async () => {
    assert.ok(existsSync(PROMTOOL), "promtool not found: install Debian's prometheus package: apt-get install prometheus");
    const state = realisticState();
    for (let i = 0; i < 20; i++) {
      const host = makeSubject(`host-${i}`, { connectivity: i % 2 ? 'available' : 'unavailable', lastSeenAt: 1_763_760_000_000 + i }, [
        makeCheck('disk'),
        makeCheck('ssh', { metrics: { duration_seconds: 0.01 * i } }),
      ]);
      // run records (a never-answered check among them) and a dependency: the families of `on:` policies
      host.runs = { ssh: { total: 5, last: { ok: 3, unreachable: 5 } }, http: { total: 2, last: { unreachable: 2 } } };
      if (i > 0) host.spec.dependsOn = [{ id: 'host-0', lag: 0 }];
      state.subjects.set(`host-${i}`, host);
    }
    state.dependents.set('host-0', new Set(Array.from({ length: 19 }, (_, i) => `host-${i + 1}`)));
    // One window open for the odd hosts, one later for the even ones: vigil_subject_maintenance with 1s and 0s.
    const now = 1_763_760_000_000;
    const maintenance = new Maintenance({ loadMaintenance: () => [], saveMaintenance: () => undefined, deleteMaintenance: () => undefined });
    const odd = Array.from({ length: 10 }, (_, i) => `host-${2 * i + 1}`);
    const even = Array.from({ length: 10 }, (_, i) => `host-${2 * i}`);
    maintenance.configure([
      { id: 'now', match: { subject: odd }, reason: 'r', source: 'config', startsAt: now - 1_000, endsAt: now + 60_000 },
      { id: 'later', match: { subject: even }, reason: 'r', source: 'config', startsAt: now + 60_000, endsAt: now + 120_000 },
    ]);
    const endpoint = createMetricsEndpoint({
      state: () => state,
      storeStats: () => ({ transactions: 1, rowsWritten: 2, lastFlushDurationMs: 3, pendingSubjects: 0, sizeBytes: 4096 }),
      version: '0.1.0',
      extra: [() => renderMaintenance(state, maintenance, now)],
      selection: new MetricsSelection({ include: ['*'] }), // every family is checked, the opt-in ones too
    });
    await endpoint.render(); // the second body carries the scrape self-metrics of the first
    const { body } = await endpoint.render();
    for (const family of ['vigil_check_runs_total', 'vigil_check_last_run', 'vigil_subject_dependency_down', 'vigil_subject_dependants']) {
      assert.match(body, new RegExp(`^# TYPE ${family} `, 'm'), family);
    }
    assert.match(body, /^vigil_subject_dependants\{subject="host-0",kind="[^"]*"\} 19$/m);
    assert.match(body, /^vigil_check_last_run\{subject="host-1",check="http",outcome="unreachable"\} 2$/m);
    assert.match(body, /^vigil_subject_maintenance\{subject="host-1",kind="[^"]+"\} 1$/m);
    assert.match(body, /^vigil_subject_maintenance\{subject="host-0",kind="[^"]+"\} 0$/m);
    const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.error, undefined, `promtool did not run: ${String(result.error)}`);
    assert.equal(`${result.stdout}${result.stderr}`.trim(), '', 'promtool findings');
    assert.equal(result.status, 0);
  });

  it('finds nothing to report on the bounds and agents families', () => {
    assert.ok(existsSync(PROMTOOL), "promtool not found: install Debian's prometheus package: apt-get install prometheus");
    const body =
      renderBoundsMetrics({ streamsOpen: 3, streamsDropped: 1, connections: { open: 12, cap: 4096, evicted: 5 } }) +
      renderAgentMetrics({ connected: 2, connectionsTotal: 9, connectionsCut: 1 });
    const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8', timeout: 30_000 });
    assert.equal(`${result.stdout}${result.stderr}`.trim(), '', 'promtool findings');
    assert.equal(result.status, 0);
  });

  it('does report findings on a bad exposition (so the check above is not vacuous)', () => {
    assert.ok(existsSync(PROMTOOL), "promtool not found: install Debian's prometheus package: apt-get install prometheus");
    const bad = '# HELP vigil_bad_total A gauge named like a counter.\n# TYPE vigil_bad_total gauge\nvigil_bad_total 1\n';
    const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: bad, encoding: 'utf8', timeout: 30_000 });
    assert.match(`${result.stdout}${result.stderr}`, /vigil_bad_total non-counter metrics should not have "_total" suffix/);
    assert.notEqual(result.status, 0);
  });
});
