import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { createSubjectRenderer, renderSubjectFamilies } from '../../../src/exporter/metrics/render.js';
import { MetricsSelection } from '../../../src/exporter/metrics/selection.js';
import { parseExposition, seriesKey, seriesMap, type Exposition } from './exposition-parser.js';
import { T0, makeCheck, makeState, makeSubject, realisticState } from './factory.js';

/** These tests pin every family; the lean default is pinned by budget.test.ts. */
const EVERYTHING = new MetricsSelection({ include: ['*'] });
const WEB = 'web "front"\\prod\nline2';
const key = (name: string, labels: Record<string, string>): string => seriesKey({ name, labels });

function render(state = realisticState()): { text: string; parsed: Exposition; series: Map<string, number> } {
  const text = createSubjectRenderer(EVERYTHING).render(state).body;
  const parsed = parseExposition(text);
  return { text, parsed, series: seriesMap(parsed) };
}

describe('renderSubjectFamilies', () => {
  it('writes the exact series and values of a subject', () => {
    const { series } = render();
    const lab = { subject: 'lab-1', kind: 'experiment' };
    const labSeries = [...series].filter(([k]) => k.includes('subject="lab-1"'));
    assert.deepEqual(
      new Map(labSeries),
      new Map<string, number>([
        [key('vigil_subject_info', { ...lab, source: 'practable' }), 1],
        [key('vigil_subject_health', { ...lab, state: 'healthy' }), 0],
        [key('vigil_subject_health', { ...lab, state: 'unhealthy' }), 0],
        [key('vigil_subject_health', { ...lab, state: 'unknown' }), 0],
        [key('vigil_subject_health', { ...lab, state: 'pending' }), 1],
        [key('vigil_subject_health', { ...lab, state: 'missing' }), 0],
        [key('vigil_subject_warnings', lab), 0],
        [key('vigil_subject_health_changed_timestamp_seconds', lab), (T0 - 3_600_000) / 1000],
        [key('vigil_subject_health_changes_total', lab), 0],
        [key('vigil_subject_connectivity_changes_total', lab), 0],
        ...['ok', 'warn', 'crit', 'unknown'].map((status): [string, number] => [
          key('vigil_check_status', { subject: 'lab-1', check: 'stream-video', status }),
          status === 'unknown' ? 1 : 0,
        ]),
        [key('vigil_check_counted', { subject: 'lab-1', check: 'stream-video' }), 0],
        [key('vigil_check_not_counted', { subject: 'lab-1', check: 'stream-video', reason: 'stale' }), 1],
        [key('vigil_check_received_timestamp_seconds', { subject: 'lab-1', check: 'stream-video' }), (T0 - 300_000) / 1000],
        [key('vigil_check_status_changed_timestamp_seconds', { subject: 'lab-1', check: 'stream-video' }), (T0 - 600_000) / 1000],
        [key('vigil_check_effective_timestamp_seconds', { subject: 'lab-1', check: 'stream-video' }), (T0 - 600_000) / 1000],
        [key('vigil_check_expiry_timestamp_seconds', { subject: 'lab-1', check: 'stream-video' }), (T0 - 180_000) / 1000],
        [key('vigil_check_consecutive_failures', { subject: 'lab-1', check: 'stream-video' }), 0],
        [key('vigil_check_consecutive_successes', { subject: 'lab-1', check: 'stream-video' }), 10],
      ]),
    );
  });

  it('writes subject extras, probe families and source families', () => {
    const { series } = render();
    const web = { subject: WEB, kind: 'target' };
    const http = { subject: WEB, check: 'http' };
    const ping = { subject: WEB, check: 'ping' };
    const expected: [string, number][] = [
      [key('vigil_subject_connectivity', web), 1],
      [key('vigil_subject_last_seen_timestamp_seconds', web), 1_763_759_998.5],
      [key('vigil_subject_warnings', web), 1],
      [key('vigil_subject_health_changes_total', web), 7],
      [key('vigil_subject_connectivity_changes_total', web), 3],
      [key('vigil_subject_manipulation_timestamp_seconds', { ...web, manipulation: 'redeploy' }), 1_763_752_799.75],
      [key('vigil_subject_metadata_value', { ...web, key: 'FreeDiskSpace' }), 12_345_678_901],
      [key('vigil_check_consecutive_failures', http), 3],
      [key('vigil_probe_duration_seconds', http), 0.1234],
      [key('vigil_probe_response_bytes', http), 5120],
      [key('vigil_probe_http_status_code', http), 503],
      [key('vigil_probe_duration_seconds', ping), 0.002],
      [key('vigil_probe_icmp_packet_loss_ratio', ping), 0.25],
      [key('vigil_probe_icmp_rtt_seconds', { ...ping, stat: 'min' }), 0.0011],
      [key('vigil_probe_icmp_rtt_seconds', { ...ping, stat: 'avg' }), 0.0015],
      [key('vigil_probe_icmp_rtt_seconds', { ...ping, stat: 'max' }), 0.0031],
      [key('vigil_source_up', { source: 'targets' }), 1],
      [key('vigil_source_up', { source: 'practable' }), 0],
      [key('vigil_source_last_success_timestamp_seconds', { source: 'targets' }), 1_763_759_999],
      [key('vigil_source_errors_total', { source: 'practable', reason: 'timeout' }), 4],
      [key('vigil_source_errors_total', { source: 'practable', reason: 'refused' }), 1],
    ];
    for (const [k, v] of expected) assert.equal(series.get(k), v, k);
    assert.equal(series.has(key('vigil_subject_metadata_value', { ...web, key: 'Note' })), false, 'text-only metadata has no series');
    assert.equal(series.has(key('vigil_source_last_success_timestamp_seconds', { source: 'practable' })), false);
    assert.equal(series.has(key('vigil_probe_http_status_code', ping)), false, 'probe series only where the check has the metric');
  });

  it('sets exactly one series of each StateSet to 1', () => {
    const { parsed } = render();
    const sums = new Map<string, { count: number; ones: number }>();
    for (const s of parsed.samples) {
      if (s.name !== 'vigil_subject_health' && s.name !== 'vigil_check_status') continue;
      const group = `${s.name}/${s.labels.subject}/${s.labels.check ?? ''}`;
      const sum = sums.get(group) ?? { count: 0, ones: 0 };
      sum.count++;
      if (s.value === 1) sum.ones++;
      else assert.equal(s.value, 0);
      sums.set(group, sum);
    }
    assert.equal(sums.size, 2 + 3); // two subjects, three visible checks
    for (const [group, { count, ones }] of sums) {
      assert.equal(ones, 1, group);
      assert.equal(count, group.startsWith('vigil_subject_health') ? 5 : 4, group);
    }
  });

  it('escapes backslash, quote and line feed in label values and keeps non-ASCII as UTF-8', () => {
    const { text, parsed } = render();
    assert.ok(text.includes('vigil_subject_warnings{subject="web \\"front\\"\\\\prod\\nline2",kind="target"} 1\n'));
    assert.ok(parsed.samples.some((s) => s.labels.subject === WEB));
    const info = parsed.samples.find((s) => s.name === 'vigil_subject_info' && s.labels.subject === WEB);
    assert.deepEqual(info?.labels, {
      subject: WEB,
      kind: 'target',
      source: 'targets',
      team: 'sré',
      app_kubernetes_io_name: 'web',
      label_source: 'clash',
    });
  });

  it('leaves out dropped checks from every check and probe family', () => {
    const { parsed } = render();
    assert.deepEqual(
      parsed.samples.filter((s) => s.labels.check === 'agent'),
      [],
    );
  });

  it('leaves out connectivity and last-seen when never known', () => {
    const { series } = render();
    const lab = { subject: 'lab-1', kind: 'experiment' };
    assert.equal(series.has(key('vigil_subject_connectivity', lab)), false);
    assert.equal(series.has(key('vigil_subject_last_seen_timestamp_seconds', lab)), false);
    const { series: down } = render(makeState([makeSubject('h', { connectivity: 'unavailable' })]));
    assert.equal(down.get(key('vigil_subject_connectivity', { subject: 'h', kind: 'host' })), 0);
  });

  it('writes each family once, contiguous, with HELP and TYPE only when it has series', () => {
    const { text, parsed } = render();
    for (const [name, info] of parsed.families) {
      assert.equal(info.helpLines, 1, `${name} HELP`);
      assert.equal(info.typeLines, 1, `${name} TYPE`);
      assert.ok(
        parsed.samples.some((s) => s.name === name),
        `${name} has a header but no series`,
      );
      assert.equal(info.type, name.endsWith('_total') ? 'counter' : 'gauge', name);
    }
    const order = parsed.samples.map((s) => s.name).filter((name, i, all) => i === 0 || all[i - 1] !== name);
    assert.equal(new Set(order).size, order.length, 'a family was split');
    const bare = render(makeState([makeSubject('h')])).parsed;
    for (const absent of [
      'vigil_subject_connectivity',
      'vigil_subject_manipulation_timestamp_seconds',
      'vigil_check_status',
      'vigil_probe_icmp_rtt_seconds',
      'vigil_source_up',
    ]) {
      assert.equal(bare.families.has(absent), false, absent);
    }
    assert.ok(text.endsWith('\n'));
  });

  it('renders nothing for an empty state', () => {
    assert.equal(renderSubjectFamilies(makeState([])), '');
  });

  it('counts the series it writes', () => {
    const state = realisticState();
    const result = createSubjectRenderer(EVERYTHING).render(state);
    assert.equal(result.series, parseExposition(result.body).samples.length);
  });

  it('writes the same bytes through every sink', () => {
    const renderer = createSubjectRenderer(EVERYTHING);
    const state = realisticState();
    const text = renderer.render(state).body;
    assert.equal(renderer.renderBytes(state).body.toString('utf8'), text);
    assert.equal(gunzipSync(Buffer.concat(renderer.renderParts(state, true).parts)).toString('utf8'), text);
    const ascii = makeState([makeSubject('plain', {}, [makeCheck('c', { metrics: { duration_seconds: 1e-7, response_bytes: 2 ** 40 } })])]);
    assert.ok(renderer.render(ascii).body.includes('vigil_probe_duration_seconds{subject="plain",check="c"} 1e-7\n'));
  });
});

describe('label cache', () => {
  const infoOf = (text: string, id: string) =>
    parseExposition(text).samples.find((s) => s.name === 'vigil_subject_info' && s.labels.subject === id)?.labels;

  it('follows a spec change announced by specVersion', () => {
    const renderer = createSubjectRenderer(EVERYTHING);
    const subject = makeSubject('h', { spec: { id: 'h', kind: 'host', labels: { rack: 'r1' }, dependsOn: [], source: 'config' } });
    const state = makeState([subject]);
    assert.equal(infoOf(renderer.render(state).body, 'h')?.rack, 'r1');
    subject.spec = { ...subject.spec, labels: { rack: 'r2' } };
    subject.specVersion = 2;
    assert.equal(infoOf(renderer.render(state).body, 'h')?.rack, 'r2');
  });

  it('does not trust a new spec object with the same version but different labels', () => {
    const renderer = createSubjectRenderer(EVERYTHING);
    const first = makeState([makeSubject('h', { spec: { id: 'h', kind: 'host', labels: { rack: 'r1' }, dependsOn: [], source: 'config' } })]);
    renderer.render(first);
    const other = makeState([makeSubject('h', { spec: { id: 'h', kind: 'switch', labels: { rack: 'r9' }, dependsOn: [], source: 'api' } })]);
    assert.deepEqual(infoOf(renderer.render(other).body, 'h'), { subject: 'h', kind: 'switch', source: 'api', rack: 'r9' });
  });

  it('forgets subjects and checks that are gone', () => {
    const renderer = createSubjectRenderer(EVERYTHING);
    const a = makeSubject('a', {}, [makeCheck('x'), makeCheck('y')]);
    const state = makeState([a, makeSubject('b')]);
    renderer.render(state);
    state.subjects.delete('b');
    delete a.checks.y;
    a.stateVersion++; // the engine bumps it with every change
    const text = renderer.render(state).body;
    assert.ok(!text.includes('subject="b"'));
    assert.ok(!text.includes('check="y"'));
    assert.ok(text.includes('check="x"'));
  });
});
