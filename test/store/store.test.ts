import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as engine from '../../src/engine/index.js';
import { Store } from '../../src/store/store.js';
import { decodeSubject } from '../../src/store/subject-row.js';
import { TEST_SETTINGS } from '../helpers/settings.js';
import { makeEvent, makeSource, makeState, makeSubject, tempDir, upsert } from './fixtures/factory.js';

const temp = tempDir();
after(temp.cleanup);
let counter = 0;
const freshPath = (): string => join(temp.dir, `nested/dir-${++counter}`, 'vigil.db');
const OPTIONS = { flushIntervalMs: 5, eventsPerSubject: 100 };

/** A second, independent connection: what is visible here is in the file, not in the store's memory. */
function readBack<T>(path: string, sql: string, ...params: unknown[]): T[] {
  const reader = new Database(path, { readonly: true });
  try {
    return reader.prepare(sql).all(...params) as T[];
  } finally {
    reader.close();
  }
}

describe('Store', () => {
  it('after a load without history, still prunes subjects whose stored events the engine does not hold', async () => {
    const path = freshPath();
    const options = { ...OPTIONS, eventsPerSubject: 3 };
    const first = Store.open(path, options);
    const before = makeState();
    first.attach(before);
    first.record(upsert(before, [makeSubject('busy')], [makeEvent(before, 'busy'), makeEvent(before, 'busy'), makeEvent(before, 'busy')]));
    await first.commit();
    first.close();

    const store = Store.open(path, options);
    const loaded = store.load({ history: false });
    assert.deepEqual(loaded.history, [], 'the events stay in the database');
    const state = makeState();
    state.seq = loaded.seq;
    for (const subject of loaded.subjects) state.subjects.set(subject.spec.id, subject);
    store.attach(state);
    // The engine's history holds only the new event: by its length alone the subject would not need pruning.
    const event = makeEvent(state, 'busy');
    state.history.set('busy', [event]);
    store.record({ events: [event], changed: new Set(['busy']) });
    await store.commit();
    assert.deepEqual(
      store.eventsAfter(0, 10, 'busy').map((e) => e.seq),
      [2, 3, 4],
    );
    store.close();
  });

  it('round-trips subjects, sources, events and seq through close and reopen', async () => {
    const path = freshPath();
    const store = Store.open(path, OPTIONS);
    assert.deepEqual(store.load(), { subjects: [], sources: [], seq: 0, history: [] });
    const state = makeState();
    store.attach(state);
    const events = [makeEvent(state, 'host-1'), makeEvent(state, 'host-2', 'healthy')];
    delete events[1]!.reason;
    store.record(upsert(state, [makeSubject('host-1', 3), makeSubject('host-2')], events));
    state.sources.set('targets', makeSource('targets', false));
    store.record({ events: [], changed: new Set(), changedSources: new Set(['targets']) });
    await store.commit();
    store.close();

    const reopened = Store.open(path, OPTIONS);
    const loaded = reopened.load();
    assert.deepEqual(loaded.subjects, [makeSubject('host-1', 3), makeSubject('host-2')]);
    assert.deepEqual(loaded.sources, [makeSource('targets', false)]);
    assert.equal(loaded.seq, 2);
    assert.deepEqual(loaded.history, events);
    assert.deepEqual(reopened.eventsAfter(1, 10), [events[1]]);
    assert.deepEqual(reopened.eventsAfter(0, 10, 'host-1'), [events[0]]);
    assert.deepEqual(reopened.eventsAfter(0, 1), [events[0]]);
    reopened.close();
  });

  it('writes 10,000 subjects made dirty in one interval in one transaction', async () => {
    const path = freshPath();
    const store = Store.open(path, OPTIONS);
    const state = makeState();
    store.attach(state);
    for (let i = 0; i < 10_000; i++) store.record(upsert(state, [makeSubject(`host-${i}`)], [makeEvent(state, `host-${i}`)]));
    assert.equal(store.stats().pendingSubjects, 10_000);
    await store.commit();
    const stats = store.stats();
    assert.equal(stats.transactions, 1);
    assert.equal(stats.pendingSubjects, 0);
    assert.ok(stats.rowsWritten >= 20_000, `rowsWritten ${stats.rowsWritten}`);
    assert.ok(stats.sizeBytes > 0);
    assert.equal(typeof stats.lastFlushAt, 'number');
    store.close();
    assert.deepEqual(readBack(path, 'SELECT count(*) AS n FROM subjects'), [{ n: 10_000 }]);
  });

  it('resolves commit() only once the data is in the file, and record() does no I/O', async () => {
    const path = freshPath();
    const store = Store.open(path, OPTIONS);
    const state = makeState();
    store.attach(state);
    store.record(upsert(state, [makeSubject('host-1', 7)], [makeEvent(state, 'host-1')]));
    assert.deepEqual(readBack(path, 'SELECT id FROM subjects'), []);
    const committed = store.commit();
    assert.deepEqual(readBack(path, 'SELECT id FROM subjects'), []);
    await committed;
    const rows = readBack<{ state: string }>(path, 'SELECT state FROM subjects WHERE id = ?', 'host-1');
    assert.equal(decodeSubject(JSON.parse(rows[0]!.state) as unknown[]).stateVersion, 7);
    assert.deepEqual(readBack(path, "SELECT value FROM meta WHERE key = 'seq'"), [{ value: 1 }]);
    assert.deepEqual(readBack(path, 'SELECT seq, subject FROM events'), [{ seq: 1, subject: 'host-1' }]);
    store.close();
  });

  it('flushes the state current at flush time, and an idle store commits without a transaction', async () => {
    const store = Store.open(freshPath(), OPTIONS);
    const state = makeState();
    store.attach(state);
    await store.commit();
    assert.equal(store.stats().transactions, 0);
    store.record(upsert(state, [makeSubject('host-1', 1)]));
    state.subjects.set('host-1', makeSubject('host-1', 2)); // changed again before the timer fires
    await Promise.all([store.commit(), store.commit()]);
    assert.equal(store.stats().transactions, 1);
    await store.commit();
    assert.equal(store.stats().transactions, 1);
    assert.equal(store.load().subjects[0]!.stateVersion, 2);
    store.close();
  });

  it('deletes subjects and sources no longer in the state, with their events', async () => {
    const path = freshPath();
    const store = Store.open(path, OPTIONS);
    const state = makeState();
    store.attach(state);
    store.record(upsert(state, [makeSubject('keep'), makeSubject('gone')], [makeEvent(state, 'keep'), makeEvent(state, 'gone')]));
    state.sources.set('octopus', makeSource('octopus'));
    store.record({ events: [], changed: new Set(), changedSources: new Set(['octopus']) });
    await store.commit();
    state.subjects.delete('gone');
    state.sources.delete('octopus');
    store.record({ events: [], changed: new Set(['gone']) });
    store.record({ events: [], changed: new Set(), changedSources: new Set(['octopus']) });
    await store.commit();
    const loaded = store.load();
    assert.deepEqual(
      loaded.subjects.map((subject) => subject.spec.id),
      ['keep'],
    );
    assert.deepEqual(loaded.sources, []);
    assert.deepEqual(
      loaded.history.map((event) => event.subject),
      ['keep'],
    );
    assert.equal(loaded.seq, 2);
    store.close();
  });

  it('moves the events of a renamed subject to its new id, also when the old id is reused in the same flush', async () => {
    const path = freshPath();
    const store = Store.open(path, OPTIONS);
    const state = engine.createState(TEST_SETTINGS);
    store.attach(state);
    const T = Date.UTC(2026, 0, 1);
    store.record(engine.applyObservation(state, { subject: 'db1', check: 'ssh', status: 'ok', period: 60_000 }, T));
    await store.commit();
    // In one flush interval: rename db1 → db2, then a new db1 appears and reports.
    store.record(engine.renameSubject(state, 'db1', 'db2', T + 1000));
    store.record(engine.applyObservation(state, { subject: 'db1', check: 'ssh', status: 'crit', period: 60_000 }, T + 2000));
    await store.commit();
    store.close();

    const reopened = Store.open(path, OPTIONS);
    const loaded = reopened.load();
    const restored = engine.restoreState(TEST_SETTINGS, loaded.subjects, loaded.sources, loaded.seq, loaded.history);
    const summary = (id: string) =>
      restored.history
        .get(id)
        ?.filter((e) => e.type !== 'connectivity')
        .map((e) => [e.type, e.from, e.to]);
    assert.deepEqual(
      summary('db2'),
      [
        ['health', null, 'healthy'],
        ['rename', 'db1', 'db2'],
        ['health', 'healthy', 'unknown'],
      ],
      'the old history follows, then the rename (after which old results wait out the rename lag)',
    );
    assert.deepEqual(summary('db1'), [['health', null, 'unhealthy']], 'the new db1 keeps only its own events');
    assert.equal(restored.subjects.get('db2')!.renamedFrom, 'db1');
    assert.deepEqual(
      reopened.eventsAfter(0, 10, 'db2').map((e) => e.type),
      ['connectivity', 'health', 'rename', 'health'],
    );
    reopened.close();
  });

  it('prunes each subject to eventsPerSubject, oldest first, in the same transaction', async () => {
    const store = Store.open(freshPath(), { ...OPTIONS, eventsPerSubject: 3 });
    const state = makeState();
    store.attach(state);
    const events = Array.from({ length: 5 }, () => makeEvent(state, 'busy'));
    store.record(upsert(state, [makeSubject('busy'), makeSubject('quiet')], [...events, makeEvent(state, 'quiet')]));
    await store.commit();
    assert.equal(store.stats().transactions, 1);
    store.record(upsert(state, [makeSubject('busy')], [makeEvent(state, 'busy')]));
    await store.commit();
    const history = store.load().history;
    assert.deepEqual(
      history.map((event) => [event.subject, event.seq]),
      [
        ['busy', 4],
        ['busy', 5],
        ['quiet', 6],
        ['busy', 7],
      ],
    );
    store.close();
  });

  it('never moves the global seq backwards', async () => {
    const path = freshPath();
    const store = Store.open(path, OPTIONS);
    const state = makeState();
    store.attach(state);
    state.seq = 41;
    store.record(upsert(state, [makeSubject('host-1')], [makeEvent(state, 'host-1')]));
    await store.commit();
    state.seq = 3; // a confused caller
    store.record(upsert(state, [makeSubject('host-1')]));
    await store.commit();
    assert.equal(store.load().seq, 42);
    store.close();
  });

  it('flushes on close and refuses work afterwards', async () => {
    const path = freshPath();
    const store = Store.open(path, OPTIONS);
    const state = makeState();
    store.attach(state);
    store.record(upsert(state, [makeSubject('host-1')]));
    store.close();
    assert.deepEqual(readBack(path, 'SELECT id FROM subjects'), [{ id: 'host-1' }]);
    assert.throws(() => store.record(upsert(state, [makeSubject('host-2')])), /closed/);
    await assert.rejects(store.commit(), /closed/);
    store.close(); // idempotent
  });

  it('refuses to record changes before attach()', () => {
    const store = Store.open(freshPath(), OPTIONS);
    assert.throws(() => store.record({ events: [], changed: new Set(['x']) }), /attach/);
    store.close();
  });
});
