// Schema of the PostgreSQL state database, how an existing one is recognised, and how it is brought up to date.
//
// Everything lives in the schema `vigil`. Its `schema_info` row names the owner ('vigil') and the schema version,
// so tables of another program there are refused rather than "migrated", and a newer schema is refused too.
// Replicas starting together serialise on an advisory lock, so exactly one of them migrates.
import type pg from 'pg';
import { SHARD_COUNT, shardGroupsDigest, shardOf } from '../../cluster/shards.js';
import { StoreError } from '../errors.js';

export const SCHEMA = 'vigil';
const APPLICATION = 'vigil';
/** Key of the advisory lock held while the schema is checked and migrated ("VGIL" in ASCII). */
const MIGRATION_LOCK = 0x5647494c;

export interface PostgresMigration {
  version: number;
  description: string;
  sql: string;
}

/** Append only: a released migration is never edited, a change is a new entry. Versions are 1, 2, 3, ... */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'schema_info, meta, subjects, sources and events tables',
    sql: `
      CREATE TABLE ${SCHEMA}.schema_info (application TEXT NOT NULL, version INTEGER NOT NULL);
      INSERT INTO ${SCHEMA}.schema_info (application, version) VALUES ('${APPLICATION}', 0);
      CREATE TABLE ${SCHEMA}.meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
      INSERT INTO ${SCHEMA}.meta (key, value) VALUES ('seq', 0);
      CREATE TABLE ${SCHEMA}.subjects (id TEXT PRIMARY KEY, state TEXT NOT NULL);
      CREATE TABLE ${SCHEMA}.sources (name TEXT PRIMARY KEY, state TEXT NOT NULL);
      CREATE TABLE ${SCHEMA}.events (
        seq BIGINT PRIMARY KEY,
        at BIGINT NOT NULL,
        subject TEXT NOT NULL,
        type TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT NOT NULL,
        reason TEXT
      );
      CREATE INDEX events_by_subject ON ${SCHEMA}.events (subject, seq);
    `,
  },
  {
    version: 2,
    description: 'replicas and shard holds (leases with a deadline in database time)',
    sql: `
      CREATE TABLE ${SCHEMA}.replicas (
        id TEXT PRIMARY KEY,
        address TEXT NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        heartbeat_at TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE ${SCHEMA}.shard_holds (
        shard INTEGER PRIMARY KEY,
        replica TEXT,
        deadline TIMESTAMPTZ,
        epoch BIGINT NOT NULL DEFAULT 0
      );
      INSERT INTO ${SCHEMA}.shard_holds (shard) SELECT generate_series(0, ${SHARD_COUNT - 1});
    `,
  },
  {
    version: 3,
    description: 'shard column on subjects and events (filled by vigil, which owns the hash), event seq blocks per replica',
    sql: `
      ALTER TABLE ${SCHEMA}.subjects ADD COLUMN shard INTEGER;
      ALTER TABLE ${SCHEMA}.events ADD COLUMN shard INTEGER;
      CREATE INDEX subjects_by_shard ON ${SCHEMA}.subjects (shard);
      CREATE INDEX events_by_shard ON ${SCHEMA}.events (shard);
      CREATE SEQUENCE ${SCHEMA}.seq_blocks START 1;
    `,
  },
  {
    version: 4,
    description: 'maintenance windows added through the API; events say which window they happened in',
    sql: `
      CREATE TABLE ${SCHEMA}.maintenance (id TEXT PRIMARY KEY, "window" TEXT NOT NULL);
      ALTER TABLE ${SCHEMA}.events ADD COLUMN maintenance TEXT;
    `,
  },
  {
    // No table changes (see the SQLite migration 3): an older vigil, which cannot read compact rows, refuses the schema.
    version: 5,
    description: 'subject rows may be written in the compact form',
    sql: 'SELECT 1',
  },
];

export const LATEST_POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version;

/** Version of the vigil schema in this database: 0 when absent; throws on a foreign or newer one. Reads only. */
export async function checkSchemaIdentity(client: pg.ClientBase, location: string): Promise<number> {
  const tables = await client.query<{ name: string }>(
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [SCHEMA],
  );
  if (tables.rows.length === 0) return 0;
  const names = tables.rows.map((row) => row.name);
  const foreign = (what: string) =>
    new StoreError(
      `schema "${SCHEMA}" of ${location} belongs to another program (${what}), not to vigil; drop or rename it, or point state at another database`,
    );
  if (!names.includes('schema_info')) throw foreign(`tables: ${names.slice(0, 5).join(', ')}`);
  let info: { application: string; version: number } | undefined;
  try {
    info = (await client.query<{ application: string; version: number }>(`SELECT application, version FROM ${SCHEMA}.schema_info`)).rows[0];
  } catch {
    throw foreign("its schema_info table is not vigil's");
  }
  if (info?.application !== APPLICATION) throw foreign(`schema_info names ${JSON.stringify(info?.application ?? 'nobody')}`);
  if (info.version > LATEST_POSTGRES_SCHEMA_VERSION) {
    throw new StoreError(
      `state database ${location} has schema version ${info.version}, newer than this vigil supports (${LATEST_POSTGRES_SCHEMA_VERSION}); ` +
        'upgrade vigil, or restore a backup made by this version',
    );
  }
  return info.version;
}

/**
 * Checks identity and applies every missing migration, each in its own transaction with its version bump, under a
 * session advisory lock so that concurrent replicas neither race nor see a half-migrated schema.
 */
export async function migratePostgres(client: pg.ClientBase, location: string): Promise<number> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    const version = await checkSchemaIdentity(client, location);
    for (const migration of POSTGRES_MIGRATIONS) {
      if (migration.version <= version) continue;
      await client.query('BEGIN');
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
        await client.query(migration.sql);
        await client.query(`UPDATE ${SCHEMA}.schema_info SET version = $1`, [migration.version]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
    await fillShardColumns(client);
    return Math.max(version, LATEST_POSTGRES_SCHEMA_VERSION);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}

/**
 * Rows written before the shard column existed, or under other dependency groups (the config changed), get the
 * shard this vigil computes: the hash lives in vigil, not in SQL. The groups' digest is kept in meta: while it is
 * unchanged only rows without a shard are looked at (an index lookup), so a start does not scan the tables.
 */
async function fillShardColumns(client: pg.ClientBase): Promise<void> {
  const digest = shardGroupsDigest();
  const stored = (await client.query<{ value: string }>(`SELECT value::text AS value FROM ${SCHEMA}.meta WHERE key = 'shard_groups'`)).rows[0]?.value;
  const onlyMissing = stored === digest;
  for (const [table, key] of [
    ['subjects', 'id'],
    ['events', 'subject'],
  ] as const) {
    const rows = (
      await client.query<{ id: string; shard: number | null }>(
        `SELECT DISTINCT ${key} AS id, shard FROM ${SCHEMA}.${table}${onlyMissing ? ' WHERE shard IS NULL' : ''}`,
      )
    ).rows;
    const stale = rows.filter((row) => row.shard !== shardOf(row.id)).map((row) => row.id);
    if (stale.length === 0) continue;
    await client.query(`UPDATE ${SCHEMA}.${table} t SET shard = v.shard FROM unnest($1::text[], $2::int[]) AS v(id, shard) WHERE t.${key} = v.id`, [
      stale,
      stale.map((id) => shardOf(id)),
    ]);
  }
  if (!onlyMissing) {
    await client.query(`INSERT INTO ${SCHEMA}.meta (key, value) VALUES ('shard_groups', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [
      digest,
    ]);
  }
}
