// The issue's scenarios against fake relay, jump and book peers on loopback and a real engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOK_SOURCE, JUMP_SOURCE, RELAY_SOURCE } from '../../../src/sources/practable/source.js';
import { bookAdminToken, jumpStatsToken, relayStatsToken } from '../../../src/sources/practable/tokens.js';
import { FakeBook, FakeStatsPeer, SECRET, jumpHost, relayHousekeeping, relayStream, relayStreamV08 } from './fakes.js';
import { until } from '../../helpers/until.js';
import { M, S, startRig } from './harness.js';

const healthyFrame = (data = '41.2ms', video = '20ms') => [
  ...relayHousekeeping,
  relayStream('pend00-st-data', data),
  relayStream('pend00-st-video', video),
];

test('stream goes quiet → experiment unhealthy and unavailable after the window; book gets one PUT per change', async (t) => {
  const rig = await startRig();
  t.after(() => rig.close());
  const { sink, book, clock, source } = rig;

  await rig.relayFrame(healthyFrame());
  const experiment = sink.subject('pend00');
  assert.equal(experiment.spec.kind, 'experiment');
  assert.deepEqual(experiment.spec.labels, { resource: 'r-pend00' });
  assert.deepEqual(Object.keys(experiment.checks).sort(), ['pend00-st-data', 'pend00-st-video']);
  assert.equal(experiment.health, 'healthy');
  assert.equal(experiment.connectivity, 'available');
  assert.equal(book.puts.length, 1);
  assert.deepEqual({ ...book.puts[0], reason: undefined }, { resource: 'r-pend00', available: true, reason: undefined });
  assert.match(book.puts[0]!.reason, /^vigil .*: all required streams healthy$/);

  clock.now += 10 * S;
  await rig.relayFrame(healthyFrame('9.9s'));
  assert.equal(experiment.health, 'healthy', 'inside the window');
  assert.equal(book.puts.length, 1, 'no change, no PUT');

  clock.now += 10 * S;
  await rig.relayFrame(healthyFrame('15s'));
  assert.equal(experiment.health, 'unhealthy');
  assert.equal(experiment.checks['pend00-st-data']!.status, 'crit');
  assert.equal(experiment.checks['pend00-st-data']!.message, 'not transmitted within 10s');
  assert.equal(book.puts.length, 2);
  assert.equal(book.puts[1]!.available, false);
  assert.match(book.puts[1]!.reason, /pend00-st-data not transmitted within 10s/);
  assert.equal(book.availability.get('r-pend00')!.available, false);
  assert.equal(source.bookAvailable.get('pend00'), false, 'read back after the PUT');
  assert.deepEqual(
    sink.ofType('availability', 'pend00').map((e) => [e.from, e.to]),
    [
      [null, 'available'],
      ['available', 'unavailable'],
    ],
  );
  assert.deepEqual(
    sink.ofType('health', 'pend00').map((e) => e.to),
    ['unknown', 'healthy', 'unhealthy'],
    'unknown from the manifest until the relay reports',
  );
  assert.equal(source.counters.availabilityUpdates.ok, 2);
  assert.deepEqual(book.rejections, []);

  // Status-style history: one event per change of healthy.
  const events = source.model.experiments.get('pend00')!.events;
  assert.deepEqual(
    events.map((e) => e.healthy),
    [true, false],
  );
  assert.deepEqual(events[1]!.issues, ['missing jump', 'unhealthy pend00-st-data']);
});

test('jump disappears → a warning and an event; health and availability unchanged', async (t) => {
  const rig = await startRig();
  t.after(() => rig.close());
  const { sink, book, clock } = rig;
  await rig.relayFrame(healthyFrame());
  await rig.jumpFrame([jumpHost('pend00'), { topic: 'stats', scopes: ['stats', 'read', 'write'], user_agent: 'internal' }]);
  const experiment = sink.subject('pend00');
  assert.equal(experiment.checks['jump'], undefined, 'jump is not a check: it must never make an experiment healthy');
  assert.deepEqual({ ...experiment.metadata['jump'], updatedAt: 0 }, { level: 'info', message: 'jump host connected', updatedAt: 0 });
  assert.equal(experiment.warnings, 0);
  const putsBefore = book.puts.length;

  clock.now += 30 * S;
  await rig.relayFrame(healthyFrame());
  await rig.jumpFrame([]);
  assert.equal(experiment.metadata['jump']!.level, 'info', 'jump loss is judged over health_last_checked, like status');

  clock.now += 31 * S;
  await rig.relayFrame(healthyFrame());
  await rig.jumpFrame([]);
  assert.equal(experiment.metadata['jump']!.level, 'warning');
  assert.match(experiment.metadata['jump']!.message, /^missing jump/);
  assert.equal(experiment.warnings, 1);
  assert.equal(experiment.health, 'healthy', 'a warning never changes health');
  assert.deepEqual(
    sink.ofType('warnings', 'pend00').map((e) => [e.from, e.to]),
    [['0', '1']],
  );
  assert.equal(book.puts.length, putsBefore, 'jump never changes availability');
  assert.equal(sink.ofType('availability', 'pend00').length, 1);
  const events = rig.source.model.experiments.get('pend00')!.events;
  assert.deepEqual(
    events.map((e) => [e.healthy, e.jumpOk]),
    [
      [true, false],
      [true, true],
      [true, false],
    ],
  );
});

test('relay down → source_up 0 with errors counted; after source_drop_after the stream checks are dropped', async (t) => {
  const rig = await startRig();
  t.after(() => rig.close());
  const { sink, clock, relay } = rig;
  await rig.relayFrame(healthyFrame());
  assert.equal(sink.state.sources.get(RELAY_SOURCE)!.up, true);

  await relay.close();
  await until(() => sink.state.sources.get(RELAY_SOURCE)!.up === false, 'relay reported down');
  await until(() => (sink.state.sources.get(RELAY_SOURCE)!.errors['refused'] ?? 0) >= 1, 'a refused reconnect counted');
  const relayState = sink.state.sources.get(RELAY_SOURCE)!;
  assert.ok((relayState.errors['reset'] ?? 0) >= 1, JSON.stringify(relayState.errors));

  const experiment = sink.subject('pend00');
  clock.now += 15 * M + S;
  sink.tick();
  assert.equal(experiment.checks['pend00-st-data']!.dropped, true);
  assert.equal(experiment.checks['pend00-st-video']!.dropped, true);
  assert.equal(experiment.health, 'unknown', 'no old colours: the verdict is dropped, not kept');
  assert.equal(sink.state.sources.get(RELAY_SOURCE)!.droppedAt, clock.now);

  // It comes back: the client reconnects by itself and reports up again.
  await relay.restart();
  await until(() => relay.open === 1, 'relay reconnected');
  assert.equal(sink.state.sources.get(RELAY_SOURCE)!.up, false, 'an open socket is not up until it reports');
  await rig.relayFrame(healthyFrame());
  assert.equal(sink.state.sources.get(RELAY_SOURCE)!.up, true);
  assert.equal(experiment.health, 'healthy');
});

test('new experiment inside start-up grace → pending, no availability read or PUT until the grace ends', async (t) => {
  const rig = await startRig({ startupGrace: 60 * S });
  t.after(() => rig.close());
  const { sink, book, clock } = rig;
  await rig.relayFrame(healthyFrame());
  assert.equal(sink.subject('pend00').health, 'pending');
  assert.equal(book.puts.length, 0);
  assert.equal(book.requests, 1, 'only the manifest was read');
  assert.deepEqual(rig.source.model.experiments.get('pend00')!.events, [], 'no events during grace');

  clock.now += 61 * S;
  sink.tick();
  await rig.relayFrame(healthyFrame());
  assert.equal(sink.subject('pend00').health, 'healthy');
  assert.deepEqual(
    book.puts.map((p) => p.available),
    [true],
  );
});

test('relay v0.8+ reports (no stats): a connected stream is active; a vanished one goes crit after the window', async (t) => {
  const rig = await startRig();
  t.after(() => rig.close());
  const { sink, clock, book } = rig;
  await rig.relayFrame([relayStreamV08('pend00-st-data'), relayStreamV08('pend00-st-video')]);
  const experiment = sink.subject('pend00');
  assert.equal(experiment.health, 'healthy');

  clock.now += 5 * S;
  await rig.relayFrame([relayStreamV08('pend00-st-data')]);
  assert.equal(experiment.health, 'healthy', 'gone for less than health_last_active');

  clock.now += 6 * S;
  await rig.relayFrame([relayStreamV08('pend00-st-data')]);
  assert.equal(experiment.checks['pend00-st-video']!.message, 'disconnected, not transmitted within 10s');
  assert.equal(experiment.health, 'unhealthy');
  assert.deepEqual(
    book.puts.map((p) => p.available),
    [true, false],
  );

  clock.now += 5 * S;
  await rig.relayFrame([]);
  // No stream connected: the experiment's connectivity waits out disconnect_grace, then goes unavailable.
  assert.equal(experiment.connectivity, 'available');
  clock.now += 31 * S;
  await rig.relayFrame([]);
  sink.tick();
  assert.equal(experiment.connectivity, 'unavailable');
});

test('required stream never seen → crit "missing"; connection drops reconnect with backoff', async (t) => {
  const rig = await startRig();
  t.after(() => rig.close());
  const { sink, relay, source } = rig;
  await rig.relayFrame([...relayHousekeeping, relayStream('pend00-st-data', '10ms')]);
  const experiment = sink.subject('pend00');
  assert.equal(experiment.checks['pend00-st-video']!.message, 'missing: never seen on the relay');
  assert.equal(experiment.health, 'unhealthy');
  assert.equal(rig.book.puts.length, 0, 'book already says unavailable: nothing to PUT');
  assert.equal(source.bookAvailable.get('pend00'), false);

  relay.dropAll();
  await until(() => relay.connections === 2 && relay.open === 1 && sink.state.sources.get(RELAY_SOURCE)?.up === false, 'reconnected after a drop');
  await rig.relayFrame([...relayHousekeeping, relayStream('pend00-st-data', '10ms')]);
  assert.ok((sink.state.sources.get(RELAY_SOURCE)!.errors['reset'] ?? 0) >= 1);
  assert.equal(sink.state.sources.get(RELAY_SOURCE)!.up, true);
});

test('malformed frames are counted and dropped without touching state', async (t) => {
  const rig = await startRig();
  t.after(() => rig.close());
  const { relay, jump, source, sink } = rig;
  await rig.relayFrame(healthyFrame());
  const versionBefore = sink.subject('pend00').stateVersion;
  relay.broadcast('{"cmd":"update"}');
  relay.broadcast('[{"topic":');
  relay.broadcast([relayStream('pend00-st-data', 'soon')]);
  relay.sendBinary(Buffer.from([1, 2, 3]));
  jump.broadcast('"hello"');
  const malformed = () => [...source.counters.malformed.values()].reduce((a, b) => a + b, 0);
  await until(() => malformed() === 5, 'five malformed frames counted');
  assert.deepEqual(Object.fromEntries(source.counters.malformed), {
    [`${RELAY_SOURCE}\u0000not_array`]: 1,
    [`${RELAY_SOURCE}\u0000not_json`]: 1,
    [`${RELAY_SOURCE}\u0000bad_report`]: 1,
    [`${RELAY_SOURCE}\u0000binary`]: 1,
    [`${JUMP_SOURCE}\u0000not_array`]: 1,
  });
  assert.equal(sink.subject('pend00').stateVersion, versionBefore);
  assert.equal(relay.open, 1, 'the connection stays');
  await rig.relayFrame(healthyFrame());
  assert.equal(sink.subject('pend00').health, 'healthy');
});

test('tokens are renewed and the connection recycled every reconnect_every, without an error', async (t) => {
  const rig = await startRig({ reconnectEvery: 150 });
  t.after(() => rig.close());
  await until(() => rig.relay.tokens.length >= 3 && rig.jump.tokens.length >= 3, 'three relay and jump connections');
  assert.deepEqual(rig.sink.state.sources.get(RELAY_SOURCE)?.errors ?? {}, {});
  assert.deepEqual(rig.relay.rejections, []);
  const claims = rig.relay.tokens[0]!;
  assert.equal((claims['exp'] as number) - (claims['iat'] as number) <= 2 + 61, true, 'lifetime is reconnect_every plus a minute');
});

test('a wrong secret is refused by relay, jump and book: sources down with http_401, nothing applied', async (t) => {
  const rig = await startRig({}, { secret: 'not-the-secret', waitConnected: false });
  t.after(() => rig.close());
  const { sink, relay, jump, book } = rig;
  await until(() => (sink.state.sources.get(RELAY_SOURCE)?.errors['http_401'] ?? 0) >= 2, 'relay refusals counted');
  await until(() => (sink.state.sources.get(JUMP_SOURCE)?.errors['http_401'] ?? 0) >= 1, 'jump refusals counted');
  await until(() => (sink.state.sources.get(BOOK_SOURCE)?.errors['http_401'] ?? 0) >= 1, 'book refusal counted');
  assert.ok(relay.rejections.includes('signature is invalid'));
  assert.ok(jump.rejections.includes('signature is invalid'));
  assert.ok(book.rejections.includes('signature is invalid'));
  assert.equal(relay.connections, 0);
  assert.equal(sink.state.subjects.size, 0);
});

test('book that never answers: the timeout holds and book is reported down', async (t) => {
  const rig = await startRig({}, { waitConnected: false });
  t.after(() => rig.close());
  await rig.source.settled();
  rig.book.hang = true;
  rig.config.book.timeout = 1_000;
  const started = Date.now();
  await rig.source.queryBook();
  assert.ok(Date.now() - started < 4_000);
  const book = rig.sink.state.sources.get(BOOK_SOURCE)!;
  assert.equal(book.up, false);
  assert.equal(book.errors['timeout'], 1);
});

test('reconciliation every query_book_every: a manual change in book is put right, an agreeing one is left alone', async (t) => {
  const rig = await startRig();
  t.after(() => rig.close());
  const { book, source } = rig;
  await rig.relayFrame(healthyFrame());
  assert.deepEqual(
    book.puts.map((p) => p.available),
    [true],
  );
  await source.queryBook();
  await source.settled();
  assert.equal(book.puts.length, 1, 'book agrees: read, not written');

  book.availability.set('r-pend00', { available: false, reason: 'admin' });
  await source.queryBook();
  await source.settled();
  assert.deepEqual(
    book.puts.map((p) => p.available),
    [true, true],
  );
  assert.equal(book.availability.get('r-pend00')!.available, true);
});

test('the fake peers refuse tokens the way relay, jump and book do: Bearer prefix, wrong audience, expired', async (t) => {
  const relay = await FakeStatsPeer.start({ kind: 'relay' });
  const jump = await FakeStatsPeer.start({ kind: 'jump' });
  const book = await FakeBook.start({});
  t.after(() => Promise.all([relay.close(), jump.close(), book.close()]));
  const now = Date.now();
  const post = (url: string, token: string) => fetch(url, { method: 'POST', headers: { authorization: token } });
  const relayAccess = `${relay.url}/session/stats`;
  const jumpAccess = `${jump.url}/api/v1/connect/stats`;

  assert.equal((await post(relayAccess, relayStatsToken(relay.url, SECRET, now, 60_000))).status, 200);
  assert.equal((await post(relayAccess, `Bearer ${relayStatsToken(relay.url, SECRET, now, 60_000)}`)).status, 401);
  assert.equal((await post(relayAccess, relayStatsToken('https://elsewhere/ed0/access', SECRET, now, 60_000))).status, 401);
  assert.equal((await post(relayAccess, relayStatsToken(relay.url, SECRET, now - 120_000, 60_000))).status, 401);
  assert.equal((await post(relayAccess, jumpStatsToken(relay.url, SECRET, now, 60_000))).status, 401, 'jump claims on relay: wrong prefix');
  assert.deepEqual(relay.rejections, ['token is malformed', 'token has invalid audience', 'token is expired', 'Token Missing Required Claims']);

  assert.equal((await post(jumpAccess, jumpStatsToken(jump.url, SECRET, now, 60_000))).status, 200);
  assert.equal((await post(jumpAccess, `Bearer ${jumpStatsToken(jump.url, SECRET, now, 60_000)}`)).status, 401);
  assert.equal((await post(jumpAccess, relayStatsToken(jump.url, SECRET, now, 60_000))).status, 401, 'relay claims on jump: no stats scope');

  const get = (token: string) => fetch(`${book.url}/api/v1/admin/resources`, { headers: { authorization: token } });
  assert.equal((await get(bookAdminToken(book.url, SECRET, now, 60_000))).status, 200);
  assert.equal((await get(`Bearer ${bookAdminToken(book.url, SECRET, now, 60_000)}`)).status, 401);
  assert.equal((await get(bookAdminToken(`${book.url}/`, SECRET, now, 60_000))).status, 401, 'the audience is compared exactly');
  assert.equal((await get(bookAdminToken(book.url, SECRET, now - 600_000, 60_000))).status, 401);
});
