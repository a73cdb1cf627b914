// Subject lifecycle, annotations (metadata, manipulations) and refusals that must leave the state untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../src/engine/index.js';
import type { SubjectSpec } from '../../src/engine/index.js';
import { H, M, S, T0, engine, observation, settings, spec, subject } from './helpers.js';

const isCode = (code: string) => (e: unknown) => e instanceof EngineError && e.code === code;

test('upsert creates, then updates in place keeping checks and history; the spec is copied', () => {
  const state = engine.createState(settings());
  const input = spec('h', { labels: { rack: 'r1' } });
  engine.upsertSubject(state, input, T0);
  input.labels.rack = 'changed-by-caller';
  assert.equal(subject(state, 'h').spec.labels.rack, 'r1');
  engine.applyObservation(state, observation('h', 'c', 'ok', { period: H }), T0);
  engine.upsertSubject(state, spec('h', { kind: 'switch' }), T0 + S);
  const h = subject(state, 'h');
  assert.equal(h.spec.kind, 'switch');
  assert.ok(h.checks.c);
  assert.equal(h.createdAt, T0);
  assert.equal(h.health, 'healthy');
});

test('invalid specs and dependency cycles are refused and change nothing', () => {
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('a', { dependsOn: [{ id: 'b', lag: 0 }] }), T0);
  engine.upsertSubject(state, spec('b', { dependsOn: [{ id: 'c', lag: 0 }] }), T0);
  const before = structuredClone(state);
  const bad: SubjectSpec[] = [
    spec(''),
    spec('x', { kind: '' }),
    spec('x', { source: '' }),
    spec('x', { labels: { a: 1 as unknown as string } }),
    spec('x', { dependsOn: [{ id: 'x', lag: 0 }] }),
    spec('x', { dependsOn: [{ id: 'a', lag: -1 }] }),
    spec('x', {
      dependsOn: [
        { id: 'a', lag: 0 },
        { id: 'a', lag: 0 },
      ],
    }),
    spec('x', { startupGrace: -1 }),
    spec('x', { timing: { accuracy: Number.NaN } }),
    spec('c', { dependsOn: [{ id: 'a', lag: 0 }] }), // c → a → b → c
  ];
  for (const input of bad) assert.throws(() => engine.upsertSubject(state, input, T0 + S), isCode('invalid'), JSON.stringify(input));
  assert.deepEqual(state, before);
});

test('the dependents index follows upserts and removals', () => {
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('h1', { dependsOn: [{ id: 'sw', lag: 0 }] }), T0);
  engine.upsertSubject(
    state,
    spec('h2', {
      dependsOn: [
        { id: 'sw', lag: 0 },
        { id: 'rack', lag: 0 },
      ],
    }),
    T0,
  );
  assert.deepEqual([...state.dependents.get('sw')!].sort(), ['h1', 'h2']);
  engine.upsertSubject(state, spec('h2', { dependsOn: [{ id: 'rack', lag: 0 }] }), T0);
  assert.deepEqual([...state.dependents.get('sw')!], ['h1']);
  engine.removeSubject(state, 'h1', T0);
  assert.equal(state.dependents.has('sw'), false);
  assert.deepEqual([...state.dependents.get('rack')!], ['h2']);
});

test('remove: gone with its history; not_found when absent', () => {
  const state = engine.createState(settings());
  engine.applyObservation(state, observation('h', 'c', 'ok'), T0);
  const removed = engine.removeSubject(state, 'h', T0 + S);
  assert.ok(removed.changed.has('h'), 'the store learns it must delete the row');
  assert.equal(state.subjects.has('h'), false);
  assert.equal(state.history.has('h'), false);
  assert.equal(engine.nextDeadline(state), undefined, 'its deadlines went with it');
  assert.deepEqual(engine.tick(state, T0 + H).changed, new Set());
  assert.throws(() => engine.removeSubject(state, 'h', T0), isCode('not_found'));
});

test('metadata: not_found for an unknown subject, invalid entries refused, delete is idempotent', () => {
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('m'), T0);
  const before = structuredClone(state);
  assert.throws(() => engine.setMetadata(state, 'zz', 'k', { level: 'info', message: 'x' }, T0), isCode('not_found'));
  assert.throws(() => engine.setMetadata(state, 'm', 'k', { level: 'fatal' as 'info', message: 'x' }, T0), isCode('invalid'));
  assert.throws(() => engine.setMetadata(state, 'm', 'k', { level: 'info', message: 'x', value: Number.NaN }, T0), isCode('invalid'));
  assert.throws(() => engine.setMetadata(state, 'm', '', { level: 'info', message: 'x' }, T0), isCode('invalid'));
  assert.throws(() => engine.deleteMetadata(state, 'zz', 'k', T0), isCode('not_found'));
  assert.deepEqual(state, before);
  const noop = engine.deleteMetadata(state, 'm', 'absent', T0);
  assert.equal(noop.changed.size, 0);
  assert.deepEqual(state, before);
});

test('manipulations: defaults to now, one record per name, the latest end over all names gates counting', () => {
  const state = engine.createState(settings());
  engine.applyObservation(state, observation('h', 'c', 'ok', { period: H, observedAt: T0 }), T0);
  engine.recordManipulation(state, 'h', { manipulation: 'reboot' }, T0 + M);
  const h = subject(state, 'h');
  assert.deepEqual(h.manipulations.reboot, { manipulation: 'reboot', startedAt: T0 + M, endedAt: T0 + M });
  engine.recordManipulation(state, 'h', { manipulation: 'repair', startedAt: T0, endedAt: T0 + 2 * M }, T0 + 2 * M);
  engine.applyObservation(state, observation('h', 'c', 'ok', { period: H, observedAt: T0 + 90 * S }), T0 + 2 * M);
  assert.equal(h.checks.c!.notCountedReason, 'manipulation', 'after the reboot but before the repair ended');
  engine.applyObservation(state, observation('h', 'c', 'ok', { period: H, observedAt: T0 + 2 * M + 1 }), T0 + 2 * M + 1);
  assert.equal(h.checks.c!.counted, true);

  const before = structuredClone(state);
  assert.throws(() => engine.recordManipulation(state, 'zz', { manipulation: 'reboot' }, T0), isCode('not_found'));
  assert.throws(() => engine.recordManipulation(state, 'h', { manipulation: '' }, T0), isCode('invalid'));
  assert.throws(() => engine.recordManipulation(state, 'h', { manipulation: 'x', startedAt: T0 + 5, endedAt: T0 }, T0), isCode('invalid'));
  assert.deepEqual(state, before);
});
