// The seed note's timing scenarios, each on an injected clock: the dependency wait on both clocks (a dying switch,
// a switch that recovered), a rename, an UNREACH result with 60 s accuracy, an hw-watcher result with max_age,
// the timing defaults, and manipulations that have not ended yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../src/engine/index.js';
import { Clock, H, M, Recorder, S, T0, engine, observation, settings, spec, subject } from './helpers.js';

const LAG = 5 * M;
const slow = { period: 10 * M }; // fresh for 20 minutes, so only the timing rules decide

/** A switch and a host behind it, both healthy and settled; the host has ssh and meta checks. */
function rack(clock: Clock, recorder: Recorder) {
  const state = engine.createState(settings());
  recorder.record(engine.upsertSubject(state, spec('sw3', { kind: 'switch' }), clock.now));
  recorder.record(engine.upsertSubject(state, spec('host-17', { dependsOn: [{ id: 'sw3', lag: LAG }] }), clock.now));
  recorder.record(engine.applyObservation(state, observation('sw3', 'netmon', 'ok', slow), clock.now));
  clock.advance(1 * S);
  for (const check of ['ssh', 'meta']) {
    recorder.record(engine.applyObservation(state, observation('host-17', check, 'ok', { ...slow, observedAt: clock.now }), clock.now));
  }
  clock.advance(LAG + 2 * S);
  recorder.record(engine.tick(state, clock.now));
  for (const check of ['ssh', 'meta']) {
    recorder.record(engine.applyObservation(state, observation('host-17', check, 'ok', { ...slow, observedAt: clock.now }), clock.now));
  }
  recorder.record(engine.applyObservation(state, observation('sw3', 'netmon', 'ok', slow), clock.now));
  assert.equal(subject(state, 'host-17').health, 'healthy');
  return state;
}

test(
  'seed: the dying switch: the host crit is held for the lag while the network monitor still says the switch is fine, ' +
    'then suppressed; the host never alarms',
  () => {
    const clock = new Clock();
    const recorder = new Recorder();
    const state = rack(clock, recorder);
    const host = subject(state, 'host-17');

    // The switch dies at `died`; 10 s later the host's ssh goes crit. The network monitor has not noticed yet.
    const died = clock.now;
    clock.advance(10 * S);
    const critAt = clock.now;
    recorder.record(engine.applyObservation(state, observation('host-17', 'ssh', 'crit', { ...slow, observedAt: critAt }), clock.now));
    assert.equal(subject(state, 'sw3').health, 'healthy');
    assert.equal(host.checks.ssh!.counted, false, 'a new crit behind a switch waits out the switch lag');
    assert.deepEqual(host.checks.ssh!.notCounted, {
      reason: 'dependency',
      rule: 'now − status_changed_at > lag',
      dependency: 'sw3',
      lag: LAG,
      countsFrom: critAt + LAG + 1,
      times: { status_changed_at: critAt, dependency_changed_at: subject(state, 'sw3').healthChangedAt },
    });
    assert.equal(host.health, 'healthy', 'meta still counts; the held crit does not make the host unhealthy');
    assert.equal(engine.nextDeadline(state), critAt + LAG + 1);

    // Four minutes after the switch died, the network monitor marks it down: the host is suppressed.
    clock.now = died + 4 * M;
    recorder.record(engine.applyObservation(state, observation('sw3', 'netmon', 'crit', slow), clock.now));
    assert.equal(subject(state, 'sw3').health, 'unhealthy');
    assert.equal(host.checks.ssh!.notCounted?.rule, 'dependency health = healthy');
    assert.equal(host.checks.ssh!.notCounted?.dependencyHealth, 'unhealthy');
    assert.equal(host.health, 'unknown');
    assert.match(host.healthReason!, /sw3 is unhealthy/);

    // Past the end of the lag on the host's own clock, and later: still suppressed while the switch is down.
    for (const at of [critAt + LAG + 1, died + 30 * M]) {
      clock.now = at;
      recorder.record(engine.tick(state, clock.now));
      recorder.record(engine.applyObservation(state, observation('host-17', 'ssh', 'crit', { ...slow, observedAt: clock.now }), clock.now));
      recorder.record(engine.applyObservation(state, observation('sw3', 'netmon', 'crit', slow), clock.now));
      assert.equal(host.health, 'unknown');
    }
    const hostHealth = recorder.ofType('health', 'host-17').map((e) => e.to);
    assert.ok(!hostHealth.includes('unhealthy'), `the host never alarms (health went ${hostHealth.join(' → ')})`);
  },
);

test("seed: the dying switch without the wait on the check's own clock would have alarmed: a crit older than the lag counts at once", () => {
  // The control case: the same crit, but held longer than the lag while the switch stays healthy, is a real host fault.
  const clock = new Clock();
  const recorder = new Recorder();
  const state = rack(clock, recorder);
  const critAt = clock.advance(10 * S);
  engine.applyObservation(state, observation('host-17', 'ssh', 'crit', { ...slow, observedAt: critAt }), clock.now);
  engine.tick(state, critAt + LAG);
  assert.equal(subject(state, 'host-17').health, 'healthy', 'not more than the lag yet');
  engine.tick(state, critAt + LAG + 1);
  assert.equal(subject(state, 'host-17').health, 'unhealthy', 'the switch stayed healthy: the host itself is broken');
});

test(
  'seed: the switch that recovered: host results observed before the recovery never count; ' +
    'those after count once the lag has passed since their own change',
  () => {
    const clock = new Clock();
    const recorder = new Recorder();
    const state = rack(clock, recorder);
    const host = subject(state, 'host-17');

    // The switch is down for 10 minutes; the host's ssh goes crit and meta stays ok (both observed during the outage).
    recorder.record(engine.applyObservation(state, observation('sw3', 'netmon', 'crit', slow), clock.now));
    clock.advance(10 * S);
    recorder.record(engine.applyObservation(state, observation('host-17', 'ssh', 'crit', { ...slow, observedAt: clock.now }), clock.now));
    clock.advance(10 * M);
    recorder.record(engine.applyObservation(state, observation('host-17', 'meta', 'ok', { ...slow, observedAt: clock.now - S }), clock.now));
    const recovered = clock.advance(1 * S);
    recorder.record(engine.applyObservation(state, observation('sw3', 'netmon', 'ok', slow), clock.now));
    assert.equal(subject(state, 'sw3').health, 'healthy');

    // Past the switch's lag, the results observed before the recovery still do not count: they may describe the outage.
    clock.now = recovered + LAG + 1;
    recorder.record(engine.tick(state, clock.now));
    for (const check of ['ssh', 'meta']) {
      assert.equal(host.checks[check]!.notCounted?.rule, 'effective_at > dependency_changed_at', check);
      assert.equal(host.checks[check]!.notCounted?.countsFrom, undefined, 'only a new result helps');
    }
    assert.equal(host.health, 'unknown');

    // New results observed after the recovery. meta's status has not changed for a long time: it counts at once.
    // ssh changes crit → ok now: it counts only when the lag has passed since its own change.
    const sshOkAt = clock.now;
    recorder.record(engine.applyObservation(state, observation('host-17', 'meta', 'ok', { ...slow, observedAt: clock.now }), clock.now));
    recorder.record(engine.applyObservation(state, observation('host-17', 'ssh', 'ok', { ...slow, observedAt: clock.now }), clock.now));
    assert.equal(host.checks.meta!.counted, true);
    assert.equal(host.checks.ssh!.notCounted?.rule, 'now − status_changed_at > lag');
    assert.equal(host.checks.ssh!.notCounted?.countsFrom, sshOkAt + LAG + 1);
    assert.equal(host.health, 'healthy');
    clock.now = sshOkAt + LAG;
    recorder.record(engine.tick(state, clock.now));
    assert.equal(host.checks.ssh!.counted, false);
    clock.now = sshOkAt + LAG + 1;
    recorder.record(engine.tick(state, clock.now));
    assert.equal(host.checks.ssh!.counted, true);

    // During the switch's own lag, even an old unchanged status waits: the switch's clock holds too.
    const state2 = rack(new Clock(), new Recorder());
    const t = subject(state2, 'sw3').healthChangedAt + 2 * H;
    engine.applyObservation(state2, observation('sw3', 'netmon', 'crit', slow), t);
    engine.applyObservation(state2, observation('sw3', 'netmon', 'ok', slow), t + M);
    engine.applyObservation(state2, observation('host-17', 'meta', 'ok', { ...slow, observedAt: t + 2 * M }), t + 2 * M);
    const meta = subject(state2, 'host-17').checks.meta!;
    assert.deepEqual([meta.notCounted?.rule, meta.notCounted?.countsFrom], ['now − dependency_changed_at > lag', t + M + LAG + 1]);
  },
);

test('seed: a rename: results of the old name are ignored until rename_lag unless their status changed after the rename', () => {
  const clock = new Clock();
  const state = engine.createState(settings({ renameLag: 3 * H, appearanceTimeout: 10 * H }));
  const push = { period: 5 * M, source: 'api' }; // pushed results without observed_at
  engine.applyObservation(state, observation('db1.old', 'ssh', 'ok', push), clock.now);
  engine.applyObservation(state, observation('db1.old', 'disk', 'ok', push), clock.now);
  engine.recordManipulation(state, 'db1.old', { manipulation: 'repair', startedAt: T0 - 2 * H, endedAt: T0 - H }, clock.now);
  clock.advance(H);
  const renamedAt = clock.now;
  const renamed = engine.renameSubject(state, 'db1.old', 'db1.new', renamedAt);
  assert.deepEqual(renamed.renamed, [{ from: 'db1.old', to: 'db1.new', seq: renamed.events[0]!.seq - 1 }]);
  assert.deepEqual(
    renamed.events.filter((e) => e.type === 'rename').map((e) => [e.subject, e.from, e.to]),
    [['db1.new', 'db1.old', 'db1.new']],
  );
  const host = subject(state, 'db1.new');
  assert.equal(host.renamedFrom, 'db1.old');
  assert.deepEqual(Object.keys(host.manipulations), ['repair'], 'manipulations follow the subject');
  assert.ok(
    state.history.get('db1.new')!.every((e) => e.subject === 'db1.new'),
    'history follows the subject',
  );

  // The same ok keeps arriving: its effective time (received − 2 × period) must pass renamed + 3 h.
  clock.now = renamedAt + 3 * H + 10 * M;
  engine.applyObservation(state, observation('db1.new', 'ssh', 'ok', push), clock.now);
  assert.deepEqual(host.checks.ssh!.notCounted, {
    reason: 'rename',
    rule: 'status_changed_at > renamed_at or effective_at > renamed_at + rename_lag',
    lag: 3 * H,
    times: { status_changed_at: T0, effective_at: clock.now - 10 * M, renamed_at: renamedAt },
  });
  clock.advance(1);
  engine.applyObservation(state, observation('db1.new', 'ssh', 'ok', push), clock.now);
  assert.equal(host.checks.ssh!.counted, true, 'effective after rename + rename_lag');
  // A status change after the rename counts at once.
  engine.applyObservation(state, observation('db1.new', 'disk', 'crit', push), clock.now);
  assert.equal(host.checks.disk!.counted, true);
});

test('seed: an UNREACH result with accuracy 60 s counts only when observed more than 60 s after the reboot ended', () => {
  const clock = new Clock();
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('host-5'), clock.now);
  engine.applyObservation(state, observation('host-5', 'unreachable', 'crit', { observedAt: clock.now }), clock.now);
  clock.advance(5 * M);
  const rebootEnded = clock.now;
  engine.recordManipulation(state, 'host-5', { manipulation: 'reboot', startedAt: rebootEnded - 2 * M }, clock.now);
  const unreach = { accuracy: 60 * S };

  clock.advance(30 * S);
  engine.applyObservation(state, observation('host-5', 'unreachable', 'ok', { observedAt: clock.now, timing: unreach }), clock.now);
  const check = subject(state, 'host-5').checks.unreachable!;
  assert.equal(check.effectiveAt, rebootEnded - 30 * S, 'observed_at − accuracy');
  assert.deepEqual(check.notCounted, {
    reason: 'manipulation',
    rule: 'effective_at > manipulation_ended_at',
    manipulation: 'reboot',
    times: { effective_at: rebootEnded - 30 * S, manipulation_ended_at: rebootEnded },
  });

  clock.now = rebootEnded + 61 * S;
  engine.applyObservation(state, observation('host-5', 'unreachable', 'ok', { observedAt: clock.now, timing: unreach }), clock.now);
  assert.equal(subject(state, 'host-5').checks.unreachable!.effectiveAt, rebootEnded + 1 * S);
  assert.equal(subject(state, 'host-5').health, 'healthy');

  // The same accuracy as a subject setting (config `subjects[].accuracy`) applies to every check of the subject.
  const byConfig = engine.createState(settings());
  engine.upsertSubject(byConfig, spec('host-6', { timing: { accuracy: 60 * S } }), T0);
  engine.applyObservation(byConfig, observation('host-6', 'unreachable', 'ok', { observedAt: T0 + M }), T0 + M);
  assert.equal(subject(byConfig, 'host-6').checks.unreachable!.effectiveAt, T0);
});

test('seed: an hw-watcher result with max_age expires at the earlier of observed_at + max_age and receipt-based freshness', () => {
  const clock = new Clock();
  const state = engine.createState(settings());
  // Observed 50 minutes ago, valid for an hour; reported hourly (fresh for 2 h after receipt by period).
  const observedAt = clock.now - 50 * M;
  engine.applyObservation(state, observation('host-8', 'memory', 'ok', { period: H, observedAt, maxAge: H }), clock.now);
  const check = subject(state, 'host-8').checks.memory!;
  assert.equal(check.expiresAt, observedAt + H, 'max_age ends first');
  assert.equal(engine.nextDeadline(state), observedAt + H);
  engine.tick(state, observedAt + H - 1);
  assert.equal(check.counted, true);
  engine.tick(state, observedAt + H);
  assert.deepEqual(check.notCounted, {
    reason: 'stale',
    rule: 'now < expires_at',
    times: { received_at: T0, expires_at: observedAt + H, observed_at: observedAt },
  });
  assert.equal(check.status, 'unknown');

  // A fresh observation with a generous max_age: the receipt-based freshness ends first.
  engine.applyObservation(state, observation('host-8', 'memory', 'ok', { period: H, observedAt: T0 + H, maxAge: 24 * H }), T0 + H);
  assert.equal(subject(state, 'host-8').checks.memory!.expiresAt, T0 + H + 2 * H);
});

test('timing defaults (defaults.overhead, accuracy, push_period) feed the effective timestamp; subject and result override them', () => {
  const state = engine.createState(settings({ overhead: 5 * S, accuracy: 1 * S, pushPeriod: 30 * S }));
  engine.applyObservation(state, observation('h', 'c', 'ok', { period: 10 * S }), T0);
  const first = subject(state, 'h').checks.c!;
  assert.deepEqual(first.timing, { freshness: 2, overhead: 5 * S, accuracy: 1 * S, pushPeriod: 30 * S });
  assert.equal(
    first.effectiveAt,
    T0 - 5 * S - 1 * S,
    'max(status_changed − overhead − accuracy, received − overhead − push_period − 2 × period − accuracy)',
  );
  engine.applyObservation(state, observation('h', 'c', 'ok', { period: 10 * S }), T0 + 10 * M);
  assert.equal(subject(state, 'h').checks.c!.effectiveAt, T0 + 10 * M - 5 * S - 30 * S - 20 * S - 1 * S);

  engine.upsertSubject(state, spec('h2', { source: 'api', timing: { overhead: 0, pushPeriod: 0 } }), T0);
  engine.applyObservation(state, observation('h2', 'c', 'ok', { period: 10 * S, timing: { accuracy: 0 } }), T0 + M);
  assert.deepEqual(subject(state, 'h2').checks.c!.timing, { freshness: 2, overhead: 0, accuracy: 0, pushPeriod: 0 });
});

test('a manipulation that ends in the future is refused and changes nothing', () => {
  const state = engine.createState(settings());
  engine.applyObservation(state, observation('h', 'c', 'ok'), T0);
  const before = JSON.stringify(subject(state, 'h'));
  for (const input of [
    { manipulation: 'reboot', endedAt: T0 + 1 },
    { manipulation: 'reboot', startedAt: T0 + M },
  ]) {
    assert.throws(
      () => engine.recordManipulation(state, 'h', input, T0),
      (error: unknown) =>
        error instanceof EngineError && error.code === 'invalid' && /is in the future .*report a manipulation when it has ended/.test(error.message),
    );
  }
  assert.equal(JSON.stringify(subject(state, 'h')), before);
  engine.recordManipulation(state, 'h', { manipulation: 'reboot', endedAt: T0 }, T0);
  assert.equal(subject(state, 'h').manipulations['reboot']!.endedAt, T0, 'an end at now is fine');
});
