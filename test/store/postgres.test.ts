// PostgreSQL-only behaviour of the store: one writer per database, and riding out a server restart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStore } from '../../src/store/postgres/store.js';
import { StoreError } from '../../src/store/errors.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { makeEvent, makeState, makeSubject, upsert } from './fixtures/factory.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => server?.cleanup());

const open = (url: string, flushIntervalMs = 5) => PostgresStore.open(url, { flushIntervalMs, eventsPerSubject: 100, password: server.password });

describe('PostgresStore', () => {
  it('refuses a second vigil on the same database while the first runs, and admits it once the first closed', async () => {
    const url = server.url(await server.createDatabase());
    const first = await open(url);
    await assert.rejects(open(url), (error: unknown) => error instanceof StoreError && /another vigil already uses/.test(error.message));
    await first.close();
    await (await open(url)).close();
  });

  it('keeps writes dirty while the server is down and writes them once it is back', async () => {
    const url = server.url(await server.createDatabase());
    const errors: Error[] = [];
    const store = await PostgresStore.open(url, {
      flushIntervalMs: 20,
      eventsPerSubject: 100,
      password: server.password,
      onError: (e) => errors.push(e),
    });
    const state = makeState();
    store.attach(state);
    store.record(upsert(state, [makeSubject('before')], [makeEvent(state, 'before')]));
    await store.commit();

    await server.stop('immediate');
    store.record(upsert(state, [makeSubject('during')], [makeEvent(state, 'during')]));
    await assert.rejects(store.commit(), StoreError);
    assert.equal(store.stats().pendingSubjects, 1);
    assert.ok(errors.length >= 1);
    await server.start();
    for (let attempt = 0; ; attempt++) {
      assert.ok(attempt < 100, 'the flush should succeed once the server is back');
      try {
        await store.commit();
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    assert.equal(store.stats().lastFlushError, undefined);
    await store.close();
    const reopened = await open(url);
    assert.deepEqual(
      reopened.load().subjects.map((subject) => subject.spec.id),
      ['before', 'during'],
    );
    assert.deepEqual(
      reopened.load().history.map((event) => event.subject),
      ['before', 'during'],
    );
    await reopened.close();
  });
});
