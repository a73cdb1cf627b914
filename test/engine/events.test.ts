// Events, sequence numbers, bounded history, versions and counters, and restoring after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H, Recorder, S, T0, engine, observation, settings, spec, subject } from './helpers.js';

test('seq is global and strictly increasing across subjects and calls; events carry at = now', () => {
  const recorder = new Recorder();
  const state = engine.createState(settings());
  for (let i = 0; i < 5; i++) {
    recorder.record(engine.applyObservation(state, observation(`s${i % 2}`, 'c', i % 2 === 0 ? 'crit' : 'ok', { period: H }), T0 + i));
    recorder.record(engine.applyObservation(state, observation(`s${i % 2}`, 'c', i % 2 === 0 ? 'ok' : 'crit', { period: H }), T0 + i));
  }
  const seqs = recorder.events.map((e) => e.seq);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => i + 1),
  );
  assert.equal(state.seq, seqs.length);
  assert.ok(new Set(recorder.events.map((e) => e.subject)).size === 2);
  for (const event of recorder.events) assert.ok(event.at >= T0 && event.at <= T0 + 4);
});

test('the first health evaluation of a new subject emits from: null; counters count changes, not the first value', () => {
  const state = engine.createState(settings());
  const created = engine.upsertSubject(state, spec('h'), T0);
  assert.deepEqual(created.events, [{ seq: 1, at: T0, subject: 'h', type: 'health', from: null, to: 'unknown', reason: 'no checks reported' }]);
  assert.equal(subject(state, 'h').healthChanges, 0);
  engine.applyObservation(state, observation('h', 'c', 'crit', { period: H, message: 'down' }), T0 + S);
  const h = subject(state, 'h');
  assert.equal(h.healthChanges, 1);
  assert.equal(h.healthChangedAt, T0 + S);
  const last = state.history.get('h')!.at(-1)!;
  assert.deepEqual([last.type, last.from, last.to, last.reason], ['health', 'unknown', 'unhealthy', 'crit: c (down)']);
});

test('history is bounded per subject (events_per_subject), newest kept', () => {
  const state = engine.createState(settings({ eventsPerSubject: 3 }));
  for (let i = 0; i < 10; i++) engine.applyObservation(state, observation('h', 'c', i % 2 === 0 ? 'crit' : 'ok', { period: H }), T0 + i);
  engine.applyObservation(state, observation('other', 'c', 'ok', { period: H }), T0);
  const history = state.history.get('h')!;
  assert.equal(history.length, 3);
  assert.deepEqual(
    history.map((e) => e.seq),
    [history[0]!.seq, history[0]!.seq + 1, history[0]!.seq + 2],
  );
  assert.equal(history.at(-1)!.to, 'healthy');
  assert.ok(state.history.get('other')!.length >= 1, 'bounded per subject, not globally');
});

test('specVersion bumps only when the spec really changes; stateVersion on volatile changes, once per call', () => {
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('h', { labels: { rack: 'r1', zone: 'a' } }), T0);
  const h = subject(state, 'h');
  assert.equal(h.specVersion, 1);
  const versionAfterCreate = h.stateVersion;
  const same = engine.upsertSubject(state, spec('h', { labels: { zone: 'a', rack: 'r1' } }), T0 + S);
  assert.equal(h.specVersion, 1, 'label order is not a change');
  assert.equal(same.changed.size, 0);
  assert.deepEqual(same.events, []);

  const relabelled = engine.upsertSubject(state, spec('h', { labels: { rack: 'r2' } }), T0 + 2 * S);
  assert.equal(h.specVersion, 2);
  assert.equal(h.stateVersion, versionAfterCreate, 'configuration changes do not invalidate the health ETag');
  assert.ok(relabelled.changed.has('h'));

  engine.applyObservation(state, observation('h', 'c', 'ok', { period: H }), T0 + 3 * S);
  assert.equal(h.stateVersion, versionAfterCreate + 1, 'several changes in one call bump once');
  assert.equal(h.specVersion, 2);
  engine.setMetadata(state, 'h', 'k', { level: 'info', message: 'm' }, T0 + 4 * S);
  assert.equal(h.stateVersion, versionAfterCreate + 2);
});

test('restoreState rebuilds dependents and history, continues seq, and the first tick re-evaluates everything', () => {
  const state = engine.createState(settings({ eventsPerSubject: 2 }));
  engine.upsertSubject(state, spec('sw'), T0);
  engine.upsertSubject(state, spec('host', { dependsOn: [{ id: 'sw', lag: 0 }] }), T0);
  engine.applyObservation(state, observation('sw', 'link', 'ok', { period: 10 * S }), T0);
  engine.applyObservation(state, observation('host', 'ssh', 'ok', { period: H, observedAt: T0 + 1 }), T0 + 1);
  assert.equal(subject(state, 'host').health, 'healthy');

  // What the store would have persisted (plain JSON), restored an hour later.
  const persisted = JSON.parse(JSON.stringify({ subjects: [...state.subjects.values()], sources: [...state.sources.values()] }));
  const allEvents = [...state.history.values()].flat().reverse();
  const restored = engine.restoreState(settings({ eventsPerSubject: 1 }), persisted.subjects, persisted.sources, state.seq, allEvents);
  assert.deepEqual([...restored.dependents.get('sw')!], ['host']);
  assert.equal(restored.history.get('host')!.length, 1, 're-bounded under the new settings');
  assert.equal(restored.history.get('host')!.at(-1)!.seq, state.history.get('host')!.at(-1)!.seq, 'newest kept');
  assert.equal(engine.nextDeadline(restored), 0, 'everything is due at once after a restart');

  const first = engine.tick(restored, T0 + H);
  assert.equal(restored.subjects.get('sw')!.health, 'unknown', 'the switch went stale while we were down');
  assert.equal(restored.subjects.get('host')!.health, 'unknown', 'and its dependant follows');
  assert.ok(first.events.every((e) => e.seq > state.seq));
  assert.equal(restored.seq, state.seq + first.events.length);
  assert.ok(engine.nextDeadline(restored)! > T0 + H);
});

test('restoreState never reuses a sequence number even if the stored counter lags the events', () => {
  const restored = engine.restoreState(settings(), [], [], 3, [{ seq: 7, at: T0, subject: 'x', type: 'health', from: null, to: 'unknown' }]);
  assert.equal(restored.seq, 7);
});
