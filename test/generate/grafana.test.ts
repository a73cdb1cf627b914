// The dashboards parse as classic Grafana dashboard JSON (a structural schema of the fields Grafana needs to load
// and lay them out) and query only metrics that vigil exposes (the families its renderers write, which
// test/exporter/metrics/contract.test.ts keeps in step with docs/metrics.md), as do the alert rules.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { z } from 'zod';
import { generate } from '../../src/generate/index.js';
import type { RuleFile } from '../../src/generate/rules.js';
import { exposedFamilies } from '../exporter/metrics/contract.js';
import { fixtureInput, REPO_ROOT } from './helpers.js';

const DATASOURCE_REF = z.strictObject({ type: z.literal('prometheus'), uid: z.literal('${datasource}') });
const targetSchema = z.strictObject({
  refId: z.string().regex(/^[A-Z]$/),
  datasource: DATASOURCE_REF,
  expr: z.string().min(1),
  legendFormat: z.string(),
  range: z.boolean(),
  instant: z.boolean(),
  format: z.enum(['table', 'time_series']).optional(),
});
const gridPos = z.strictObject({
  x: z.number().int().min(0).max(23),
  y: z.number().int().min(0),
  w: z.number().int().min(1).max(24),
  h: z.number().int().min(1),
});
const panelSchema = z.looseObject({
  id: z.number().int().positive(),
  type: z.enum(['stat', 'state-timeline', 'timeseries', 'table', 'row']),
  title: z.string().min(1),
  gridPos,
  datasource: DATASOURCE_REF.optional(),
  targets: z.array(targetSchema).optional(),
  fieldConfig: z.object({ defaults: z.record(z.string(), z.unknown()), overrides: z.array(z.unknown()) }).optional(),
});
const variableSchema = z.looseObject({
  type: z.enum(['datasource', 'query']),
  name: z.string().regex(/^[a-z]+$/),
  label: z.string(),
  query: z.string(),
});
const dashboardSchema = z.strictObject({
  uid: z.string().regex(/^[a-zA-Z0-9_-]{8,40}$/),
  title: z.string().min(1),
  description: z.string(),
  tags: z.array(z.string()),
  timezone: z.string(),
  editable: z.boolean(),
  graphTooltip: z.number().int().min(0).max(2),
  refresh: z.string(),
  schemaVersion: z.number().int().min(36),
  version: z.number().int(),
  time: z.strictObject({ from: z.string(), to: z.string() }),
  templating: z.strictObject({ list: z.array(variableSchema) }),
  annotations: z.strictObject({ list: z.array(z.unknown()) }),
  links: z.array(z.unknown()),
  panels: z.array(panelSchema).min(1),
});
type DashboardJson = z.infer<typeof dashboardSchema>;

const dashboardsDir = join(REPO_ROOT, 'grafana', 'dashboards');
const dashboards = readdirSync(dashboardsDir)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => ({ name, dashboard: dashboardSchema.parse(JSON.parse(readFileSync(join(dashboardsDir, name), 'utf8'))) as DashboardJson }));

/** The metric contract: every family vigil's renderers write (see test/exporter/metrics/contract.ts). */
const contractMetrics = exposedFamilies;

const PROMQL_WORDS = new Set([
  // aggregations, functions and keywords used by the generator; anything else that looks like a name is a metric
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'rate',
  'increase',
  'time',
  'vector',
  'absent',
  'sort_desc',
  'bool',
  'offset',
  'last_over_time',
  'topk',
]);

/** Metric names an expression selects: identifiers outside strings, matchers, ranges and label lists. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  return [...stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((match) => match[0]).filter((word) => !PROMQL_WORDS.has(word));
}

describe('Grafana dashboards', () => {
  it('are the five of the issue, with stable, unique uids', () => {
    assert.deepEqual(
      dashboards.map(({ dashboard }) => dashboard.uid),
      ['vigil-agents', 'vigil-eventmesh', 'vigil-overview', 'vigil-practable', 'vigil-targets'],
    );
    for (const { name, dashboard } of dashboards) assert.equal(name, `${dashboard.uid}.json`);
  });

  it('have exactly one data source variable, named datasource, and every query uses it', () => {
    for (const { dashboard } of dashboards) {
      const datasources = dashboard.templating.list.filter((variable) => variable.type === 'datasource');
      assert.deepEqual(
        datasources.map((variable) => [variable.name, variable.label, variable.query]),
        [['datasource', 'Data source', 'prometheus']],
      );
      for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
        assert.deepEqual(variable.datasource, { type: 'prometheus', uid: '${datasource}' }, `${dashboard.uid} $${variable.name}`);
      }
    }
  });

  it('lay out panels on the 24-column grid without overlaps, with unique ids and refIds', () => {
    for (const { dashboard } of dashboards) {
      const cells = new Set<string>();
      const ids = new Set<number>();
      for (const panel of dashboard.panels) {
        assert.ok(!ids.has(panel.id), `${dashboard.uid}: duplicate panel id ${panel.id}`);
        ids.add(panel.id);
        const { x, y, w, h } = panel.gridPos;
        assert.ok(x + w <= 24, `${dashboard.uid}/${panel.title} is wider than the grid`);
        for (let col = x; col < x + w; col++) {
          for (let line = y; line < y + h; line++) {
            assert.ok(!cells.has(`${col},${line}`), `${dashboard.uid}/${panel.title} overlaps another panel`);
            cells.add(`${col},${line}`);
          }
        }
        if (panel.type !== 'row') {
          assert.ok(panel.targets && panel.targets.length > 0, `${dashboard.uid}/${panel.title} has no query`);
          const refIds = panel.targets.map((target) => target.refId);
          assert.equal(new Set(refIds).size, refIds.length, `${dashboard.uid}/${panel.title}: duplicate refId`);
        }
      }
    }
  });

  it('query only metrics vigil exposes, and the overview covers health, connectivity, warnings and changes', async () => {
    const contract = await contractMetrics();
    assert.ok(contract.size > 30, 'the renderers wrote the contract');
    const used = new Set<string>();
    for (const { dashboard } of dashboards) {
      for (const panel of dashboard.panels) {
        for (const target of panel.targets ?? []) {
          for (const name of metricNames(target.expr)) {
            assert.ok(contract.has(name), `${dashboard.uid}/${panel.title}: ${name} is not a metric vigil exposes`);
            used.add(name);
          }
        }
      }
      for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
        const inner = /label_values\((\w+)/.exec(variable.query)?.[1];
        assert.ok(inner && contract.has(inner), `${dashboard.uid} $${variable.name}: ${variable.query}`);
      }
    }
    for (const name of [
      'vigil_subject_health',
      'vigil_subject_connectivity',
      'vigil_subject_warnings',
      'vigil_check_not_counted',
      'vigil_probe_duration_seconds',
      'vigil_practable_stream_tx_fps',
      'vigil_kube_object_ready',
      'vigil_eventmesh_heartbeat_latency_seconds',
      'vigil_agents_connected',
    ]) {
      assert.ok(used.has(name), `no dashboard shows ${name}`);
    }
  });

  it('metricNames() finds metrics and nothing else', () => {
    assert.deepEqual(metricNames('sum by (subject) (rate(vigil_x_total{a="b c"}[5m])) * on (subject) group_left (kind) vigil_y or vector(0)'), [
      'vigil_x_total',
      'vigil_y',
    ]);
  });

  it('are provisioned: a data source and a file provider pointing at the dashboards', () => {
    const datasources = parse(readFileSync(join(REPO_ROOT, 'grafana', 'provisioning', 'datasources', 'vigil.yml'), 'utf8')) as {
      datasources: { type: string; uid: string; url: string }[];
    };
    assert.equal(datasources.datasources[0]!.type, 'prometheus');
    const providers = parse(readFileSync(join(REPO_ROOT, 'grafana', 'provisioning', 'dashboards', 'vigil.yml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    assert.equal(providers.providers[0]!.type, 'file');
    assert.ok(providers.providers[0]!.options.path.length > 0);
  });
});

describe('alert rules', () => {
  it('select only metrics vigil exposes, ALERTS and up', async () => {
    const contract = await contractMetrics();
    const rules = parse(generate(fixtureInput('policies'), { format: 'prometheus' }).get('rules/vigil.rules.yml')!) as RuleFile;
    for (const rule of rules.groups.flatMap((group) => group.rules)) {
      for (const name of metricNames(rule.expr)) {
        assert.ok(contract.has(name) || name === 'ALERTS' || name === 'up', `${rule.alert}: ${name} is not a metric vigil exposes`);
      }
    }
  });
});
