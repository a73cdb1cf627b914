// recordSourceEvent: events a source reports about a subject (practable's booking availability).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../src/engine/index.js';
import { T0, engine, settings, spec } from './helpers.js';

test('an availability event gets the next seq and joins the subject history', () => {
  const state = engine.createState(settings({ eventsPerSubject: 2 }));
  engine.upsertSubject(state, spec('pend00', { kind: 'experiment' }), T0);
  const seqBefore = state.seq;
  const result = engine.recordSourceEvent(
    state,
    { subject: 'pend00', type: 'availability', from: null, to: 'available', reason: 'all required streams healthy' },
    T0 + 1,
  );
  assert.equal(result.events.length, 1);
  assert.deepEqual(result.events[0], {
    seq: seqBefore + 1,
    at: T0 + 1,
    subject: 'pend00',
    type: 'availability',
    from: null,
    to: 'available',
    reason: 'all required streams healthy',
  });
  engine.recordSourceEvent(state, { subject: 'pend00', type: 'availability', from: 'available', to: 'unavailable' }, T0 + 2);
  engine.recordSourceEvent(state, { subject: 'pend00', type: 'availability', from: 'unavailable', to: 'available' }, T0 + 3);
  const history = state.history.get('pend00')!;
  assert.equal(history.length, 2, 'bounded by eventsPerSubject');
  assert.equal(history.at(-1)!.to, 'available');
});

test('recordSourceEvent refuses unknown subjects and engine-owned event types, changing nothing', () => {
  const state = engine.createState(settings());
  engine.upsertSubject(state, spec('pend00'), T0);
  const seq = state.seq;
  assert.throws(
    () => engine.recordSourceEvent(state, { subject: 'nope', type: 'availability', from: null, to: 'available' }, T0),
    (e: unknown) => e instanceof EngineError && e.code === 'not_found',
  );
  assert.throws(
    () => engine.recordSourceEvent(state, { subject: 'pend00', type: 'health', from: null, to: 'healthy' }, T0),
    (e: unknown) => e instanceof EngineError && e.code === 'invalid',
  );
  assert.equal(state.seq, seq);
});
