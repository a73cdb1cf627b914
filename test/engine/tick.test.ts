// tick must be cheap with many subjects: with nothing due it touches no subject at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SubjectState } from '../../src/engine/index.js';
import { H, M, S, T0, engine, observation, settings } from './helpers.js';

/** A subjects map that counts every read, so "no per-subject work" is asserted without timing. */
class CountingMap extends Map<string, SubjectState> {
  reads = 0;
  override get(key: string): SubjectState | undefined {
    this.reads += 1;
    return super.get(key);
  }
  override has(key: string): boolean {
    this.reads += 1;
    return super.has(key);
  }
  override values(): MapIterator<SubjectState> {
    this.reads += 1;
    return super.values();
  }
  override entries(): MapIterator<[string, SubjectState]> {
    this.reads += 1;
    return super.entries();
  }
  override keys(): MapIterator<string> {
    this.reads += 1;
    return super.keys();
  }
  override [Symbol.iterator](): MapIterator<[string, SubjectState]> {
    this.reads += 1;
    return super[Symbol.iterator]();
  }
  override forEach(callback: (value: SubjectState, key: string, map: Map<string, SubjectState>) => void): void {
    this.reads += 1;
    super.forEach(callback);
  }
}

test('tick with 10k subjects and nothing due does no per-subject work; one due subject costs one evaluation', () => {
  const count = 10_000;
  const state = engine.createState(settings({ appearanceTimeout: 24 * H }));
  for (let i = 0; i < count; i++) {
    engine.applyObservation(state, observation(`host-${i}`, 'ping', 'ok', { period: H, source: 'targets' }), T0 + i);
  }
  engine.applySourceStatus(state, 'targets', { up: true }, T0);
  const subjects = new CountingMap(state.subjects);
  state.subjects = subjects;
  const versions = new Map([...state.subjects].map(([id, s]) => [id, s.stateVersion]));
  subjects.reads = 0;

  const quiet = engine.tick(state, T0 + 30 * M);
  assert.equal(subjects.reads, 0, 'no subject was looked at');
  assert.deepEqual(quiet.events, []);
  assert.equal(quiet.changed.size, 0);
  for (const [id, subject] of subjects) assert.equal(subject.stateVersion, versions.get(id));

  // One subject reports fast and goes stale soon: the tick at its deadline evaluates it alone.
  engine.applyObservation(state, observation('host-42', 'ping', 'ok', { period: S }), T0 + 31 * M);
  versions.set('host-42', state.subjects.get('host-42')!.stateVersion);
  subjects.reads = 0;
  assert.equal(engine.nextDeadline(state), T0 + 31 * M + 2 * S);
  const due = engine.tick(state, T0 + 31 * M + 2 * S);
  assert.ok(subjects.reads < 10, `a handful of reads, not one per subject (got ${subjects.reads})`);
  assert.deepEqual([...due.changed], ['host-42']);
  for (const [id, subject] of subjects) {
    if (id === 'host-42') assert.ok(subject.stateVersion > versions.get(id)!);
    else assert.equal(subject.stateVersion, versions.get(id), id);
  }
});

test('the deadline heap stays bounded under a storm of observations', () => {
  const state = engine.createState(settings());
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 200; i++) engine.applyObservation(state, observation(`s${i}`, 'c', 'ok', { period: 10 * S }), T0 + round * S + i);
  }
  assert.ok(state.deadlines!.length <= 4 * state.subjects.size + 1024, `heap has ${state.deadlines!.length} entries`);
  assert.equal(engine.nextDeadline(state), Math.min(...[...state.subjects.values()].map((s) => s.nextDeadline!)));
});
