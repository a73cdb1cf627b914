// Schema of the state database and the way an existing file is recognised and brought up to date.
//
// `PRAGMA application_id` marks the file as vigil's, so a SQLite file of another program is refused rather than
// "migrated"; `PRAGMA user_version` is the schema version. Both live in the file header, outside any table.
import type Database from 'better-sqlite3';
import { StoreError, corruptDatabase } from './errors.js';

/** "VGIL" in ASCII: identifies a vigil state database in the SQLite header. */
export const VIGIL_APPLICATION_ID = 0x5647494c;

export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

/** Append only: a released migration is never edited, a change is a new entry. Versions are 1, 2, 3, ... */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'subjects, sources, events and meta tables',
    up(db) {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
        CREATE TABLE subjects (id TEXT PRIMARY KEY, state TEXT NOT NULL);
        CREATE TABLE sources (name TEXT PRIMARY KEY, state TEXT NOT NULL);
        CREATE TABLE events (
          seq INTEGER PRIMARY KEY,
          at INTEGER NOT NULL,
          subject TEXT NOT NULL,
          type TEXT NOT NULL,
          from_state TEXT,
          to_state TEXT NOT NULL,
          reason TEXT
        );
        CREATE INDEX events_by_subject ON events (subject, seq);
        INSERT INTO meta (key, value) VALUES ('seq', 0);
      `);
      db.pragma(`application_id = ${VIGIL_APPLICATION_ID}`);
    },
  },
  {
    version: 2,
    description: 'maintenance windows added through the API; events say which window they happened in',
    up(db) {
      db.exec(`
        CREATE TABLE maintenance (id TEXT PRIMARY KEY, window TEXT NOT NULL) WITHOUT ROWID;
        ALTER TABLE events ADD COLUMN maintenance TEXT;
      `);
    },
  },
  {
    // No table changes: existing rows stay as they are and are read in either form. The version tells an older
    // vigil, which cannot read compact rows, to refuse the file instead of misreading it.
    version: 3,
    description: 'subject rows may be written in the compact form',
    up() {},
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Checks that the file is an empty database or one of ours at a version we know. Reads only: it runs before
 * anything (even the switch to WAL) writes to the file, so a foreign or corrupt file is left exactly as it was.
 */
export function checkDatabaseIdentity(db: Database.Database, path: string): number {
  // Reading the header is what makes SQLite notice a file that is not a database at all (SQLITE_NOTADB).
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const objects = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name").pluck().all() as string[];
  if (applicationId !== VIGIL_APPLICATION_ID) {
    if (applicationId === 0 && version === 0 && objects.length === 0) return 0; // a new, empty file
    const what =
      applicationId === 0 ? `tables: ${objects.slice(0, 5).join(', ') || 'none'}` : `application id 0x${(applicationId >>> 0).toString(16)}`;
    throw new StoreError(
      `${path} is a SQLite database of another program (${what}), not a vigil state database; move it away or point --state at another file`,
    );
  }
  if (version > LATEST_SCHEMA_VERSION) {
    throw new StoreError(
      `state database ${path} has schema version ${version}, newer than this vigil supports (${LATEST_SCHEMA_VERSION}); ` +
        'upgrade vigil, or restore a backup made by this version',
    );
  }
  return version;
}

/**
 * Reads every page (`PRAGMA quick_check`, some 30 ms for 25 MB) so damage is found at start, before anything is
 * written, rather than by a flush hours later. Also read-only.
 */
export function checkIntegrity(db: Database.Database, path: string): void {
  const problems = db.pragma('quick_check(5)', { simple: false }) as { quick_check: string }[];
  const findings = problems.map((row) => row.quick_check).filter((finding) => finding !== 'ok');
  if (findings.length > 0) throw corruptDatabase(path, `integrity check: ${findings.join('; ')}`);
}

/** Applies every migration above `fromVersion`, each in its own transaction with its version bump. */
export function migrate(db: Database.Database, fromVersion: number): void {
  for (const migration of MIGRATIONS) {
    if (migration.version <= fromVersion) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}
