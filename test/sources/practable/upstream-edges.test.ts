// practable at the edges real deployments hit, through the source's public path: fake relay, jump and book on
// loopback → PractableSource → a real engine → /metrics text and status's API shapes.
//
// Fixtures are written from the upstream shapes:
// - relay v0.7.0 `internal/crossbar/crossbar.go` (ClientReport: one report per client, `stats.tx.last` a Go
//   duration) and `pkg/status/status.go` (Report/Statistics decoded by encoding/json: keys match
//   case-insensitively; Statistics.UnmarshalJSON decodes `last` into a string, so missing or null means never);
// - status v0.1.3 `internal/status/status.go` updateHealth: every StreamOK entry, required or not, makes the
//   experiment unhealthy, while only required streams decide availability; experiments without a ResourceName
//   (not in book's manifest) are never set available.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPractableMetrics } from '../../../src/sources/practable/metrics.js';
import { renderSubjectFamilies } from '../../../src/exporter/metrics/render.js';
import { experimentReport } from '../../../src/sources/practable/api.js';
import { practableMetricsInput } from '../../../src/sources/practable/index.js';
import { RELAY_SOURCE } from '../../../src/sources/practable/source.js';
import { jumpHost, relayHousekeeping, relayStream } from './fakes.js';
import { until } from '../../helpers/until.js';
import { M, MANIFEST, S, startRig, type Rig } from './harness.js';

const metricsOf = (rig: Rig): string => renderSubjectFamilies(rig.sink.state);
const practableMetricsOf = (rig: Rig): string => renderPractableMetrics(practableMetricsInput(rig.source));
const statusReport = (rig: Rig, key: string) => {
  const experiment = rig.source.model.experiments.get(key)!;
  return experimentReport({ model: rig.source.model, bookAvailability: (k) => rig.source.bookAvailable.get(k) }, experiment, rig.clock.now);
};
const healthSample = (subject: string, state: string): RegExp =>
  new RegExp(`^vigil_subject_health\\{subject="${subject}",kind="experiment",state="${state}"\\} 1$`, 'm');

test('relay outage: no experiment turns healthy and no healthy event is recorded; health goes unknown together', async (t) => {
  const manifest = { ...MANIFEST, 'r-spin30': { topic_stub: 'spin30', streams: ['st-data'], description: 'd-r-spin30' } };
  const rig = await startRig({}, { manifest });
  t.after(() => rig.close());
  const { sink, clock, relay } = rig;
  // pend00 healthy; spin30's only stream has been quiet for 15 s (broken). Both jump hosts are connected.
  await rig.relayFrame([
    ...relayHousekeeping,
    relayStream('pend00-st-data', '41ms'),
    relayStream('pend00-st-video', '20ms'),
    relayStream('spin30-st-data', '15s'),
  ]);
  await rig.jumpFrame([jumpHost('pend00'), jumpHost('spin30')]);
  assert.equal(sink.subject('pend00').health, 'healthy');
  assert.equal(sink.subject('spin30').health, 'unhealthy');
  const eventsBefore = sink.events.length;

  await relay.close();
  await until(() => sink.state.sources.get(RELAY_SOURCE)!.up === false, 'relay reported down');
  // Jump keeps reporting through the whole outage, past health_last_checked (60 s) and source_drop_after (15 m).
  const seen = { pend00: new Set<string>(), spin30: new Set<string>() };
  for (let elapsed = 0; elapsed <= 16 * M; elapsed += 20 * S) {
    clock.now += 20 * S;
    await rig.jumpFrame([jumpHost('pend00'), jumpHost('spin30')]);
    sink.tick();
    for (const key of ['pend00', 'spin30'] as const) seen[key].add(sink.subject(key).health);
    assert.equal(statusReport(rig, 'spin30').healthy, false, 'status API: spin30 never healthy during the outage');
    // pend00's last report stays fresh for health_last_checked; after that, status's API says unhealthy too.
    if (elapsed >= 60 * S) assert.equal(statusReport(rig, 'pend00').healthy, false);
    // Both experiments' stream checks stop counting at the same moment.
    assert.equal(sink.subject('pend00').checks['pend00-st-data']!.counted, sink.subject('spin30').checks['spin30-st-data']!.counted);
  }
  const during = sink.events.slice(eventsBefore);
  assert.deepEqual(
    during.filter((e) => e.type === 'health' && e.to === 'healthy'),
    [],
    'no health event claims a recovery',
  );
  assert.deepEqual(
    during.filter((e) => e.type === 'health').map((e) => [e.subject, e.from, e.to]),
    [
      ['pend00', 'healthy', 'unknown'],
      ['spin30', 'unhealthy', 'unknown'],
    ],
  );
  assert.deepEqual([...seen.spin30].sort(), ['unhealthy', 'unknown']);
  for (const key of ['pend00', 'spin30']) {
    assert.ok(
      rig.source.model.experiments.get(key)!.events.every((e, i, all) => i < all.length - 1 || !e.healthy),
      `${key}: no status-style recovery`,
    );
  }
  const metrics = metricsOf(rig);
  assert.match(metrics, healthSample('pend00', 'unknown'));
  assert.match(metrics, healthSample('spin30', 'unknown'));
  assert.match(metrics, /^vigil_source_up\{source="practable-relay"\} 0$/m);
  // A relay outage never takes experiments off the booking system.
  assert.deepEqual(
    rig.book.puts.map((p) => [p.resource, p.available]),
    [['r-pend00', true]],
  );
});

test('a relay whose socket stays open but sends no report for health_last_checked is down', async (t) => {
  // The silence limit is a real timer: a short health_last_checked keeps the test quick.
  const rig = await startRig({ healthLastChecked: 300 });
  t.after(() => rig.close());
  await rig.relayFrame([...relayHousekeeping, relayStream('pend00-st-data', '41ms'), relayStream('pend00-st-video', '20ms')]);
  assert.match(metricsOf(rig), /^vigil_source_up\{source="practable-relay"\} 1$/m);

  const relayState = () => rig.sink.state.sources.get(RELAY_SOURCE)!;
  await until(() => (relayState().errors['no_reports'] ?? 0) >= 1, 'silence noticed');
  // It reconnects (the socket opens again) and still sends nothing: that is not up.
  await until(() => rig.relay.connections >= 2 && rig.relay.open === 1, 'reconnected to the silent relay');
  assert.equal(relayState().up, false);
  assert.match(metricsOf(rig), /^vigil_source_up\{source="practable-relay"\} 0$/m);
  assert.match(metricsOf(rig), /^vigil_source_errors_total\{source="practable-relay",reason="no_reports"\} [1-9]/m);

  await rig.relayFrame([...relayHousekeeping, relayStream('pend00-st-data', '41ms'), relayStream('pend00-st-video', '20ms')]);
  assert.match(metricsOf(rig), /^vigil_source_up\{source="practable-relay"\} 1$/m);
});

test('an experiment on the relay but not in the manifest is unavailable, with a warning, and never PUT', async (t) => {
  const rig = await startRig();
  t.after(() => rig.close());
  await rig.relayFrame([
    ...relayHousekeeping,
    relayStream('pend00-st-data', '41ms'),
    relayStream('pend00-st-video', '20ms'),
    relayStream('spin30-st-data', '30ms'),
  ]);
  const spin30 = rig.sink.subject('spin30');
  assert.equal(spin30.health, 'healthy', 'its streams are fine');
  assert.deepEqual({ ...spin30.metadata['manifest'], updatedAt: 0 }, { level: 'warning', message: 'not in the booking manifest', updatedAt: 0 });
  assert.ok(spin30.warnings >= 1);
  assert.match(practableMetricsOf(rig), /^vigil_practable_experiment_available\{experiment="spin30"\} 0$/m);
  assert.match(practableMetricsOf(rig), /^vigil_practable_experiment_available\{experiment="pend00"\} 1$/m);
  assert.equal(statusReport(rig, 'spin30').available, false);
  assert.equal(statusReport(rig, 'spin30').resource_name, '');
  assert.deepEqual(
    rig.sink.ofType('availability', 'spin30').map((e) => [e.to, e.reason]),
    [['unavailable', 'not in the booking manifest']],
  );
  assert.deepEqual(
    rig.book.puts.map((p) => p.resource),
    ['r-pend00'],
    'nothing to PUT: book does not know it',
  );

  // Book starts listing it: the warning goes, availability follows its streams.
  rig.book.resources['r-spin30'] = { topic_stub: 'spin30', streams: ['st-data'], description: 'd-r-spin30' };
  rig.book.availability.set('r-spin30', { available: false, reason: 'new' });
  await rig.source.queryBook();
  await rig.source.settled();
  assert.equal(spin30.metadata['manifest'], undefined);
  assert.match(practableMetricsOf(rig), /^vigil_practable_experiment_available\{experiment="spin30"\} 1$/m);
  assert.deepEqual(
    rig.book.puts.map((p) => [p.resource, p.available]),
    [
      ['r-pend00', true],
      ['r-spin30', true],
    ],
  );
});

test('health needs every stream, availability only the required ones', async (t) => {
  const rig = await startRig();
  t.after(() => rig.close());
  const required = [relayStream('pend00-st-data', '41ms'), relayStream('pend00-st-video', '20ms')];
  // A stream the manifest does not list (an extra camera) that has not transmitted for 15 s.
  await rig.relayFrame([...relayHousekeeping, ...required, relayStream('pend00-st-extra', '15s')]);
  const pend00 = rig.sink.subject('pend00');
  assert.equal(pend00.checks['pend00-st-extra']!.status, 'crit');
  assert.equal(pend00.health, 'unhealthy');
  assert.match(metricsOf(rig), healthSample('pend00', 'unhealthy'));
  assert.match(practableMetricsOf(rig), /^vigil_practable_experiment_available\{experiment="pend00"\} 1$/m);
  assert.deepEqual(
    rig.book.puts.map((p) => p.available),
    [true],
  );
  const report = statusReport(rig, 'pend00');
  assert.equal(report.healthy, false);
  assert.equal(report.available, true);

  // The extra stream leaves the relay: it no longer counts, and the experiment is healthy again.
  rig.clock.now += 5 * S;
  await rig.relayFrame([...relayHousekeeping, ...required]);
  assert.equal(pend00.checks['pend00-st-extra']!.status, 'unknown');
  assert.equal(pend00.health, 'healthy');
  assert.equal(statusReport(rig, 'pend00').healthy, true);
});

test("reports decode as upstream's Go decoder does: missing or null `last` means never, keys match case-insensitively", async (t) => {
  const rig = await startRig();
  t.after(() => rig.close());
  const noLast = { ...relayStream('pend00-st-data', 'Never'), stats: { tx: { size: 0, fps: 0 }, rx: { last: 'Never' } } };
  const nullLast = { ...relayStream('pend00-st-video', 'Never'), stats: { tx: { last: null, size: 0, fps: 0 }, rx: null } };
  await rig.relayFrame([...relayHousekeeping, noLast, nullLast]);
  const pend00 = rig.sink.subject('pend00');
  assert.equal(pend00.checks['pend00-st-data']!.message, 'connected but never transmitted');
  assert.equal(pend00.checks['pend00-st-video']!.message, 'connected but never transmitted');
  assert.equal(pend00.health, 'unhealthy');
  assert.equal(statusReport(rig, 'pend00').stream_reports['pend00-st-data']!.stats.tx.never, true);

  // Capitalised keys, as a Go client marshalling its own struct without tags would write them.
  const capitalised = (topic: string, last: string) => ({
    CanRead: true,
    CanWrite: true,
    Connected: '2024-05-02T09:00:00Z',
    Scopes: ['write', 'read', 'expt'],
    Stats: { Tx: { Last: last, Size: 1024, FPS: 25 }, RX: { LAST: 'Never' } },
    Topic: topic,
    UserAgent: 'Go-http-client/1.1',
  });
  rig.clock.now += S;
  await rig.relayFrame([...relayHousekeeping, capitalised('pend00-st-data', '40ms'), capitalised('pend00-st-video', '20ms')]);
  assert.equal(pend00.checks['pend00-st-data']!.status, 'ok');
  assert.equal(pend00.health, 'healthy');
  assert.match(practableMetricsOf(rig), /^vigil_practable_stream_tx_fps\{experiment="pend00",stream="st-data"\} 25$/m);
  assert.equal(statusReport(rig, 'pend00').stream_reports['pend00-st-data']!.user_agent, 'Go-http-client/1.1');
});

test('a jump outage neither raises nor clears the missing-jump warning', async (t) => {
  const rig = await startRig();
  t.after(() => rig.close());
  const frame = [
    ...relayHousekeeping,
    relayStream('pend00-st-data', '41ms'),
    relayStream('pend00-st-video', '20ms'),
    relayStream('spin30-st-data', '30ms'),
  ];
  await rig.relayFrame(frame);
  await rig.jumpFrame([jumpHost('pend00')]);
  rig.clock.now += 61 * S;
  await rig.relayFrame(frame);
  await rig.jumpFrame([jumpHost('pend00')]);
  assert.equal(rig.sink.subject('pend00').metadata['jump']!.level, 'info');
  assert.equal(rig.sink.subject('spin30').metadata['jump']!.level, 'warning');

  // Jump stops reporting; the relay goes on.
  await rig.jump.close();
  for (let i = 0; i < 5; i++) {
    rig.clock.now += 30 * S;
    await rig.relayFrame(frame);
  }
  assert.equal(rig.sink.subject('pend00').metadata['jump']!.level, 'info', 'not turned into a warning by the outage');
  assert.equal(rig.sink.subject('spin30').metadata['jump']!.level, 'warning', 'not cleared by the outage');
  assert.match(metricsOf(rig), /^vigil_source_up\{source="practable-jump"\} 0$/m);
});
