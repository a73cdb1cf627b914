// Per-check rules: counters, status_changed_at, freshness, effective timestamp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../src/engine/index.js';
import { H, M, Recorder, S, T0, engine, observation, settings, spec, subject } from './helpers.js';

test('consecutive counters: crit counts failures, ok and warn count successes, unknown resets both', () => {
  const state = engine.createState(settings());
  const counters = () => {
    const check = subject(state, 'h').checks.c!;
    return [check.consecutiveFailures, check.consecutiveSuccesses];
  };
  const sequence: [Parameters<typeof observation>[2], number[]][] = [
    ['crit', [1, 0]],
    ['crit', [2, 0]],
    ['crit', [3, 0]],
    ['ok', [0, 1]],
    ['warn', [0, 2]],
    ['ok', [0, 3]],
    ['unknown', [0, 0]],
    ['crit', [1, 0]],
    ['unknown', [0, 0]],
    ['ok', [0, 1]],
  ];
  sequence.forEach(([status, expected], i) => {
    engine.applyObservation(state, observation('h', 'c', status), T0 + i * S);
    assert.deepEqual(counters(), expected, `after #${i} ${status}`);
  });
});

test('status_changed_at is the first receipt of the current status, or the source timestamp when given', () => {
  const state = engine.createState(settings());
  engine.applyObservation(state, observation('h', 'c', 'ok'), T0);
  const check = () => subject(state, 'h').checks.c!;
  assert.equal(check().statusChangedAt, T0);
  engine.applyObservation(state, observation('h', 'c', 'ok'), T0 + 10 * S);
  assert.equal(check().statusChangedAt, T0, 'same status: unchanged');
  assert.equal(check().receivedAt, T0 + 10 * S);
  engine.applyObservation(state, observation('h', 'c', 'crit'), T0 + 20 * S);
  assert.equal(check().statusChangedAt, T0 + 20 * S);
  engine.applyObservation(state, observation('h', 'c', 'ok', { observedAt: T0 + 25 * S }), T0 + 30 * S);
  assert.equal(check().statusChangedAt, T0 + 25 * S, "the source's own timestamp");
  engine.applyObservation(state, observation('h', 'c', 'ok', { observedAt: T0 + 35 * S }), T0 + 40 * S);
  assert.equal(check().statusChangedAt, T0 + 25 * S);
});

test('a result stamped older than the one held arrived out of order: it is contact, not a new status', () => {
  const state = engine.createState(settings());
  engine.applyObservation(state, observation('h', 'c', 'ok', { observedAt: T0 + 10 * S }), T0 + 11 * S);
  engine.applyObservation(state, observation('h', 'c', 'crit', { observedAt: T0 + 5 * S }), T0 + 12 * S);
  const host = subject(state, 'h');
  assert.equal(host.checks.c!.reported, 'ok');
  assert.equal(host.checks.c!.receivedAt, T0 + 11 * S);
  assert.equal(host.lastSeenAt, T0 + 12 * S);
});

test('freshness: expires_at = received_at + freshness × period, from settings, then subject timing, then observation timing', () => {
  const state = engine.createState(settings({ freshness: 2 }));
  engine.applyObservation(state, observation('h', 'a', 'ok', { period: 10 * S }), T0);
  assert.equal(subject(state, 'h').checks.a!.expiresAt, T0 + 20 * S);
  engine.upsertSubject(state, spec('t', { timing: { freshness: 3 } }), T0);
  engine.applyObservation(state, observation('t', 'a', 'ok', { period: 10 * S }), T0);
  assert.equal(subject(state, 't').checks.a!.expiresAt, T0 + 30 * S);
  engine.applyObservation(state, observation('t', 'b', 'ok', { period: 10 * S, timing: { freshness: 1.5 } }), T0);
  assert.equal(subject(state, 't').checks.b!.expiresAt, T0 + 15 * S);
});

test('freshness: with observed_at and max_age the check expires at the earlier of the two', () => {
  const state = engine.createState(settings({ freshness: 2 }));
  // Observed 50 s before receipt, may be at most 60 s old: expires at observed + 60 s, well before received + 20 min.
  engine.applyObservation(state, observation('h', 'c', 'ok', { period: 10 * M, observedAt: T0 - 50 * S, maxAge: 60 * S }), T0);
  assert.equal(subject(state, 'h').checks.c!.expiresAt, T0 + 10 * S);
  // max_age generous: received + freshness × period wins.
  engine.applyObservation(state, observation('h', 'd', 'ok', { period: 10 * S, observedAt: T0, maxAge: H }), T0);
  assert.equal(subject(state, 'h').checks.d!.expiresAt, T0 + 20 * S);
  // observed_at without max_age: freshness alone.
  engine.applyObservation(state, observation('h', 'e', 'ok', { period: 10 * S, observedAt: T0 - H }), T0);
  assert.equal(subject(state, 'h').checks.e!.expiresAt, T0 + 20 * S);
});

test('staleness makes health unknown via tick, and a stale check reads unknown', () => {
  const recorder = new Recorder();
  const state = engine.createState(settings());
  recorder.record(engine.applyObservation(state, observation('h', 'c', 'crit', { period: 10 * S }), T0));
  const host = subject(state, 'h');
  assert.equal(host.health, 'unhealthy');
  assert.equal(host.nextDeadline, T0 + 20 * S);
  assert.equal(engine.nextDeadline(state), T0 + 20 * S);

  const early = recorder.record(engine.tick(state, T0 + 20 * S - 1));
  assert.deepEqual(early.events, []);
  assert.equal(early.changed.size, 0);
  const stale = recorder.record(engine.tick(state, T0 + 20 * S));
  const check = host.checks.c!;
  assert.equal(check.reported, 'crit');
  assert.equal(check.status, 'unknown');
  assert.equal(check.counted, false);
  assert.equal(check.notCountedReason, 'stale');
  assert.equal(host.health, 'unknown');
  assert.equal(host.healthReason, 'no counting check: c stale');
  assert.deepEqual(
    stale.events.map((e) => [e.type, e.from, e.to, e.at]),
    [['health', 'unhealthy', 'unknown', T0 + 20 * S]],
  );
  assert.ok(stale.changed.has('h'));
  assert.equal(engine.nextDeadline(state), undefined, 'only new input can change it now');
});

test('effective timestamp with observed_at is observed_at − accuracy, capped at receipt', () => {
  const state = engine.createState(settings());
  engine.applyObservation(state, observation('h', 'c', 'ok', { observedAt: T0 - 30 * S, timing: { accuracy: 2 * S } }), T0);
  assert.equal(subject(state, 'h').checks.c!.effectiveAt, T0 - 32 * S);
  // A source clock running ahead cannot make a result effective after we received it.
  engine.applyObservation(state, observation('h', 'd', 'ok', { observedAt: T0 + H }), T0);
  assert.equal(subject(state, 'h').checks.d!.effectiveAt, T0);
});

test(
  'effective timestamp without observed_at is ' +
    'max(status_changed − overhead − accuracy, received − overhead − push_period − 2 × period − accuracy)',
  () => {
    const state = engine.createState(settings());
    const timing = { overhead: 1 * S, accuracy: 2 * S, pushPeriod: 30 * S };
    engine.applyObservation(state, observation('h', 'c', 'ok', { period: 60 * S, timing }), T0);
    const check = () => subject(state, 'h').checks.c!;
    // Just changed: status_changed_at term wins (T0 − 3 s) over received term (T0 − 1 − 30 − 120 − 2 s).
    assert.equal(check().effectiveAt, T0 - 3 * S);
    // Ten minutes of the same status later: the received term (T0 + 10 min − 153 s) wins.
    engine.applyObservation(state, observation('h', 'c', 'ok', { period: 60 * S, timing }), T0 + 10 * M);
    assert.equal(check().effectiveAt, T0 + 10 * M - 153 * S);
    // Timing from the subject spec applies to checks reported after it is set.
    engine.upsertSubject(state, spec('h', { source: 'api', kind: 'push', timing: { overhead: 5 * S } }), T0 + 11 * M);
    engine.applyObservation(state, observation('h', 'c', 'crit', { period: 60 * S }), T0 + 11 * M);
    assert.equal(check().effectiveAt, T0 + 11 * M - 5 * S);
    assert.deepEqual(check().timing, { freshness: 2, overhead: 5 * S, accuracy: 0, pushPeriod: 0 });
  },
);

test('a check reporting unknown does not count (reason unknown) and makes nothing healthy', () => {
  const state = engine.createState(settings());
  engine.applyObservation(state, observation('h', 'c', 'unknown'), T0);
  const host = subject(state, 'h');
  assert.equal(host.checks.c!.counted, false);
  assert.equal(host.checks.c!.notCountedReason, 'unknown');
  assert.equal(host.checks.c!.status, 'unknown');
  assert.equal(host.health, 'unknown');
  assert.equal(host.appeared, false, 'an unknown result does not prove the checks appeared');
});

test('observations create their subject with kind push and source api unless told; metrics and messages are kept', () => {
  const state = engine.createState(settings());
  const result = engine.applyObservation(state, observation('new', 'c', 'ok', { metrics: { duration_seconds: 0.25 }, message: 'fine' }), T0);
  const created = subject(state, 'new');
  assert.equal(created.spec.kind, 'push');
  assert.equal(created.spec.source, 'api');
  assert.equal(created.createdAt, T0);
  assert.equal(created.checks.c!.source, 'api');
  assert.deepEqual(created.checks.c!.metrics, { duration_seconds: 0.25 });
  assert.equal(created.checks.c!.message, 'fine');
  assert.ok(result.changed.has('new'));
  engine.applyObservation(state, observation('other', 'c', 'ok', { kind: 'target', source: 'targets' }), T0);
  assert.equal(subject(state, 'other').spec.kind, 'target');
  assert.equal(subject(state, 'other').checks.c!.source, 'targets');
  engine.applyObservation(state, observation('new', 'c', 'ok'), T0 + S);
  assert.equal(created.checks.c!.metrics, undefined, 'metrics belong to one result');
  assert.equal(created.checks.c!.message, undefined);
});

test('invalid observations are refused and change nothing', () => {
  const state = engine.createState(settings());
  engine.applyObservation(state, observation('h', 'c', 'ok'), T0);
  const before = structuredClone(state);
  const bad = [
    observation('', 'c', 'ok'),
    observation('h', '', 'ok'),
    observation('h', 'c', 'fine' as 'ok'),
    observation('h', 'c', 'ok', { period: 0 }),
    observation('h', 'c', 'ok', { period: Number.NaN }),
    observation('h', 'c', 'ok', { observedAt: Number.POSITIVE_INFINITY }),
    observation('h', 'c', 'ok', { maxAge: -1 }),
    observation('h', 'c', 'ok', { timing: { freshness: 0 } }),
    observation('h', 'c', 'ok', { metrics: { x: 'high' as unknown as number } }),
    observation('fresh-subject', 'c', 'ok', { period: -5 }),
  ];
  for (const input of bad) {
    assert.throws(
      () => engine.applyObservation(state, input, T0 + S),
      (e: unknown) => e instanceof EngineError && e.code === 'invalid',
      JSON.stringify(input),
    );
  }
  assert.deepEqual(state, before);
});
