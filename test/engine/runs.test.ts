// Run records: every run of a check is numbered, unreached runs included, so rules can count "consecutive runs
// whose outcome is one of …" exactly; unreached runs leave results, health and connectivity alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { S, T0, engine, observation, settings, spec, subject } from './helpers.js';

const unreached = (subjectId: string, check: string) => observation(subjectId, check, 'unknown', { reached: false });

test('runs: FUFUU numbers five runs; the result counters see only the two crit results', () => {
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('files', { kind: 'target' }), T0);
  let now = T0;
  engine.applyObservation(state, observation('files', 'download', 'ok'), now);
  for (const step of ['crit', 'unreachable', 'crit', 'unreachable', 'unreachable'] as const) {
    now += 10 * S;
    engine.applyObservation(state, step === 'unreachable' ? unreached('files', 'download') : observation('files', 'download', step), now);
  }
  const files = subject(state, 'files');
  assert.deepEqual(files.runs?.download, { total: 6, last: { ok: 1, crit: 4, unreachable: 6 } });
  // runs_total − latest run not in {crit, unreachable} = 6 − 1 = 5; not in {unreachable} = 6 − 4 = 2
  assert.equal(files.checks.download!.consecutiveFailures, 2, 'unreached runs are not results');
  assert.equal(files.checks.download!.receivedAt, T0 + 30 * S, 'the last result is the crit at run 4');
  assert.equal(files.connectivity, 'available', 'connectivity is the source’s separate signal');
});

test('runs: a check that never answered has runs but no result, and the subject still goes missing, not unknown', () => {
  const state = engine.createState(settings({ appearanceTimeout: 60 * S }));
  engine.upsertSubject(state, spec('far', { kind: 'target' }), T0);
  engine.applyObservation(state, unreached('far', 'ping'), T0 + 10 * S);
  engine.applyObservation(state, unreached('far', 'ping'), T0 + 70 * S);
  const far = subject(state, 'far');
  assert.deepEqual(far.runs?.ping, { total: 2, last: { unreachable: 2 } });
  assert.equal(far.checks.ping, undefined);
  assert.equal(far.health, 'missing');
});

test('runs: an unreached run while a dependency is down is recorded as unknown (one outage, one alert)', () => {
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('sw'), T0);
  engine.upsertSubject(state, spec('h1', { dependsOn: [{ id: 'sw', lag: 0 }] }), T0);
  engine.applyObservation(state, observation('sw', 'ping', 'ok'), T0);
  engine.applyObservation(state, unreached('h1', 'ping'), T0 + S);
  engine.applyConnectivity(state, { subject: 'sw', state: 'unavailable', reason: 'timeout' }, T0 + 2 * S);
  engine.applyObservation(state, unreached('h1', 'ping'), T0 + 3 * S);
  assert.deepEqual(subject(state, 'h1').runs?.ping, { total: 2, last: { unreachable: 1, unknown: 2 } });
  assert.equal(engine.dependencyDown(state, subject(state, 'h1')), true);
  engine.applyConnectivity(state, { subject: 'sw', state: 'available' }, T0 + 4 * S);
  assert.equal(engine.dependencyDown(state, subject(state, 'h1')), false);
});
