// A batch of observations (the push API's POST /observations): recorded in order, each subject evaluated once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyPlainData } from '../../src/engine/snapshot.js';
import { EngineError } from '../../src/engine/types.js';
import { H, M, T0, engine, eventsOf, observation, settings, spec, subject } from './helpers.js';

const noGrace = () => settings({ startupGrace: 0 });

test('a batch ends where the same results one by one end: same subjects, checks, counters and final health', () => {
  const batch = [
    observation('a', 'c1', 'ok', { period: H }),
    observation('b', 'c1', 'crit', { period: H }),
    observation('a', 'c2', 'warn', { period: H, message: 'slow' }),
    observation('b', 'c1', 'crit', { period: H }),
  ];
  const together = engine.createState(noGrace());
  engine.applyObservations(together, batch, T0);
  const oneByOne = engine.createState(noGrace());
  for (const obs of batch) engine.applyObservation(oneByOne, obs, T0);
  for (const id of ['a', 'b']) {
    const [x, y] = [subject(together, id), subject(oneByOne, id)];
    assert.deepEqual(x.checks, y.checks);
    assert.deepEqual(x.runs, y.runs);
    assert.equal(x.health, y.health);
    assert.equal(x.warnings, y.warnings);
  }
  assert.equal(subject(together, 'b').checks.c1!.consecutiveFailures, 2, 'every result counts');
});

test('each subject is evaluated once, after all its results: a crit then an ok in one batch is no unhealthy moment', () => {
  const state = engine.createState(noGrace());
  engine.applyObservation(state, observation('h', 'c', 'ok', { period: H }), T0);
  const result = engine.applyObservations(state, [observation('h', 'c', 'crit', { period: H }), observation('h', 'c', 'ok', { period: H })], T0 + M);
  assert.deepEqual(eventsOf(result, 'health', 'h'), [], 'healthy at the batch time, before and after');
  assert.equal(subject(state, 'h').health, 'healthy');
  assert.equal(subject(state, 'h').runs?.c?.total, 3, 'both results are runs');
  // One by one, the same two results make two health events.
  const single = engine.createState(noGrace());
  engine.applyObservation(single, observation('h', 'c', 'ok', { period: H }), T0);
  const events = [observation('h', 'c', 'crit', { period: H }), observation('h', 'c', 'ok', { period: H })].flatMap((obs) =>
    eventsOf(engine.applyObservation(single, obs, T0 + M), 'health', 'h'),
  );
  assert.deepEqual(
    events.map((e) => e.to),
    ['unhealthy', 'healthy'],
  );
});

test('a refused observation refuses the whole batch before anything changed', () => {
  const state = engine.createState(noGrace());
  engine.upsertSubject(state, spec('h'), T0);
  const before = copyPlainData(subject(state, 'h'));
  const seq = state.seq;
  assert.throws(
    () =>
      engine.applyObservations(state, [observation('h', 'c', 'ok'), observation('new', 'c', 'ok'), observation('h', 'c', 'bogus' as 'ok')], T0 + M),
    EngineError,
  );
  assert.deepEqual(subject(state, 'h'), before);
  assert.equal(state.subjects.has('new'), false);
  assert.equal(state.seq, seq);
});

test('copyPlainData copies a subject deeply, as structuredClone does', () => {
  const state = engine.createState(noGrace());
  engine.applyObservation(state, observation('h', 'c', 'crit', { period: H, metrics: { rtt: 0.5 } }), T0);
  const original = subject(state, 'h');
  const copy = copyPlainData(original);
  assert.deepEqual(copy, structuredClone(original));
  copy.checks.c!.metrics!.rtt = 9;
  copy.spec.labels.x = 'y';
  assert.equal(original.checks.c!.metrics!.rtt, 0.5);
  assert.deepEqual(original.spec.labels, {});
});
