// The Wall-E scenarios of the seed note: manipulations and effective time, dependencies with settle lag,
// appearance timeout, and source loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Clock, H, M, Recorder, S, T0, engine, observation, settings, spec, subject } from './helpers.js';

test('Wall-E: after a reboot a CRIT whose effective time predates the reboot does not count; one observed after it does', () => {
  const clock = new Clock();
  const state = engine.createState(settings());
  const push = { period: 30 * S }; // a pushed check without the source's own timestamp
  engine.upsertSubject(state, spec('host-1'), clock.now);
  for (let i = 0; i < 4; i++, clock.advance(30 * S)) engine.applyObservation(state, observation('host-1', 'ssh', 'crit', push), clock.now);
  const host = subject(state, 'host-1');
  assert.equal(host.health, 'unhealthy');

  // Reboot from +70 s to +100 s, recorded when it ends.
  clock.now = T0 + 100 * S;
  engine.recordManipulation(state, 'host-1', { manipulation: 'reboot', startedAt: T0 + 70 * S, endedAt: T0 + 100 * S }, clock.now);
  assert.equal(host.checks.ssh!.counted, false);
  assert.equal(host.checks.ssh!.notCountedReason, 'manipulation');
  assert.equal(host.health, 'unknown');
  assert.match(host.healthReason!, /ssh not observed since the last manipulation/);

  // CRIT pushed after the reboot, but without observed_at its effective time is received − 2 × period: it may be
  // a result from before the reboot.
  clock.now = T0 + 150 * S;
  engine.applyObservation(state, observation('host-1', 'ssh', 'crit', push), clock.now);
  assert.equal(host.checks.ssh!.effectiveAt, T0 + 90 * S);
  assert.equal(host.checks.ssh!.counted, false);
  assert.equal(host.checks.ssh!.notCountedReason, 'manipulation');
  assert.equal(host.health, 'unknown');

  // Pushed again: its effective time (+120 s) is after the reboot ended, so it counts.
  clock.now = T0 + 180 * S;
  engine.applyObservation(state, observation('host-1', 'ssh', 'crit', push), clock.now);
  assert.equal(host.checks.ssh!.effectiveAt, T0 + 120 * S);
  assert.equal(host.checks.ssh!.counted, true);
  assert.equal(host.health, 'unhealthy');
});

test('Wall-E: a status change observed after the manipulation counts at once', () => {
  const clock = new Clock();
  const state = engine.createState(settings());
  engine.applyObservation(state, observation('host-2', 'ssh', 'crit'), clock.now);
  clock.advance(100 * S);
  engine.recordManipulation(state, 'host-2', { manipulation: 'reboot' }, clock.now);
  assert.equal(subject(state, 'host-2').health, 'unknown');

  clock.advance(5 * S);
  // The source's own timestamp is before the reboot ended: it does not count even though it arrived after.
  engine.applyObservation(state, observation('host-2', 'meta', 'ok', { observedAt: clock.now - 10 * S }), clock.now);
  assert.equal(subject(state, 'host-2').checks.meta!.notCountedReason, 'manipulation');
  // A new status first received after the reboot: status_changed_at − 0 is past the reboot's end.
  engine.applyObservation(state, observation('host-2', 'ssh', 'ok'), clock.now);
  assert.equal(subject(state, 'host-2').checks.ssh!.counted, true);
  assert.equal(subject(state, 'host-2').health, 'healthy');
});

test('Wall-E: a host behind a switch that just recovered is suppressed until the settle lag passes, then counts', () => {
  const clock = new Clock();
  const recorder = new Recorder();
  const state = engine.createState(settings());
  recorder.record(engine.upsertSubject(state, spec('sw3', { kind: 'switch' }), clock.now));
  recorder.record(engine.upsertSubject(state, spec('host-17', { dependsOn: [{ id: 'sw3', lag: 5 * M }] }), clock.now));
  const slow = { period: 10 * M }; // fresh for 20 minutes, so only the lag and dependency decide

  recorder.record(engine.applyObservation(state, observation('sw3', 'link', 'crit', slow), clock.now));
  recorder.record(engine.applyObservation(state, observation('host-17', 'ssh', 'crit', { ...slow, observedAt: clock.now }), clock.now));
  const host = subject(state, 'host-17');
  assert.equal(host.checks.ssh!.notCountedReason, 'dependency');
  assert.equal(host.health, 'unknown', 'a crit host behind a broken switch is suppressed, not unhealthy');
  assert.match(host.healthReason!, /sw3 is unhealthy/);

  clock.advance(1 * M);
  const recovered = recorder.record(engine.applyObservation(state, observation('sw3', 'link', 'ok', slow), clock.now));
  assert.equal(subject(state, 'sw3').health, 'healthy');
  assert.ok(recovered.changed.has('host-17'), 'the dependant is re-evaluated when the switch health changes');
  const switchRecoveredAt = clock.now;

  // The host reports ok, observed after the recovery, but the switch is still settling.
  clock.advance(1 * M);
  const hostOkAt = clock.now;
  recorder.record(engine.applyObservation(state, observation('host-17', 'ssh', 'ok', { ...slow, observedAt: clock.now }), clock.now));
  assert.equal(host.checks.ssh!.notCountedReason, 'dependency');
  assert.equal(host.health, 'unknown');
  // Two clocks: the switch settles at recovery + 5 m, but the host's own ok is only 1 m old then: its lag ends later.
  assert.match(host.healthReason!, /ok for less than sw3's lag 5m/);
  assert.equal(engine.nextDeadline(state), hostOkAt + 5 * M + 1, 'the end of the wait is a deadline');

  clock.now = switchRecoveredAt + 5 * M + 1; // the switch has settled; the host's ok has not
  recorder.record(engine.tick(state, clock.now));
  assert.equal(host.health, 'unknown');
  clock.now = hostOkAt + 5 * M; // lag not yet exceeded
  recorder.record(engine.tick(state, clock.now));
  assert.equal(host.health, 'unknown');

  clock.now = hostOkAt + 5 * M + 1;
  recorder.record(engine.tick(state, clock.now));
  assert.equal(host.checks.ssh!.counted, true);
  assert.equal(host.health, 'healthy');
  const hostHealth = recorder.ofType('health', 'host-17');
  assert.deepEqual(
    hostHealth.map((e) => [e.from, e.to, e.at]),
    [
      [null, 'unknown', T0],
      ['unknown', 'healthy', clock.now],
    ],
  );
});

test('Wall-E: a host check observed before the switch recovered stays suppressed after the lag', () => {
  const clock = new Clock();
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('sw1', { kind: 'switch' }), clock.now);
  engine.upsertSubject(state, spec('host-3', { dependsOn: [{ id: 'sw1', lag: 1 * M }] }), clock.now);
  engine.applyObservation(state, observation('sw1', 'link', 'crit', { period: H }), clock.now);
  engine.applyObservation(state, observation('host-3', 'ssh', 'crit', { period: H, observedAt: clock.now }), clock.now);
  clock.advance(10 * S);
  engine.applyObservation(state, observation('sw1', 'link', 'ok', { period: H }), clock.now);
  clock.advance(2 * M);
  engine.tick(state, clock.now);
  const host = subject(state, 'host-3');
  assert.equal(host.checks.ssh!.notCountedReason, 'dependency', 'observed while the switch was down: could be the switch');
  assert.equal(host.health, 'unknown');
  engine.applyObservation(state, observation('host-3', 'ssh', 'crit', { period: H, observedAt: clock.now }), clock.now);
  assert.equal(host.health, 'unhealthy');
});

test('Wall-E: a new host with no checks becomes missing after the appearance timeout', () => {
  const clock = new Clock();
  const recorder = new Recorder();
  const state = engine.createState(settings({ appearanceTimeout: 30 * M }));
  recorder.record(engine.upsertSubject(state, spec('host-new'), clock.now));
  assert.equal(subject(state, 'host-new').health, 'unknown');
  assert.equal(engine.nextDeadline(state), T0 + 30 * M);

  recorder.record(engine.tick(state, T0 + 30 * M - 1));
  assert.equal(subject(state, 'host-new').health, 'unknown');
  recorder.record(engine.tick(state, T0 + 30 * M));
  assert.equal(subject(state, 'host-new').health, 'missing');
  assert.match(subject(state, 'host-new').healthReason!, /no check counted within 30m of creation/);

  recorder.record(engine.applyObservation(state, observation('host-new', 'ssh', 'ok'), T0 + 31 * M));
  assert.equal(subject(state, 'host-new').health, 'healthy');
  assert.deepEqual(
    recorder.ofType('health').map((e) => [e.from, e.to]),
    [
      [null, 'unknown'],
      ['unknown', 'missing'],
      ['missing', 'healthy'],
    ],
  );
});

test("Wall-E: an unreachable source's checks are dropped after source_drop_after and come back on a new observation", () => {
  const clock = new Clock();
  const state = engine.createState(settings({ sourceDropAfter: 15 * M }));
  engine.upsertSubject(state, spec('host-9'), clock.now);
  engine.applyObservation(state, observation('host-9', 'disk', 'ok', { period: H, source: 'juggler' }), clock.now);
  engine.applyObservation(state, observation('host-9', 'cpu', 'ok', { period: H, source: 'juggler' }), clock.now);
  const host = subject(state, 'host-9');
  assert.equal(host.health, 'healthy');

  clock.advance(1 * M);
  const down = engine.applySourceStatus(state, 'juggler', { up: false, reason: 'timeout' }, clock.now);
  assert.ok(down.changedSources?.has('juggler'));
  assert.equal(host.health, 'healthy', 'an outage shorter than source_drop_after changes nothing');
  assert.equal(engine.nextDeadline(state), T0 + 16 * M);

  engine.tick(state, T0 + 16 * M - 1);
  assert.equal(host.checks.disk!.dropped, false);
  const dropped = engine.tick(state, T0 + 16 * M);
  for (const check of [host.checks.disk!, host.checks.cpu!]) {
    assert.equal(check.dropped, true);
    assert.equal(check.status, 'unknown');
    assert.equal(check.counted, false);
    assert.equal(check.notCountedReason, 'dropped');
    assert.deepEqual(check.notCounted?.times, { received_at: T0, dropped_at: T0 + 16 * M });
  }
  assert.equal(host.health, 'unknown');
  assert.ok(dropped.changed.has('host-9'));
  assert.equal(state.sources.get('juggler')!.droppedAt, T0 + 16 * M);

  // The source answering again does not resurrect old results; a new observation does, check by check.
  clock.now = T0 + 20 * M;
  engine.applySourceStatus(state, 'juggler', { up: true }, clock.now);
  assert.equal(host.checks.disk!.dropped, true);
  engine.applyObservation(state, observation('host-9', 'disk', 'ok', { period: H, source: 'juggler' }), clock.now);
  assert.equal(host.checks.disk!.dropped, false);
  assert.equal(host.checks.disk!.counted, true);
  assert.equal(host.checks.cpu!.dropped, true);
  assert.equal(host.health, 'healthy');
});
