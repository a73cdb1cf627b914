// The vigil_probe_* families come from the metric keys the probes declare (src/sources/targets/metrics.ts): each key
// a probe type may report renders as one series of its family, with `stat` when keys share a family, and every such
// family is in the catalogue `metrics: include/exclude` selects from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROBE_FAMILIES } from '../../../src/exporter/metrics/families.js';
import { createSubjectRenderer } from '../../../src/exporter/metrics/render.js';
import { FAMILY_TABLE, MetricsSelection } from '../../../src/exporter/metrics/selection.js';
import { PROBE_METRICS, type ProbeMetric } from '../../../src/sources/targets/metrics.js';
import { PROBE_TYPES } from '../../../src/sources/targets/registry.js';
import { parseExposition } from './exposition-parser.js';
import { makeCheck, makeState, makeSubject } from './factory.js';

const EVERYTHING = new MetricsSelection({ include: ['*'] });

test('every metric key a probe type declares renders one series of its own vigil_probe_* family', () => {
  const declared = new Set(Object.values(PROBE_TYPES).flatMap((type): readonly ProbeMetric[] => type.metrics));
  assert.deepEqual([...declared].sort(), Object.keys(PROBE_METRICS).sort(), 'every key is reported by some probe type');
  for (const key of declared) {
    const def = PROBE_METRICS[key];
    const state = makeState([makeSubject('s', {}, [makeCheck('c', { metrics: { [key]: 42 } })])]);
    const { samples } = parseExposition(createSubjectRenderer(EVERYTHING).render(state).body);
    const probeSamples = samples.filter((sample) => sample.name.startsWith('vigil_probe_'));
    const stat = 'stat' in def ? { stat: def.stat } : {};
    assert.deepEqual(probeSamples, [{ name: def.family, labels: { subject: 's', check: 'c', ...stat }, value: 42 }], key);
  }
});

test('the derived probe families are in the selection catalogue, once each', () => {
  const names = PROBE_FAMILIES.map((family) => family.name);
  assert.equal(new Set(names).size, names.length);
  for (const name of names)
    assert.ok(
      FAMILY_TABLE.some((entry) => entry.name === name && entry.scope === 'probe'),
      name,
    );
  assert.deepEqual(
    FAMILY_TABLE.filter((entry) => entry.scope === 'probe')
      .map((entry) => entry.name)
      .sort(),
    [...names].sort(),
  );
});
