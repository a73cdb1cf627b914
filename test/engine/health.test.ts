// Subject health: the five states, start-up grace, appearance timeout, reasons, and derived fields kept in the state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H, M, Recorder, S, T0, engine, observation, settings, spec, subject } from './helpers.js';

test('health: unhealthy if any counting check is crit, healthy if one counts and none is crit, unknown if none counts', () => {
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('h'), T0);
  assert.equal(subject(state, 'h').health, 'unknown');
  assert.equal(subject(state, 'h').healthReason, 'no checks reported');
  engine.applyObservation(state, observation('h', 'a', 'ok', { period: H }), T0);
  engine.applyObservation(state, observation('h', 'b', 'warn', { period: H }), T0);
  assert.equal(subject(state, 'h').health, 'healthy');
  assert.equal(subject(state, 'h').healthReason, '2 counting checks, none crit');
  engine.applyObservation(state, observation('h', 'c', 'crit', { period: H, message: 'disk full' }), T0);
  engine.applyObservation(state, observation('h', 'd', 'crit', { period: H }), T0);
  assert.equal(subject(state, 'h').health, 'unhealthy');
  assert.equal(subject(state, 'h').healthReason, 'crit: c (disk full); d');
  // A stale crit no longer counts: the fresh ok/warn ones decide.
  engine.applyObservation(state, observation('h', 'c', 'crit', { period: S }), T0 + M);
  engine.applyObservation(state, observation('h', 'd', 'crit', { period: S }), T0 + M);
  engine.tick(state, T0 + M + 2 * S);
  assert.equal(subject(state, 'h').health, 'healthy');
});

test('health reason is bounded and names at most five checks', () => {
  const state = engine.createState(settings());
  for (let i = 0; i < 8; i++) {
    engine.applyObservation(state, observation('h', `check-${i}`, 'crit', { period: H, message: 'x'.repeat(200) }), T0);
  }
  const reason = subject(state, 'h').healthReason!;
  assert.ok(reason.length <= 240, `reason has ${reason.length} characters`);
  assert.ok(reason.startsWith('crit: check-0 ('));
});

test('start-up grace: pending until first seen + startup_grace, whatever the checks say; the end is a deadline', () => {
  const recorder = new Recorder();
  const state = engine.createState(settings({ startupGrace: 1 * M }));
  recorder.record(engine.upsertSubject(state, spec('lab'), T0));
  recorder.record(engine.applyObservation(state, observation('lab', 'stream', 'crit', { period: H }), T0 + S));
  const lab = subject(state, 'lab');
  assert.equal(lab.health, 'pending');
  assert.equal(lab.healthReason, 'in start-up grace (1m)');
  assert.equal(lab.checks.stream!.counted, true, 'checks are evaluated during the grace; only health waits');
  assert.equal(engine.nextDeadline(state), T0 + M);
  recorder.record(engine.tick(state, T0 + M - 1));
  assert.equal(lab.health, 'pending');
  recorder.record(engine.tick(state, T0 + M));
  assert.equal(lab.health, 'unhealthy');
  assert.deepEqual(
    recorder.ofType('health').map((e) => [e.from, e.to]),
    [
      [null, 'pending'],
      ['pending', 'unhealthy'],
    ],
  );
});

test('start-up grace: a per-subject override wins; pending beats missing', () => {
  const state = engine.createState(settings({ startupGrace: 1 * M, appearanceTimeout: 5 * M }));
  engine.upsertSubject(state, spec('slow', { startupGrace: 10 * M }), T0);
  engine.tick(state, T0 + 6 * M);
  assert.equal(subject(state, 'slow').health, 'pending', 'appearance timeout passed, but the grace has not');
  engine.tick(state, T0 + 10 * M);
  assert.equal(subject(state, 'slow').health, 'missing');
});

test('appearance timeout: per-subject override; restarts on rename and on assignment to another source', () => {
  const state = engine.createState(settings({ appearanceTimeout: 30 * M }));
  engine.upsertSubject(state, spec('quick', { appearanceTimeout: 2 * M }), T0);
  engine.tick(state, T0 + 2 * M);
  assert.equal(subject(state, 'quick').health, 'missing');

  engine.applyObservation(state, observation('quick', 'c', 'ok', { period: H }), T0 + 3 * M);
  assert.equal(subject(state, 'quick').appeared, true);
  engine.renameSubject(state, 'quick', 'quick2', T0 + 4 * M);
  const renamed = subject(state, 'quick2');
  assert.equal(renamed.appeared, false);
  assert.equal(renamed.appearanceSince, T0 + 4 * M);
  engine.tick(state, T0 + 6 * M);
  assert.equal(renamed.health, 'missing');
  assert.match(renamed.healthReason!, /of rename/);

  engine.upsertSubject(state, spec('moved', { source: 'targets' }), T0);
  engine.applyObservation(state, observation('moved', 'c', 'ok', { period: H }), T0);
  assert.equal(subject(state, 'moved').health, 'healthy');
  engine.upsertSubject(state, spec('moved', { source: 'juggler' }), T0 + M);
  assert.equal(subject(state, 'moved').appearanceSince, T0 + M);
  assert.equal(subject(state, 'moved').health, 'healthy', 'the old check still counts until it goes stale');
  engine.tick(state, T0 + 2 * H);
  assert.equal(subject(state, 'moved').health, 'unknown');
  engine.tick(state, T0 + 2 * H + 1);
  assert.equal(subject(state, 'moved').health, 'unknown', 'it appeared (its check counted) after the assignment');
});

test('derived fields are stored in the state for readers', () => {
  const state = engine.createState(settings());
  engine.applyObservation(state, observation('h', 'c', 'warn', { period: 10 * S }), T0);
  const h = subject(state, 'h');
  const check = h.checks.c!;
  assert.equal(check.status, 'warn');
  assert.equal(check.counted, true);
  assert.equal(check.notCountedReason, undefined);
  assert.equal(check.expiresAt, T0 + 20 * S);
  assert.equal(check.effectiveAt, T0);
  assert.equal(h.health, 'healthy');
  assert.equal(h.warnings, 1);
  assert.equal(h.nextDeadline, T0 + 20 * S);
  assert.equal(h.healthChangedAt, T0);
});
