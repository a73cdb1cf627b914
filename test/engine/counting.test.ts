// Which checks count: rename lag and dependencies (manipulations and source loss are in walle.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../src/engine/index.js';
import { H, M, Recorder, S, T0, engine, observation, settings, spec, subject } from './helpers.js';

test('rename: a check counts only if its status changed after the rename or it is effective after rename + rename_lag', () => {
  const state = engine.createState(settings({ renameLag: 3 * H, appearanceTimeout: 10 * H }));
  engine.upsertSubject(state, spec('old.example'), T0);
  engine.applyObservation(state, observation('old.example', 'ssh', 'ok', { period: H }), T0);
  engine.applyObservation(state, observation('old.example', 'disk', 'ok', { period: H }), T0);
  assert.equal(subject(state, 'old.example').health, 'healthy');

  const renamedAt = T0 + 1 * H;
  const result = engine.renameSubject(state, 'old.example', 'new.example', renamedAt);
  assert.ok(result.changed.has('old.example') && result.changed.has('new.example'));
  assert.equal(state.subjects.has('old.example'), false);
  const host = subject(state, 'new.example');
  assert.equal(host.renamedAt, renamedAt);
  assert.deepEqual(Object.keys(host.checks), ['ssh', 'disk'], 'checks are kept');
  assert.equal(host.checks.ssh!.notCountedReason, 'rename');
  assert.equal(host.health, 'unknown');

  // Same status as before the rename, effective 1 h after it: could still be the old name's result.
  engine.applyObservation(state, observation('new.example', 'ssh', 'ok', { period: H }), renamedAt + 2 * H);
  assert.equal(host.checks.ssh!.notCountedReason, 'rename');
  // A status change after the rename counts at once.
  engine.applyObservation(state, observation('new.example', 'disk', 'crit', { period: H }), renamedAt + 2 * H);
  assert.equal(host.checks.disk!.counted, true);
  assert.equal(host.health, 'unhealthy');
  // Past rename + lag, the unchanged status counts too (effective = received − 2 × period).
  engine.applyObservation(state, observation('new.example', 'ssh', 'ok', { period: H }), renamedAt + 3 * H + 2 * H - 1);
  assert.equal(host.checks.ssh!.notCountedReason, 'rename');
  engine.applyObservation(state, observation('new.example', 'ssh', 'ok', { period: H }), renamedAt + 3 * H + 2 * H + 1);
  assert.equal(host.checks.ssh!.counted, true);
});

test('rename is refused for a missing subject or a taken id, and changes nothing then', () => {
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('a'), T0);
  engine.upsertSubject(state, spec('b'), T0);
  const before = structuredClone(state);
  assert.throws(
    () => engine.renameSubject(state, 'zz', 'c', T0),
    (e: unknown) => e instanceof EngineError && e.code === 'not_found',
  );
  assert.throws(
    () => engine.renameSubject(state, 'a', 'b', T0),
    (e: unknown) => e instanceof EngineError && e.code === 'conflict',
  );
  assert.throws(
    () => engine.renameSubject(state, 'a', '', T0),
    (e: unknown) => e instanceof EngineError && e.code === 'invalid',
  );
  assert.deepEqual(state, before);
});

test('rename moves dependency edges and history; dependants of the old id see a missing dependency', () => {
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('sw'), T0);
  engine.upsertSubject(state, spec('rack'), T0);
  engine.upsertSubject(state, spec('host', { dependsOn: [{ id: 'sw', lag: 0 }] }), T0);
  engine.upsertSubject(state, spec('sw2', { dependsOn: [{ id: 'rack', lag: 0 }] }), T0);
  engine.applyObservation(state, observation('rack', 'power', 'ok', { period: H }), T0);
  engine.applyObservation(state, observation('sw2', 'link', 'ok', { period: H }), T0);
  engine.renameSubject(state, 'sw2', 'sw2b', T0 + S);
  assert.deepEqual([...state.dependents.get('rack')!], ['sw2b']);
  assert.equal(state.history.has('sw2'), false);
  assert.ok(state.history.get('sw2b')!.length > 0);

  engine.applyObservation(state, observation('sw', 'link', 'ok', { period: H }), T0 + S);
  engine.applyObservation(state, observation('host', 'ssh', 'ok', { period: H, observedAt: T0 + 2 * S }), T0 + 2 * S);
  assert.equal(subject(state, 'host').health, 'healthy');
  engine.renameSubject(state, 'sw', 'sw-renamed', T0 + 3 * S);
  assert.equal(subject(state, 'host').health, 'unknown');
  assert.match(subject(state, 'host').healthReason!, /sw does not exist/);
});

test('dependencies: a missing or unhealthy dependency suppresses every check, even crit ones', () => {
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('host', { dependsOn: [{ id: 'rack', lag: 0 }] }), T0);
  engine.applyObservation(state, observation('host', 'ssh', 'crit', { period: H, observedAt: T0 }), T0);
  const host = subject(state, 'host');
  assert.equal(host.checks.ssh!.notCountedReason, 'dependency');
  assert.equal(host.checks.ssh!.status, 'crit', 'the status is shown; it just does not count');
  assert.equal(host.healthReason, 'no counting check: ssh suppressed (rack does not exist)');

  engine.upsertSubject(state, spec('rack'), T0 + S);
  assert.equal(host.checks.ssh!.notCountedReason, 'dependency', 'the rack exists but is unknown');
  assert.match(host.healthReason!, /rack is unknown/);
  engine.applyObservation(state, observation('rack', 'power', 'ok', { period: H }), T0 + 2 * S);
  assert.equal(host.checks.ssh!.notCountedReason, 'dependency', 'observed before the rack became healthy');
  engine.applyObservation(state, observation('host', 'ssh', 'crit', { period: H, observedAt: T0 + 3 * S }), T0 + 3 * S);
  assert.equal(host.health, 'unhealthy');
});

test('dependencies: a change in a dependency health re-evaluates dependants transitively (rack → switch → host)', () => {
  const recorder = new Recorder();
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('rack'), T0);
  engine.upsertSubject(state, spec('sw', { dependsOn: [{ id: 'rack', lag: 0 }] }), T0);
  engine.upsertSubject(
    state,
    spec('host', {
      dependsOn: [
        { id: 'sw', lag: 0 },
        { id: 'rack', lag: 0 },
      ],
    }),
    T0,
  );
  engine.applyObservation(state, observation('rack', 'power', 'ok', { period: H }), T0);
  engine.applyObservation(state, observation('sw', 'link', 'ok', { period: H, observedAt: T0 + 1 }), T0 + 1);
  engine.applyObservation(state, observation('host', 'ssh', 'ok', { period: H, observedAt: T0 + 2 }), T0 + 2);
  assert.deepEqual(
    ['rack', 'sw', 'host'].map((id) => subject(state, id).health),
    ['healthy', 'healthy', 'healthy'],
  );

  const failed = recorder.record(engine.applyObservation(state, observation('rack', 'power', 'crit', { period: H }), T0 + M));
  assert.deepEqual(
    ['rack', 'sw', 'host'].map((id) => subject(state, id).health),
    ['unhealthy', 'unknown', 'unknown'],
  );
  assert.deepEqual(
    failed.events.filter((e) => e.type === 'health').map((e) => [e.subject, e.to]),
    [
      ['rack', 'unhealthy'],
      ['sw', 'unknown'],
      ['host', 'unknown'],
    ],
  );
  assert.deepEqual([...failed.changed].sort(), ['host', 'rack', 'sw']);
});

test('dependencies: the lag of each depends_on entry is its own; a dependency going away is noticed', () => {
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('a'), T0);
  engine.upsertSubject(state, spec('b'), T0);
  engine.upsertSubject(
    state,
    spec('h', {
      dependsOn: [
        { id: 'a', lag: 1 * M },
        { id: 'b', lag: 5 * M },
      ],
    }),
    T0,
  );
  engine.applyObservation(state, observation('a', 'x', 'ok', { period: H }), T0);
  engine.applyObservation(state, observation('b', 'x', 'ok', { period: H }), T0);
  engine.applyObservation(state, observation('h', 'x', 'ok', { period: H, observedAt: T0 + S }), T0 + S);
  // Both clocks, each with its dependency's lag: the wait that ends last (b's lag after the check's own change) decides.
  const wait = subject(state, 'h').checks.x!.notCounted!;
  assert.deepEqual([wait.rule, wait.dependency, wait.lag, wait.countsFrom], ['now − status_changed_at > lag', 'b', 5 * M, T0 + S + 5 * M + 1]);
  assert.equal(engine.nextDeadline(state), T0 + S + 5 * M + 1, 'the end of the binding wait is the deadline');
  engine.tick(state, T0 + S + 5 * M);
  assert.equal(subject(state, 'h').health, 'unknown', 'the lag is strict');
  engine.tick(state, T0 + S + 5 * M + 1);
  assert.equal(subject(state, 'h').health, 'healthy');

  const removed = engine.removeSubject(state, 'b', T0 + 6 * M);
  assert.ok(removed.changed.has('b') && removed.changed.has('h'));
  assert.equal(subject(state, 'h').health, 'unknown');
  assert.equal(state.dependents.get('b')?.has('h'), true, 'the edge is kept by id: a new b is picked up');
});
