// `metrics: {include, exclude}`: names or globs of known families; a pattern that matches none is a typo.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsSelection } from '../../src/exporter/metrics/selection.js';
import { parse, problemAt, refused, yaml } from './helpers.js';

describe('metrics config', () => {
  it('defaults to the lean selection and keeps the patterns as written', async () => {
    assert.deepEqual((await parse(yaml('subjects: []'))).config.metrics, { include: [], exclude: [] });
    const { config } = await parse(yaml('metrics:', '  include: [vigil_check_*]', '  exclude: ["nodejs_*"]'));
    assert.deepEqual(config.metrics, { include: ['vigil_check_*'], exclude: ['nodejs_*'] });
    const selection = new MetricsSelection(config.metrics);
    assert.ok(selection.enabled('vigil_check_status'), 'included by glob');
    assert.ok(selection.enabled('vigil_subject_health'), 'default');
    assert.ok(!selection.enabled('vigil_subject_health_changes_total'), 'opt-in, not included');
    assert.ok(!selection.enabled('nodejs_heap_size_total_bytes'), 'excluded by glob');
  });

  it('refuses a pattern that matches no family, at its position', async () => {
    const error = await refused(yaml('metrics:', '  include: [vigil_check_status, vigil_chek_*]'));
    const problem = problemAt(error, 'metrics.include[1]');
    assert.deepEqual([problem.line, problem.col], [2, 33]);
    assert.match(problem.message, /"vigil_chek_\*" matches no metric family/);
  });

  it('lets exclude win over include and the default', () => {
    const selection = new MetricsSelection({ include: ['*'], exclude: ['vigil_subject_health'] });
    assert.ok(!selection.enabled('vigil_subject_health'));
    assert.ok(selection.enabled('vigil_check_counted'));
  });
});
