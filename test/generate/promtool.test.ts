// Proof with Debian's promtool (2.42): the generated rules are valid, lint-clean, and the suites in
// test/generate/promtool/ pin the exact notification points of every notify mode, staleness, missing subjects
// and dependency suppression.
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { assertToolSucceeds, fixtureInput, generateToTemp, REPO_ROOT, TEST_DIR } from './helpers.js';

const SUITES_DIR = join(TEST_DIR, 'promtool');
const suites = readdirSync(SUITES_DIR)
  .filter((name) => name.endsWith('.test.yml'))
  .sort();

describe('promtool', () => {
  const outDir = generateToTemp(fixtureInput('policies'));
  const rulesDir = join(outDir, 'rules');

  it('check rules: the fixture config and the committed example output are valid and lint-clean', () => {
    for (const file of [join(rulesDir, 'vigil.rules.yml'), join(REPO_ROOT, 'rules', 'vigil.rules.yml')]) {
      const output = assertToolSucceeds('promtool', ['check', 'rules', '--lint=all', '--lint-fatal', file], REPO_ROOT);
      assert.match(output, /SUCCESS: \d+ rules found/);
      assert.doesNotMatch(output, /WARNING|duplicate/i);
    }
  });

  it('check rules: the PrometheusRule of --format prometheus-operator holds the same valid groups', () => {
    const operatorDir = generateToTemp(fixtureInput('policies'), 'prometheus-operator');
    const resource = parse(readFileSync(join(operatorDir, 'rules', 'vigil.prometheusrule.yml'), 'utf8')) as {
      kind: string;
      spec: { groups: unknown[] };
    };
    assert.equal(resource.kind, 'PrometheusRule');
    const specFile = join(operatorDir, 'spec.yml');
    writeFileSync(specFile, stringify(resource.spec));
    assertToolSucceeds('promtool', ['check', 'rules', specFile], operatorDir);
    assert.deepEqual(resource.spec, parse(readFileSync(join(rulesDir, 'vigil.rules.yml'), 'utf8')));
  });

  it('has suites to run', () => {
    assert.ok(suites.length >= 5, `expected the promtool suites in ${SUITES_DIR}`);
  });

  for (const suite of suites) {
    it(`test rules ${suite}`, () => {
      copyFileSync(join(SUITES_DIR, suite), join(rulesDir, suite));
      const output = assertToolSucceeds('promtool', ['test', 'rules', suite], rulesDir);
      assert.match(output, /SUCCESS/);
    });
  }
});
