// Connectivity is separate from health (the Octopus proposal), and warnings are a count, not a health state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../src/engine/index.js';
import { H, Recorder, S, engine, observation, settings, spec, subject } from './helpers.js';

function healthyMachine(recorder: Recorder, now: number) {
  const state = engine.createState(settings());
  recorder.record(engine.upsertSubject(state, spec('Machines-1', { kind: 'machine', source: 'octopus' }), now));
  recorder.record(engine.applyObservation(state, observation('Machines-1', 'health', 'ok', { period: H }), now));
  return state;
}

test('Octopus: Healthy → Unavailable → any contact → available again, with no health event at any point', () => {
  const recorder = new Recorder();
  let now = Date.UTC(2026, 0, 1);
  const state = healthyMachine(recorder, now);
  const machine = subject(state, 'Machines-1');
  assert.equal(machine.health, 'healthy');
  assert.equal(machine.connectivity, 'available');
  assert.equal(machine.lastSeenAt, now);
  const healthEventsBefore = recorder.ofType('health').length;
  const healthChangesBefore = machine.healthChanges;

  now += 60 * S;
  const lost = recorder.record(engine.applyConnectivity(state, { subject: 'Machines-1', state: 'unavailable', reason: 'timeout' }, now));
  assert.equal(machine.connectivity, 'unavailable');
  assert.equal(machine.connectivityReason, 'timeout');
  assert.equal(machine.health, 'healthy', 'a network failure leaves health as it was');
  assert.deepEqual(
    lost.events.map((e) => [e.type, e.from, e.to, e.reason]),
    [['connectivity', 'available', 'unavailable', 'timeout']],
  );

  now += 60 * S;
  // Any contact: here the agent reports a check result.
  const back = recorder.record(engine.applyObservation(state, observation('Machines-1', 'health', 'ok', { period: H }), now));
  assert.equal(machine.connectivity, 'available');
  assert.equal(machine.lastSeenAt, now);
  assert.deepEqual(
    back.events.map((e) => [e.type, e.from, e.to]),
    [['connectivity', 'unavailable', 'available']],
  );

  now += 60 * S;
  recorder.record(engine.applyConnectivity(state, { subject: 'Machines-1', state: 'unavailable', reason: 'refused' }, now));
  recorder.record(engine.applyConnectivity(state, { subject: 'Machines-1', state: 'available' }, now + 1));
  assert.equal(machine.connectivity, 'available');
  assert.equal(machine.connectivityChanges, 4, 'the first known value is not counted as a change');
  assert.equal(recorder.ofType('health').length, healthEventsBefore, 'no health event at any point');
  assert.equal(machine.healthChanges, healthChangesBefore);
});

test('Octopus: warnings appearing or clearing produce a warnings event but no health event', () => {
  const recorder = new Recorder();
  let now = Date.UTC(2026, 0, 1);
  const state = healthyMachine(recorder, now);
  const machine = subject(state, 'Machines-1');
  const healthEventsBefore = recorder.ofType('health').length;

  now += S;
  const appeared = recorder.record(
    engine.setMetadata(state, 'Machines-1', 'HasLatestCalamari', { level: 'warning', message: 'Calamari is out of date' }, now),
  );
  assert.equal(machine.warnings, 1);
  assert.deepEqual(
    appeared.events.map((e) => [e.type, e.from, e.to]),
    [['warnings', '0', '1']],
  );
  assert.equal(appeared.events[0]!.reason, 'HasLatestCalamari (Calamari is out of date)');

  now += S;
  const again = engine.setMetadata(state, 'Machines-1', 'HasLatestCalamari', { level: 'warning', message: 'Calamari is out of date' }, now);
  assert.deepEqual(again.events, [], 'the same entry again is no change');
  assert.equal(again.changed.size, 0);

  now += S;
  recorder.record(engine.applyObservation(state, observation('Machines-1', 'disk', 'warn', { period: H, message: 'disk 85%' }), now));
  assert.equal(machine.warnings, 2, 'a counting warn check is a warning too');
  assert.equal(recorder.events.at(-1)!.reason, 'disk (disk 85%); HasLatestCalamari (Calamari is out of date)');
  assert.equal(machine.health, 'healthy');

  now += S;
  recorder.record(engine.deleteMetadata(state, 'Machines-1', 'HasLatestCalamari', now));
  recorder.record(engine.applyObservation(state, observation('Machines-1', 'disk', 'ok', { period: H }), now));
  assert.equal(machine.warnings, 0);
  assert.deepEqual(
    recorder.ofType('warnings').map((e) => [e.from, e.to]),
    [
      ['0', '1'],
      ['1', '2'],
      ['2', '1'],
      ['1', '0'],
    ],
  );
  assert.equal(recorder.ofType('health').length, healthEventsBefore, 'Healthy ↔ Healthy-with-warnings never changes health');

  // info and error metadata are facts, not warnings.
  recorder.record(engine.setMetadata(state, 'Machines-1', 'FreeDiskSpace', { level: 'info', message: '12 GB', value: 12e9 }, now));
  recorder.record(engine.setMetadata(state, 'Machines-1', 'Tentacle', { level: 'error', message: 'upgrade failed' }, now));
  assert.equal(machine.warnings, 0);
  assert.equal(machine.metadata.FreeDiskSpace!.value, 12e9);
  assert.equal(machine.metadata.FreeDiskSpace!.updatedAt, now);
});

test('an unavailable signal with a grace is held and cancelled by any contact inside the grace', () => {
  const recorder = new Recorder();
  const start = Date.UTC(2026, 0, 1);
  const state = healthyMachine(recorder, start);
  const machine = subject(state, 'Machines-1');

  const held = engine.applyConnectivity(state, { subject: 'Machines-1', state: 'unavailable', reason: 'disconnect', grace: 30 * S }, start + S);
  assert.deepEqual(held.events, []);
  assert.deepEqual(machine.pendingUnavailable, { at: start + 31 * S, reason: 'disconnect' });
  assert.equal(machine.connectivity, 'available');
  assert.equal(engine.nextDeadline(state), start + 31 * S, 'the end of the grace is a deadline');

  // A second disconnect does not push the deadline out.
  engine.applyConnectivity(state, { subject: 'Machines-1', state: 'unavailable', grace: 30 * S }, start + 10 * S);
  assert.equal(machine.pendingUnavailable!.at, start + 31 * S);

  // The agent reconnects inside the grace.
  engine.applyConnectivity(state, { subject: 'Machines-1', state: 'available' }, start + 20 * S);
  assert.equal(machine.pendingUnavailable, undefined);
  const later = engine.tick(state, start + 40 * S);
  assert.deepEqual(later.events, []);
  assert.equal(machine.connectivity, 'available');
});

test('an unavailable signal whose grace runs out is applied by tick, and health stays untouched', () => {
  const recorder = new Recorder();
  const start = Date.UTC(2026, 0, 1);
  const state = healthyMachine(recorder, start);
  const machine = subject(state, 'Machines-1');
  engine.applyConnectivity(state, { subject: 'Machines-1', state: 'unavailable', reason: 'disconnect', grace: 30 * S }, start);
  assert.deepEqual(engine.tick(state, start + 30 * S - 1).events, []);
  const applied = engine.tick(state, start + 30 * S);
  assert.deepEqual(
    applied.events.map((e) => [e.type, e.from, e.to, e.reason]),
    [['connectivity', 'available', 'unavailable', 'disconnect']],
  );
  assert.equal(machine.connectivity, 'unavailable');
  assert.equal(machine.pendingUnavailable, undefined);
  assert.equal(machine.health, 'healthy');
  assert.ok(applied.changed.has('Machines-1'));
});

test('connectivity: first contact is an event from null; unknown subjects and bad signals are refused', () => {
  const state = engine.createState(settings());
  const now = Date.UTC(2026, 0, 1);
  engine.upsertSubject(state, spec('m'), now);
  assert.equal(subject(state, 'm').connectivity, undefined, 'never known until someone says');
  const first = engine.applyConnectivity(state, { subject: 'm', state: 'available' }, now);
  assert.deepEqual(
    first.events.map((e) => [e.from, e.to]),
    [[null, 'available']],
  );
  assert.equal(subject(state, 'm').connectivityChanges, 0);

  const before = structuredClone(state);
  assert.throws(
    () => engine.applyConnectivity(state, { subject: 'nope', state: 'available' }, now),
    (e: unknown) => e instanceof EngineError && e.code === 'not_found',
  );
  assert.throws(
    () => engine.applyConnectivity(state, { subject: 'm', state: 'sideways' as 'available' }, now),
    (e: unknown) => e instanceof EngineError && e.code === 'invalid',
  );
  assert.throws(() => engine.applyConnectivity(state, { subject: 'm', state: 'unavailable', grace: -1 }, now), EngineError);
  assert.deepEqual(state, before);
});

test('a second-hand result (contact: false) keeps health fresh without touching connectivity or last seen', () => {
  const recorder = new Recorder();
  let now = Date.UTC(2026, 0, 1);
  const state = healthyMachine(recorder, now);
  const machine = subject(state, 'Machines-1');
  const seenAt = machine.lastSeenAt;
  now += 60 * S;
  recorder.record(engine.applyConnectivity(state, { subject: 'Machines-1', state: 'unavailable', reason: 'octopus' }, now));
  now += 60 * S;
  const relayed = recorder.record(
    engine.applyObservation(state, { ...observation('Machines-1', 'health', 'ok', { period: H }), contact: false }, now),
  );
  assert.equal(machine.connectivity, 'unavailable', 'a relayed result does not prove vigil reached the machine');
  assert.equal(machine.lastSeenAt, seenAt);
  assert.equal(machine.checks['health']!.receivedAt, now, 'the result itself is recorded');
  assert.deepEqual(relayed.events, []);
  assert.throws(
    () => engine.applyObservation(state, { ...observation('Machines-1', 'health', 'ok'), contact: 'no' as unknown as boolean }, now),
    EngineError,
  );
});
