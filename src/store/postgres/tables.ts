// The SQL side of the PostgreSQL store: the one-transaction flush and the loads.
// Rows are written in bulk (one statement per table through unnest of arrays), so a flush of 10,000 subjects costs a
// handful of round trips rather than 10,000.
import type pg from 'pg';
import type { EngineEvent, SourceState, SubjectState } from '../../engine/types.js';
import { corruptDatabase } from '../errors.js';
import { parseState, parseSubject, toEvent, type EventRow, type StateRow } from '../rows.js';
import { shardOf } from '../../cluster/shards.js';
import type { MaintenanceWindow } from '../../maintenance/windows.js';
import { SCHEMA } from './migrations.js';

/** One flush, already serialised: rows to upsert or delete, events to append. */
export interface SerializedBatch {
  subjects: { id: string; json: string | undefined }[];
  sources: { name: string; json: string | undefined }[];
  events: EngineEvent[];
  /** Subject renames, in order: events up to `seq` move from the old id to the new one. */
  renames: { from: string; to: string; seq: number }[];
  seq: number;
  eventsPerSubject: number;
  /** Replica id in a cluster: only subjects of shards it holds are written (see lockHeldShards). */
  fence?: string;
}

const T = {
  meta: `${SCHEMA}.meta`,
  subjects: `${SCHEMA}.subjects`,
  sources: `${SCHEMA}.sources`,
  events: `${SCHEMA}.events`,
};

/**
 * Writes the batch in one transaction on `client`; returns the rows written or deleted, and the subjects left out
 * because the replica no longer holds their shard.
 */
export async function writeBatch(client: pg.ClientBase, fullBatch: SerializedBatch): Promise<{ rows: number; fencedOut: string[] }> {
  let rows = 0;
  const run = async (sql: string, params: unknown[]) => {
    rows += (await client.query(sql, params)).rowCount ?? 0;
  };
  await client.query('BEGIN');
  let batch = fullBatch;
  const fencedOut = new Set<string>();
  try {
    if (fullBatch.fence !== undefined) {
      const held = await lockHeldShards(client, fullBatch.fence);
      const mine = (id: string) => {
        if (held.has(shardOf(id))) return true;
        fencedOut.add(id);
        return false;
      };
      batch = {
        ...fullBatch,
        subjects: fullBatch.subjects.filter((row) => mine(row.id)),
        events: fullBatch.events.filter((event) => mine(event.subject)),
      };
    }
    const keptSources = batch.sources.filter((row) => row.json !== undefined);
    const goneSources = batch.sources.filter((row) => row.json === undefined).map((row) => row.name);
    if (keptSources.length > 0) {
      await run(
        `INSERT INTO ${T.sources} (name, state) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (name) DO UPDATE SET state = excluded.state`,
        [keptSources.map((row) => row.name), keptSources.map((row) => row.json)],
      );
    }
    if (goneSources.length > 0) await run(`DELETE FROM ${T.sources} WHERE name = ANY($1::text[])`, [goneSources]);

    // An event seq seen twice must not wedge every later flush; the newer copy wins (also within one batch).
    const events = [...new Map(batch.events.map((event) => [event.seq, event])).values()];
    if (events.length > 0) {
      await run(
        `INSERT INTO ${T.events} (seq, at, subject, type, from_state, to_state, reason, shard, maintenance)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[])
         ON CONFLICT (seq) DO UPDATE SET at = excluded.at, subject = excluded.subject, type = excluded.type,
           from_state = excluded.from_state, to_state = excluded.to_state, reason = excluded.reason, shard = excluded.shard,
           maintenance = excluded.maintenance`,
        [
          events.map((e) => e.seq),
          events.map((e) => e.at),
          events.map((e) => e.subject),
          events.map((e) => e.type),
          events.map((e) => e.from),
          events.map((e) => e.to),
          events.map((e) => e.reason ?? null),
          events.map((e) => shardOf(e.subject)),
          events.map((e) => e.maintenance ?? null),
        ],
      );
    }
    // History follows a renamed subject; after the events above, before the old id's row (and events) are deleted.
    for (const rename of batch.renames) {
      await run(`UPDATE ${T.events} SET subject = $2, shard = $4 WHERE subject = $1 AND seq <= $3`, [
        rename.from,
        rename.to,
        rename.seq,
        shardOf(rename.to),
      ]);
    }

    const keptSubjects = batch.subjects.filter((row) => row.json !== undefined);
    const goneSubjects = batch.subjects.filter((row) => row.json === undefined).map((row) => row.id);
    if (keptSubjects.length > 0) {
      await run(
        `INSERT INTO ${T.subjects} (id, state, shard) SELECT * FROM unnest($1::text[], $2::text[], $3::int[])
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, shard = excluded.shard`,
        [keptSubjects.map((row) => row.id), keptSubjects.map((row) => row.json), keptSubjects.map((row) => shardOf(row.id))],
      );
    }
    if (goneSubjects.length > 0) {
      // A removed subject takes its history with it, so churning ids cannot grow the events table without bound.
      await run(`DELETE FROM ${T.subjects} WHERE id = ANY($1::text[])`, [goneSubjects]);
      await run(`DELETE FROM ${T.events} WHERE subject = ANY($1::text[])`, [goneSubjects]);
    }

    const gone = new Set(goneSubjects);
    const withNewEvents = [...new Set([...events.map((event) => event.subject), ...batch.renames.map((rename) => rename.to)])].filter(
      (subject) => !gone.has(subject),
    );
    if (withNewEvents.length > 0) {
      // Keeps the newest `eventsPerSubject` events of each subject that got new ones.
      await run(
        `DELETE FROM ${T.events} e USING (
           SELECT seq FROM (
             SELECT seq, row_number() OVER (PARTITION BY subject ORDER BY seq DESC) AS rank
             FROM ${T.events} WHERE subject = ANY($1::text[])
           ) ranked WHERE rank > $2
         ) old WHERE e.seq = old.seq`,
        [withNewEvents, Math.max(1, batch.eventsPerSubject)],
      );
    }
    // GREATEST: the global sequence never goes backwards, whatever a caller hands in.
    await run(`UPDATE ${T.meta} SET value = GREATEST(value, $1) WHERE key = 'seq'`, [batch.seq]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return { rows, fencedOut: [...fencedOut] };
}

export async function loadAll(
  client: pg.ClientBase,
  location: string,
): Promise<{ subjects: SubjectState[]; sources: SourceState[]; seq: number; history: EngineEvent[] }> {
  // One snapshot: a replica flushing meanwhile cannot make subjects and events disagree.
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const subjects = (await client.query<StateRow>(`SELECT id AS key, state FROM ${T.subjects} ORDER BY id`)).rows.map((row) =>
      parseSubject(row, location),
    );
    const sources = (await client.query<StateRow>(`SELECT name AS key, state FROM ${T.sources} ORDER BY name`)).rows.map((row) =>
      parseState<SourceState>(row, 'source', location),
    );
    const seq = (await client.query<{ value: number }>(`SELECT value FROM ${T.meta} WHERE key = 'seq'`)).rows[0]?.value;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) throw corruptDatabase(location, `meta.seq is ${String(seq)}`);
    const history = (await client.query<EventRow>(`SELECT * FROM ${T.events} ORDER BY seq`)).rows.map(toEvent);
    await client.query('COMMIT');
    return { subjects, sources, seq, history };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export async function selectEventsAfter(pool: pg.Pool, seq: number, limit: number, subject?: string): Promise<EngineEvent[]> {
  const result =
    subject === undefined
      ? await pool.query<EventRow>(`SELECT * FROM ${T.events} WHERE seq > $1 ORDER BY seq LIMIT $2`, [seq, limit])
      : await pool.query<EventRow>(`SELECT * FROM ${T.events} WHERE subject = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [subject, seq, limit]);
  return result.rows.map(toEvent);
}

/** Bytes the vigil tables take, indexes and TOAST included. */
export async function selectSizeBytes(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ bytes: string | null }>(
    `SELECT sum(pg_total_relation_size(c.oid))::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind = 'r'`,
    [SCHEMA],
  );
  return Number(result.rows[0]?.bytes ?? 0);
}

/** Subjects of `shards` and their retained events: what a replica loads when it takes those shards. */
export async function loadShards(
  pool: pg.Pool,
  location: string,
  shards: readonly number[],
): Promise<{ subjects: SubjectState[]; history: EngineEvent[] }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const subjects = (
      await client.query<StateRow>(`SELECT id AS key, state FROM ${T.subjects} WHERE shard = ANY($1::int[]) ORDER BY id`, [shards])
    ).rows.map((row) => parseSubject(row, location));
    const history = (await client.query<EventRow>(`SELECT * FROM ${T.events} WHERE shard = ANY($1::int[]) ORDER BY seq`, [shards])).rows.map(toEvent);
    await client.query('COMMIT');
    return { subjects, history };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Shards `replica` holds right now, share-locked until the end of the transaction: a replica taking one over
 * waits for this flush to commit, so a flush never writes a shard that someone else already holds (fencing).
 */
export async function lockHeldShards(client: pg.ClientBase, replica: string): Promise<Set<number>> {
  const rows = await client.query<{ shard: number }>(`SELECT shard FROM ${SCHEMA}.shard_holds WHERE replica = $1 AND deadline > now() FOR SHARE`, [
    replica,
  ]);
  return new Set(rows.rows.map((row) => row.shard));
}

/** Width of a replica's block of event sequence numbers: far more events than a replica makes between restarts. */
export const SEQ_BLOCK = 1_000_000_000;

/** A fresh block of event sequence numbers, disjoint from every other replica's; returns its first number minus one. */
export async function reserveSeqBlock(pool: pg.Pool): Promise<number> {
  const block = (await pool.query<{ block: number }>(`SELECT nextval('${SCHEMA}.seq_blocks') AS block`)).rows[0]!.block;
  return block * SEQ_BLOCK;
}

/** API-added maintenance windows (one JSON row each), read at open. */
export async function loadMaintenance(client: pg.ClientBase, location: string): Promise<MaintenanceWindow[]> {
  const rows = (await client.query<StateRow>(`SELECT id AS key, "window" AS state FROM ${SCHEMA}.maintenance ORDER BY id`)).rows;
  return rows.map((row) => ({ ...parseState<MaintenanceWindow>(row, 'maintenance window', location), id: row.key }));
}

export async function saveMaintenance(pool: pg.Pool, window: MaintenanceWindow): Promise<void> {
  await pool.query(`INSERT INTO ${SCHEMA}.maintenance (id, "window") VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET "window" = excluded."window"`, [
    window.id,
    JSON.stringify(window),
  ]);
}

export async function deleteMaintenance(pool: pg.Pool, id: string): Promise<void> {
  await pool.query(`DELETE FROM ${SCHEMA}.maintenance WHERE id = $1`, [id]);
}
