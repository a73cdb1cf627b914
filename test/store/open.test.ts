import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store, StoreError } from '../../src/store/store.js';
import { LATEST_SCHEMA_VERSION, VIGIL_APPLICATION_ID } from '../../src/store/migrations.js';
import { makeState, makeSubject, tempDir, upsert } from './fixtures/factory.js';

const temp = tempDir();
after(temp.cleanup);
let counter = 0;
const freshPath = (): string => join(temp.dir, `open-${++counter}.db`);
const OPTIONS = { flushIntervalMs: 5, eventsPerSubject: 100 };

function pragmas(path: string): { applicationId: number; version: number; journal: string } {
  const db = new Database(path, { readonly: true });
  try {
    return {
      applicationId: db.pragma('application_id', { simple: true }) as number,
      version: db.pragma('user_version', { simple: true }) as number,
      journal: db.pragma('journal_mode', { simple: true }) as string,
    };
  } finally {
    db.close();
  }
}

function assertUntouched(path: string, before: Buffer): void {
  assert.deepEqual(readFileSync(path), before, 'the file must be left exactly as it was');
  assert.equal(existsSync(`${path}-wal`), false, 'no WAL may be created beside it');
}

describe('Store.open', () => {
  it('creates a WAL database marked as vigil at the latest schema version', () => {
    const path = freshPath();
    Store.open(path, OPTIONS).close();
    assert.deepEqual(pragmas(path), { applicationId: VIGIL_APPLICATION_ID, version: LATEST_SCHEMA_VERSION, journal: 'wal' });
    Store.open(path, OPTIONS).close(); // reopening an up-to-date file migrates nothing
    assert.equal(pragmas(path).version, LATEST_SCHEMA_VERSION);
  });

  it('refuses an existing 0-byte file: a state file that lost its contents is not a new database', () => {
    const path = freshPath();
    writeFileSync(path, '');
    assert.throws(
      () => Store.open(path, OPTIONS),
      (error: unknown) => error instanceof StoreError && /empty \(0-byte\) file, not a vigil state database/.test(error.message),
    );
    assert.equal(readFileSync(path).length, 0, 'left as it was');
  });

  it('refuses a second store on the same file while the first is open, and allows it once closed', () => {
    const path = freshPath();
    const first = Store.open(path, OPTIONS);
    assert.throws(
      () => Store.open(path, OPTIONS),
      (error: unknown) => error instanceof StoreError && /in use by another vigil process/.test(error.message),
    );
    first.close();
    Store.open(path, OPTIONS).close();
  });

  it('refuses a schema newer than it knows, leaving the file alone', () => {
    const path = freshPath();
    Store.open(path, OPTIONS).close();
    const db = new Database(path);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    const before = readFileSync(path);
    assert.throws(
      () => Store.open(path, OPTIONS),
      (error: unknown) =>
        error instanceof StoreError &&
        error.message.includes(
          `schema version ${LATEST_SCHEMA_VERSION + 1}, newer than this vigil supports (${LATEST_SCHEMA_VERSION}); upgrade vigil`,
        ),
    );
    assert.deepEqual(readFileSync(path), before);
  });

  it('refuses a file of random bytes as corrupt and does not change it', () => {
    const path = freshPath();
    writeFileSync(path, randomBytes(8192));
    const before = readFileSync(path);
    assert.throws(
      () => Store.open(path, OPTIONS),
      (error: unknown) =>
        error instanceof StoreError &&
        error.message === `state database ${path} is corrupt (file is not a database); move it away or restore a backup`,
    );
    assertUntouched(path, before);
  });

  it('refuses a vigil database with damaged pages and does not change it', async () => {
    const path = freshPath();
    const store = Store.open(path, OPTIONS);
    const state = makeState();
    store.attach(state);
    store.record(
      upsert(
        state,
        Array.from({ length: 200 }, (_, i) => makeSubject(`host-${i}`)),
      ),
    );
    await store.commit();
    store.close();
    const damaged = readFileSync(path);
    const pageSize = damaged.readUInt16BE(16);
    assert.ok(damaged.length > 8 * pageSize, 'the test needs a database of several pages');
    randomBytes(pageSize).copy(damaged, 4 * pageSize); // page 5: a table page, not the header
    writeFileSync(path, damaged);
    assert.throws(
      () => Store.open(path, OPTIONS),
      (error: unknown) =>
        error instanceof StoreError && /^state database .* is corrupt \(.+\); move it away or restore a backup$/.test(error.message),
    );
    assertUntouched(path, damaged);
  });

  it('refuses a SQLite database of another program and does not change it', () => {
    const path = freshPath();
    const other = new Database(path);
    other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5)');
    other.close();
    const before = readFileSync(path);
    assert.throws(
      () => Store.open(path, OPTIONS),
      (error: unknown) => error instanceof StoreError && /another program \(tables: invoices\), not a vigil state database/.test(error.message),
    );
    assertUntouched(path, before);
  });

  it('refuses a database with another application id', () => {
    const path = freshPath();
    const other = new Database(path);
    other.pragma('application_id = 42');
    other.close();
    assert.throws(() => Store.open(path, OPTIONS), /application id 0x2a/);
  });

  it('reports a corrupt row on load instead of handing garbage to the engine', () => {
    const path = freshPath();
    Store.open(path, OPTIONS).close();
    const db = new Database(path);
    db.prepare('INSERT INTO subjects (id, state) VALUES (?, ?)').run('host-1', '{"spec": ');
    db.close();
    const store = Store.open(path, OPTIONS);
    assert.throws(() => store.load(), /is corrupt \(subject "host-1" is not valid JSON\); move it away or restore a backup/);
    store.close();
  });
});
