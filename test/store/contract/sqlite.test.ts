// The store contract against the embedded default, a SQLite file.
import { after } from 'node:test';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../../src/store/store.js';
import { tempDir } from '../fixtures/factory.js';
import { storeContract } from './contract.js';

const temp = tempDir();
after(temp.cleanup);
let counter = 0;

function withConnection<T>(path: string, use: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return use(db);
  } finally {
    db.close();
  }
}

storeContract({
  name: 'SQLite',
  fresh: async () => join(temp.dir, `contract-${++counter}`, 'vigil.db'),
  open: async (path, options) => Store.open(path, options),
  count: async (path, table) => withConnection(path, (db) => db.prepare(`SELECT count(*) AS n FROM ${table}`).pluck().get() as number),
  makeForeign: async (path) => {
    Store.open(path, { flushIntervalMs: 5, eventsPerSubject: 1 }).close(); // creates the directory
    const { rmSync } = await import('node:fs');
    rmSync(path);
    withConnection(path, (db) => db.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)'));
  },
  subjectRow: async (path, id) =>
    withConnection(path, (db) => db.prepare('SELECT state FROM subjects WHERE id = ?').pluck().get(id) as string | undefined),
  putSubjectRow: async (path, id, text) => {
    withConnection(path, (db) => db.prepare('INSERT OR REPLACE INTO subjects (id, state) VALUES (?, ?)').run(id, text));
  },
  makeNewer: async (path) => {
    withConnection(path, (db) => db.pragma('user_version = 999'));
  },
  // A trigger is part of the schema, so the store's own connection sees it without any test hook in the store.
  breakWrites: async (path) => {
    const saboteur = new Database(path);
    saboteur.exec("CREATE TRIGGER disk_full BEFORE INSERT ON subjects BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    return async () => {
      saboteur.exec('DROP TRIGGER disk_full');
      saboteur.close();
    };
  },
});
