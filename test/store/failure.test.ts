import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store, StoreError } from '../../src/store/store.js';
import { makeEvent, makeState, makeSubject, tempDir, upsert } from './fixtures/factory.js';

const temp = tempDir();
after(temp.cleanup);

/**
 * Makes every write to `subjects` fail, from a second connection, the way a full disk would fail a flush.
 * A trigger is part of the schema, so the store's own connection sees it without any test hook in the store.
 */
function breakWrites(path: string): () => void {
  const saboteur = new Database(path);
  saboteur.exec("CREATE TRIGGER disk_full BEFORE INSERT ON subjects BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
  return () => {
    saboteur.exec('DROP TRIGGER disk_full');
    saboteur.close();
  };
}

describe('Store flush failure', () => {
  it('keeps the data dirty, rejects the waiting commits, reports the error and retries', async () => {
    const path = join(temp.dir, 'failing.db');
    const errors: Error[] = [];
    let repair: (() => void) | undefined;
    const store = Store.open(path, {
      flushIntervalMs: 5,
      eventsPerSubject: 100,
      onError: (error) => {
        errors.push(error);
        // Let a few retries fail, then free the "disk": the next interval must write everything.
        if (errors.length === 3) repair?.();
      },
    });
    const state = makeState();
    store.attach(state);
    repair = breakWrites(path);

    store.record(upsert(state, [makeSubject('host-1')], [makeEvent(state, 'host-1')]));
    await assert.rejects(
      store.commit(),
      (error: unknown) => error instanceof StoreError && /failed \(database or disk is full\); retrying/.test(error.message),
    );
    assert.equal(store.stats().pendingSubjects, 1);
    assert.equal(store.stats().transactions, 0);
    assert.match(store.stats().lastFlushError ?? '', /database or disk is full/);
    assert.deepEqual(store.load().subjects, []);
    assert.deepEqual(store.load().history, [], 'the failed transaction wrote nothing, not even its events');

    store.record(upsert(state, [makeSubject('host-2')]));
    // Retried by the timer alone: these commits span the remaining failures and the success after repair.
    for (let attempt = 0; ; attempt++) {
      assert.ok(attempt < 10, 'the flush should have succeeded after the repair');
      try {
        await store.commit();
        break;
      } catch {
        // still failing: wait for the next interval
      }
    }
    assert.equal(errors.length, 3);
    assert.equal(store.stats().transactions, 1);
    assert.equal(store.stats().pendingSubjects, 0);
    assert.equal(store.stats().lastFlushError, undefined, 'a successful flush clears the error');
    const loaded = store.load();
    assert.deepEqual(
      loaded.subjects.map((subject) => subject.spec.id),
      ['host-1', 'host-2'],
    );
    assert.equal(loaded.history.length, 1);
    assert.equal(loaded.seq, 1);
    store.close();
  });

  it('throws from close() when the final flush fails', () => {
    const path = join(temp.dir, 'failing-close.db');
    const store = Store.open(path, { flushIntervalMs: 60_000, eventsPerSubject: 100 });
    const state = makeState();
    store.attach(state);
    const repair = breakWrites(path);
    store.record(upsert(state, [makeSubject('host-1')]));
    assert.throws(() => store.close(), /failed \(database or disk is full\)/);
    repair();
  });
});
