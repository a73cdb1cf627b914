// Source status bookkeeping (the drop itself is a Wall-E scenario in walle.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../src/engine/index.js';
import { H, M, T0, engine, observation, settings } from './helpers.js';

test('source status: errors counted by reason while down, downSince kept from the first failure, up clears it', () => {
  const state = engine.createState(settings());
  engine.applySourceStatus(state, 'octopus', { up: false, reason: 'timeout' }, T0);
  engine.applySourceStatus(state, 'octopus', { up: false, reason: 'timeout' }, T0 + M);
  engine.applySourceStatus(state, 'octopus', { up: false, reason: 'refused' }, T0 + 2 * M);
  engine.applySourceStatus(state, 'octopus', { up: false }, T0 + 3 * M);
  const source = state.sources.get('octopus')!;
  assert.equal(source.up, false);
  assert.equal(source.downSince, T0);
  assert.deepEqual(source.errors, { timeout: 2, refused: 1, unknown: 1 });
  assert.equal(source.lastError, 'unknown');

  const up = engine.applySourceStatus(state, 'octopus', { up: true }, T0 + 4 * M);
  assert.deepEqual(up.changedSources, new Set(['octopus']));
  assert.equal(source.up, true);
  assert.equal(source.lastSuccessAt, T0 + 4 * M);
  assert.equal(source.downSince, undefined);
  assert.deepEqual(source.errors, { timeout: 2, refused: 1, unknown: 1 }, 'a counter never goes back');
  assert.equal(engine.nextDeadline(state), undefined);
});

test('source loss: the drop deadline is downSince + source_drop_after; a late status report applies an overdue drop', () => {
  const state = engine.createState(settings({ sourceDropAfter: 15 * M }));
  engine.applyObservation(state, observation('h', 'c', 'ok', { period: H, source: 'kube' }), T0);
  engine.applyObservation(state, observation('h', 'mine', 'ok', { period: H, source: 'api' }), T0);
  engine.applySourceStatus(state, 'kube', { up: false, reason: 'dns' }, T0);
  assert.equal(engine.nextDeadline(state), T0 + 15 * M);
  // No tick in between: the next status report notices the drop is due.
  const late = engine.applySourceStatus(state, 'kube', { up: false, reason: 'dns' }, T0 + 20 * M);
  const h = state.subjects.get('h')!;
  assert.equal(h.checks.c!.dropped, true);
  assert.equal(h.checks.mine!.dropped, false, 'checks of other sources stay');
  assert.equal(h.health, 'healthy');
  assert.ok(late.changed.has('h'));
  assert.equal(engine.nextDeadline(state), T0 + 2 * H, 'the drop is done once; the remaining check expires later');
  // A check first received after the drop moment is newer than the loss: it stays.
  engine.applyObservation(state, observation('h', 'late', 'ok', { period: H, source: 'kube' }), T0 + 21 * M);
  engine.tick(state, T0 + 22 * M);
  assert.equal(h.checks.late!.dropped, false);
});

test('source status input is validated', () => {
  const state = engine.createState(settings());
  assert.throws(() => engine.applySourceStatus(state, '', { up: true }, T0), EngineError);
  assert.throws(() => engine.applySourceStatus(state, 's', { up: 'yes' as unknown as boolean }, T0), EngineError);
  assert.equal(state.sources.size, 0);
});
