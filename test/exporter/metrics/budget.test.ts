// The lean default's cost, pinned: a pushed subject with 5 checks costs at most 20 series by default, so the
// exposition of a 100,000-subject fleet cannot silently grow. Everything on is pinned too, for the docs.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSubjectRenderer } from '../../../src/exporter/metrics/render.js';
import { FAMILY_TABLE, MetricsSelection } from '../../../src/exporter/metrics/selection.js';
import { generate } from '../../../src/generate/index.js';
import { fixtureInput, REPO_ROOT } from '../../generate/helpers.js';
import { exposedFamilies } from './contract.js';
import { parseExposition } from './exposition-parser.js';
import { T0, makeCheck, makeState, makeSubject } from './factory.js';

/** A pushed subject as the API makes it: connectivity known, checks counting, nothing else. */
function pushedState(subjects: number, checks: number) {
  return makeState(
    Array.from({ length: subjects }, (_, s) =>
      makeSubject(
        `host-${s}`,
        { connectivity: 'available', lastSeenAt: T0 },
        Array.from({ length: checks }, (_, c) => makeCheck(`check-${c}`)),
      ),
    ),
  );
}

const seriesOf = (selection: MetricsSelection, subjects: number, checks: number): number =>
  parseExposition(createSubjectRenderer(selection).render(pushedState(subjects, checks)).body).samples.length;

describe('default exposition budget', () => {
  const lean = new MetricsSelection();
  const everything = new MetricsSelection({ include: ['*'] });

  it('costs 8 series per subject and 2 per check by default: 18 for a subject with 5 checks (at most 20)', () => {
    const perSubject = seriesOf(lean, 1, 0);
    const perCheck = seriesOf(lean, 1, 1) - perSubject;
    assert.equal(perSubject, 8, 'info 1 + health 5 + connectivity 1 + warnings 1');
    assert.equal(perCheck, 2, 'consecutive failures + consecutive successes (not_counted only while not counting)');
    const fiveChecks = seriesOf(lean, 1, 5);
    assert.equal(fiveChecks, perSubject + 5 * perCheck);
    assert.ok(fiveChecks <= 20, `${fiveChecks} series for a subject with 5 checks`);
    assert.equal(seriesOf(lean, 10, 5), 10 * fiveChecks, 'linear in subjects');
  });

  it('costs 12 per subject and 11 per check with everything on', () => {
    const perSubject = seriesOf(everything, 1, 0);
    assert.equal(perSubject, 12);
    assert.equal(seriesOf(everything, 1, 1) - perSubject, 11);
  });

  it('adds one series for a check that does not count, with its reason', () => {
    const state = pushedState(1, 1);
    const check = state.subjects.get('host-0')!.checks['check-0']!;
    check.counted = false;
    check.notCountedReason = 'stale';
    const text = createSubjectRenderer(lean).render(state).body;
    assert.match(text, /^vigil_check_not_counted\{subject="host-0",check="check-0",reason="stale"\} 1$/m);
  });

  it('exposes by default every family the generated rules read, and documents every family', () => {
    // docs/metrics.md has the table; the sources' own pages (practable, kubernetes, agents) describe their families.
    const docsDir = join(REPO_ROOT, 'docs');
    const docs = readdirSync(docsDir)
      .map((name) => readFileSync(join(docsDir, name), 'utf8'))
      .join('\n');
    for (const row of FAMILY_TABLE) assert.ok(docs.includes(`\`${row.name}\``) || docs.includes(`\`${row.name}{`), `docs/ never names ${row.name}`);
    // The fixture's classic policies (failure and change on crit, subject on unhealthy) must generate on the lean
    // default; `notify: always`, `on: [stale]` and `on:` run conditions read opt-in families.
    const input = fixtureInput('policies');
    const classic = input.alerting.policies.filter(
      (p) => p.notify !== 'always' && (p.on === undefined || p.on.every((c) => c === 'crit' || c === 'unhealthy')),
    );
    assert.ok(classic.length >= 3);
    const lean = { ...input, metrics: {}, alerting: { ...input.alerting, policies: classic } };
    assert.doesNotThrow(() => generate(lean, { format: 'prometheus' }));
  });

  it('has a row in the family table for every family the renderers write', async () => {
    const rowFor = (name: string) =>
      FAMILY_TABLE.some((row) => (row.name.endsWith('*') ? name.startsWith(row.name.slice(0, -1)) : row.name === name));
    for (const name of await exposedFamilies()) assert.ok(rowFor(name), `${name} has no row in FAMILY_TABLE (src/exporter/metrics/selection.ts)`);
  });

  it('makes generate-rules refuse a policy whose family is switched off, naming policy and family', () => {
    const input = fixtureInput('policies');
    assert.throws(
      () => generate({ ...input, metrics: {} }, { format: 'prometheus' }),
      new RegExp(
        /alert VigilResultsCheckResult needs the metric family vigil_check_(status|received_timestamp_seconds), /.source +
          /which metrics: switches off; add it to metrics.include/.source,
      ),
    );
    assert.throws(
      () => generate({ ...input, metrics: { exclude: ['vigil_check_consecutive_failures'] } }, { format: 'prometheus' }),
      /vigil_check_consecutive_failures/,
    );
  });
});
