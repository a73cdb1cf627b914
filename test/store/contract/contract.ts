// The store contract: what the runtime relies on from any state store. The same tests run against SQLite
// (sqlite.test.ts) and PostgreSQL (postgres.test.ts); a target only says how to make, open, inspect and damage a
// location. Persistence is always checked through a second, fresh connection, never the store's own memory.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StateStore, StoreOptions } from '../../../src/store/state-store.js';
import { StoreError } from '../../../src/store/errors.js';
import * as engine from '../../../src/engine/index.js';
import { SETTINGS, makeEvent, makeSource, makeState, makeSubject, upsert } from '../fixtures/factory.js';
import { TEST_SETTINGS } from '../../helpers/settings.js';

export type Table = 'subjects' | 'sources' | 'events';

export interface ContractTarget {
  name: string;
  /** A new, empty location (file path or URL). */
  fresh(): Promise<string>;
  open(location: string, options: StoreOptions): Promise<StateStore>;
  /** Rows of `table` as another connection sees them. */
  count(location: string, table: Table): Promise<number>;
  /** Puts another program's tables where vigil's would be. */
  makeForeign(location: string): Promise<void>;
  /** Marks the schema as one version newer than this vigil knows. */
  makeNewer(location: string): Promise<void>;
  /** The stored text of subject `id`'s row, as another connection reads it. */
  subjectRow(location: string, id: string): Promise<string | undefined>;
  /** Stores `text` as subject `id`'s row, as an earlier vigil would have written it. */
  putSubjectRow(location: string, id: string, text: string): Promise<void>;
  /** Makes every insert into `subjects` fail, as a full disk would; returns the repair. */
  breakWrites(location: string): Promise<() => Promise<void>>;
}

const OPTIONS: StoreOptions = { flushIntervalMs: 5, eventsPerSubject: 100 };

export function storeContract(target: ContractTarget): void {
  /** What a restarted vigil would load from `location`. */
  const reload = async (location: string) => {
    const store = await target.open(location, OPTIONS);
    try {
      return store.load();
    } finally {
      await store.close();
    }
  };

  describe(`store contract: ${target.name}`, () => {
    it('round-trips subjects, sources, events and seq through close and reopen', async () => {
      const location = await target.fresh();
      const store = await target.open(location, OPTIONS);
      assert.deepEqual(store.load(), { subjects: [], sources: [], seq: 0, history: [] });
      const state = makeState();
      store.attach(state);
      const events = [makeEvent(state, 'host-1'), makeEvent(state, 'host-2', 'healthy')];
      delete events[1]!.reason;
      store.record(upsert(state, [makeSubject('host-1', 3), makeSubject('host-2')], events));
      state.sources.set('targets', makeSource('targets', false));
      store.record({ events: [], changed: new Set(), changedSources: new Set(['targets']) });
      await store.commit();
      await store.close();

      const reopened = await target.open(location, OPTIONS);
      const loaded = reopened.load();
      assert.deepEqual(loaded.subjects, [makeSubject('host-1', 3), makeSubject('host-2')]);
      assert.deepEqual(loaded.sources, [makeSource('targets', false)]);
      assert.equal(loaded.seq, 2);
      assert.deepEqual(loaded.history, events);
      assert.deepEqual(await reopened.eventsAfter(1, 10), [events[1]]);
      assert.deepEqual(await reopened.eventsAfter(0, 10, 'host-1'), [events[0]]);
      assert.deepEqual(await reopened.eventsAfter(0, 1), [events[0]]);
      await reopened.close();
    });

    it('writes subject rows in the compact form and reads rows in the earlier named-field form beside them', async () => {
      const location = await target.fresh();
      const store = await target.open(location, OPTIONS);
      const state = makeState();
      store.attach(state);
      store.record(upsert(state, [makeSubject('host-1', 3)]));
      await store.commit();
      await store.close();
      const compact = (await target.subjectRow(location, 'host-1'))!;
      assert.ok(compact.startsWith('[1,') && compact.length < JSON.stringify(makeSubject('host-1', 3)).length, compact);
      await target.putSubjectRow(location, 'host-0', JSON.stringify(makeSubject('host-0', 5)));

      const reopened = await target.open(location, OPTIONS);
      const loaded = reopened.load();
      assert.deepStrictEqual(loaded.subjects, [makeSubject('host-0', 5), makeSubject('host-1', 3)]);
      // A changed subject is written compact again; the other old row stays as it was until it changes.
      const again = makeState();
      reopened.attach(again);
      reopened.record(upsert(again, [makeSubject('host-0', 6)]));
      await reopened.commit();
      await reopened.close();
      assert.ok((await target.subjectRow(location, 'host-0'))!.startsWith('[1,'));
      assert.deepStrictEqual((await reload(location)).subjects, [makeSubject('host-0', 6), makeSubject('host-1', 3)]);
    });

    it('group commit: 10,000 subjects made dirty in one interval go in one transaction', async () => {
      const location = await target.fresh();
      const store = await target.open(location, OPTIONS);
      const state = makeState();
      store.attach(state);
      for (let i = 0; i < 10_000; i++) store.record(upsert(state, [makeSubject(`host-${i}`)], [makeEvent(state, `host-${i}`)]));
      assert.equal(store.stats().pendingSubjects, 10_000);
      await store.commit();
      const stats = store.stats();
      assert.equal(stats.transactions, 1);
      assert.equal(stats.pendingSubjects, 0);
      assert.ok(stats.rowsWritten >= 20_000, `rowsWritten ${stats.rowsWritten}`);
      assert.equal(typeof stats.lastFlushAt, 'number');
      await store.close();
      assert.equal(await target.count(location, 'subjects'), 10_000);
    });

    it('resolves commit() only once the data is visible to another connection', async () => {
      const location = await target.fresh();
      // Long enough for the count below to run before the flush: this test shows record() itself writes nothing.
      const store = await target.open(location, { ...OPTIONS, flushIntervalMs: 1_000 });
      const state = makeState();
      store.attach(state);
      store.record(upsert(state, [makeSubject('host-1', 7)], [makeEvent(state, 'host-1')]));
      assert.equal(await target.count(location, 'subjects'), 0, 'record() does no I/O');
      await store.commit();
      assert.equal(await target.count(location, 'subjects'), 1);
      assert.equal(await target.count(location, 'events'), 1);
      await store.close();
    });

    it('flushes the state current at flush time; an idle store commits without a transaction', async () => {
      const location = await target.fresh();
      const store = await target.open(location, OPTIONS);
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
      await store.close();
      assert.equal((await reload(location)).subjects[0]!.stateVersion, 2);
    });

    it('deletes subjects and sources no longer in the state, with their events', async () => {
      const location = await target.fresh();
      const store = await target.open(location, OPTIONS);
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
      await store.close();
      const loaded = await reload(location);
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
    });

    it('moves the events of a renamed subject to its new id, also when the old id is reused in the same flush', async () => {
      const location = await target.fresh();
      const store = await target.open(location, OPTIONS);
      const state = engine.createState(TEST_SETTINGS);
      store.attach(state);
      const T = Date.UTC(2026, 0, 1);
      store.record(engine.applyObservation(state, { subject: 'db1', check: 'ssh', status: 'ok', period: 60_000 }, T));
      await store.commit();
      store.record(engine.renameSubject(state, 'db1', 'db2', T + 1000));
      store.record(engine.applyObservation(state, { subject: 'db1', check: 'ssh', status: 'crit', period: 60_000 }, T + 2000));
      await store.commit();
      await store.close();
      const loaded = await reload(location);
      const restored = engine.restoreState(SETTINGS, loaded.subjects, loaded.sources, loaded.seq, loaded.history);
      const summary = (id: string) =>
        restored.history
          .get(id)
          ?.filter((e) => e.type !== 'connectivity')
          .map((e) => [e.type, e.from, e.to]);
      assert.deepEqual(summary('db2'), [
        ['health', null, 'healthy'],
        ['rename', 'db1', 'db2'],
        ['health', 'healthy', 'unknown'],
      ]);
      assert.deepEqual(summary('db1'), [['health', null, 'unhealthy']]);
      assert.equal(restored.subjects.get('db2')!.renamedFrom, 'db1');
    });

    it('keeps API maintenance windows and the window an event happened in', async () => {
      const location = await target.fresh();
      const store = await target.open(location, OPTIONS);
      assert.deepEqual(store.loadMaintenance(), []);
      const window = { id: 'mw-1', source: 'api' as const, match: { subject: ['host-1'] }, reason: 'rack move', startsAt: 1, endsAt: 2 };
      await store.saveMaintenance(window);
      await store.saveMaintenance({ ...window, id: 'mw-2' });
      await store.deleteMaintenance('mw-2');
      const state = makeState();
      store.attach(state);
      const event = { ...makeEvent(state, 'host-1'), maintenance: 'mw-1' };
      store.record(upsert(state, [makeSubject('host-1')], [event]));
      await store.close();
      const reopened = await target.open(location, OPTIONS);
      assert.deepEqual(reopened.loadMaintenance(), [window]);
      assert.deepEqual(reopened.load().history, [event]);
      await reopened.close();
    });

    it('prunes each subject to eventsPerSubject, oldest first', async () => {
      const location = await target.fresh();
      const store = await target.open(location, { ...OPTIONS, eventsPerSubject: 3 });
      const state = makeState();
      store.attach(state);
      const events = Array.from({ length: 5 }, () => makeEvent(state, 'busy'));
      store.record(upsert(state, [makeSubject('busy'), makeSubject('quiet')], [...events, makeEvent(state, 'quiet')]));
      await store.commit();
      store.record(upsert(state, [makeSubject('busy')], [makeEvent(state, 'busy')]));
      await store.commit();
      await store.close();
      assert.deepEqual(
        (await reload(location)).history.map((event) => [event.subject, event.seq]),
        [
          ['busy', 4],
          ['busy', 5],
          ['quiet', 6],
          ['busy', 7],
        ],
      );
    });

    it('never moves the global seq backwards', async () => {
      const location = await target.fresh();
      const store = await target.open(location, OPTIONS);
      const state = makeState();
      store.attach(state);
      state.seq = 41;
      store.record(upsert(state, [makeSubject('host-1')], [makeEvent(state, 'host-1')]));
      await store.commit();
      state.seq = 3; // a confused caller
      store.record(upsert(state, [makeSubject('host-1')]));
      await store.commit();
      await store.close();
      assert.equal((await reload(location)).seq, 42);
    });

    it('flushes on close and refuses work afterwards', async () => {
      const location = await target.fresh();
      const store = await target.open(location, OPTIONS);
      const state = makeState();
      store.attach(state);
      store.record(upsert(state, [makeSubject('host-1')]));
      await store.close();
      assert.equal(await target.count(location, 'subjects'), 1);
      assert.throws(() => store.record(upsert(state, [makeSubject('host-2')])), /closed/);
      await assert.rejects(store.commit(), /closed/);
      await store.close(); // idempotent
    });

    it('a failed flush keeps the data dirty, rejects the waiting commit, reports, and is retried', async () => {
      const location = await target.fresh();
      const errors: Error[] = [];
      let repair: (() => Promise<void>) | undefined;
      let repaired: Promise<void> | undefined;
      const store = await target.open(location, {
        ...OPTIONS,
        onError: (error) => {
          errors.push(error);
          if (errors.length === 3) repaired = repair?.();
        },
      });
      const state = makeState();
      store.attach(state);
      repair = await target.breakWrites(location);
      store.record(upsert(state, [makeSubject('host-1')], [makeEvent(state, 'host-1')]));
      await assert.rejects(store.commit(), (error: unknown) => error instanceof StoreError && /failed \(.+\); retrying/.test(error.message));
      assert.equal(store.stats().pendingSubjects, 1);
      assert.equal(store.stats().transactions, 0);
      assert.ok(store.stats().lastFlushError);
      assert.equal(await target.count(location, 'events'), 0, 'the failed transaction wrote nothing, not even its events');
      store.record(upsert(state, [makeSubject('host-2')]));
      for (let attempt = 0; ; attempt++) {
        assert.ok(attempt < 50, 'the flush should have succeeded after the repair');
        try {
          await store.commit();
          break;
        } catch {
          // still failing: the timer retries
        }
        await repaired;
      }
      assert.ok(errors.length >= 3, `${errors.length} failures reported`);
      assert.equal(store.stats().pendingSubjects, 0);
      assert.ok(store.stats().transactions >= 1);
      assert.equal(store.stats().lastFlushError, undefined, 'a successful flush clears the error');
      await store.close();
      const loaded = await reload(location);
      assert.deepEqual(
        loaded.subjects.map((subject) => subject.spec.id),
        ['host-1', 'host-2'],
      );
      assert.equal(loaded.history.length, 1);
    });

    it('refuses a database of another program and leaves it as it was', async () => {
      const location = await target.fresh();
      await target.makeForeign(location);
      await assert.rejects(target.open(location, OPTIONS), (error: unknown) => error instanceof StoreError && /another program/.test(error.message));
      assert.equal(await target.count(location, 'subjects').catch(() => 0), 0);
    });

    it('refuses a schema newer than this vigil supports', async () => {
      const location = await target.fresh();
      await (await target.open(location, OPTIONS)).close();
      await target.makeNewer(location);
      await assert.rejects(
        target.open(location, OPTIONS),
        (error: unknown) => error instanceof StoreError && /newer than this vigil supports/.test(error.message),
      );
    });

    it('opens a migrated database again without migrating twice', async () => {
      const location = await target.fresh();
      await (await target.open(location, OPTIONS)).close();
      const again = await target.open(location, OPTIONS);
      assert.deepEqual(again.load(), { subjects: [], sources: [], seq: 0, history: [] });
      await again.close();
    });
  });
}
