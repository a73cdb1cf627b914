// GET /api/v1/events for the whole cluster, read from the database, where every replica commits its events.
//
// Each replica numbers its events in its own block of sequence numbers (block × SEQ_BLOCK + n), so ordering by seq
// puts a long-running replica's new events below those of a replica started later: a plain `after=SEQ` would skip
// them. The answer therefore carries a `cursor` besides `last_seq`: the highest seq read in seq order plus, for each
// live replica's lower block, how far it was read. `after=<cursor>` resumes with no gap and no duplicate; a plain
// number keeps the single-node meaning (everything above it) and starts the lower live blocks from now on.
// Within one block a replica commits its events in seq order (one flush at a time), so each block reads as a prefix.
import { Router } from 'express';
import type pg from 'pg';
import type { EngineEvent } from '../engine/types.js';
import { idSchema } from '../exporter/api/bodies.js';
import { MAX_LIMIT, limitParam, waitParam } from '../exporter/api/events.js';
import { parseParam } from '../exporter/api/parse.js';
import { eventView } from '../exporter/api/views.js';
import { HttpProblem } from '../exporter/problem.js';
import { SCHEMA } from '../store/postgres/migrations.js';
import { SEQ_BLOCK } from '../store/postgres/tables.js';
import { toEvent, type EventRow } from '../store/rows.js';

const WAIT_POLL_MS = 500;
/** Cluster long-polls waiting at once on this replica; each re-reads the database every WAIT_POLL_MS. */
const MAX_WAITING = 64;

export interface Cursor {
  /** Everything up to this seq, in seq order, has been read. */
  seq: number;
  /** Blocks below seq's block that may still grow (a live replica's), and how far each was read. */
  blocks: Map<number, number>;
}

const blockOf = (seq: number) => Math.floor(seq / SEQ_BLOCK);

export function formatCursor(cursor: Cursor): string {
  return ['c', cursor.seq, ...[...cursor.blocks].sort(([a], [b]) => a - b).map(([block, seq]) => `${block}-${seq}`)].join('.');
}

export function parseCursor(text: string): Cursor | undefined {
  if (/^\d+$/.test(text)) return undefined; // a plain seq: see eventsAfter
  const parts = /^c\.(\d+)((?:\.\d+-\d+){0,64})$/.exec(text);
  if (!parts) throw new HttpProblem(400, 'Bad Request', `invalid after "${text.slice(0, 80)}": a seq or a cursor from an earlier answer`);
  const blocks = new Map<number, number>();
  for (const pair of parts[2]!.split('.').slice(1)) {
    const [block, seq] = pair.split('-').map(Number) as [number, number];
    blocks.set(block, seq);
  }
  return { seq: Number(parts[1]), blocks };
}

export interface ClusterEventsOptions {
  pool: pg.Pool;
  /** Blocks of the live replicas (this one included). */
  liveBlocks(): Promise<number[]>;
}

/** The block this replica numbers its events in, for the others' cursors (kept in vigil.meta). */
export async function announceBlock(pool: pg.Pool, replicaId: string, block: number): Promise<void> {
  await pool.query(`INSERT INTO ${SCHEMA}.meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [
    `block:${replicaId}`,
    block,
  ]);
}

export async function blocksOf(pool: pg.Pool, replicaIds: readonly string[]): Promise<number[]> {
  const rows = await pool.query<{ value: string }>(`SELECT value::text AS value FROM ${SCHEMA}.meta WHERE key = ANY($1::text[])`, [
    replicaIds.map((id) => `block:${id}`),
  ]);
  return rows.rows.map((row) => Number(row.value));
}

/** One page of the cluster's events after `after` (a seq or a cursor), and the cursor to resume from. */
export async function eventsAfter(
  options: ClusterEventsOptions,
  after: string,
  limit: number,
  subject?: string,
): Promise<{ events: EngineEvent[]; cursor: Cursor }> {
  const parsed = parseCursor(after);
  const cursor: Cursor = parsed ?? { seq: Number(after), blocks: new Map() };
  const live = new Set(await options.liveBlocks());
  const query = async (from: number, below: number | undefined) => {
    const clauses = [
      'seq > $1',
      ...(below === undefined ? [] : ['seq < $3']),
      ...(subject === undefined ? [] : [`subject = $${below === undefined ? 3 : 4}`]),
    ];
    const values = [from, limit, ...(below === undefined ? [] : [below]), ...(subject === undefined ? [] : [subject])];
    return (
      await options.pool.query<EventRow>(`SELECT * FROM ${SCHEMA}.events WHERE ${clauses.join(' AND ')} ORDER BY seq LIMIT $2`, values)
    ).rows.map(toEvent);
  };
  if (!parsed) {
    // A plain seq: lower live blocks are read from what they hold now on (their earlier events sort below `after`).
    for (const block of live) {
      if (block >= blockOf(cursor.seq)) continue;
      const top = await options.pool.query<{ top: string | null }>(
        `SELECT max(seq)::text AS top FROM ${SCHEMA}.events WHERE seq >= $1 AND seq < $2`,
        [block * SEQ_BLOCK, (block + 1) * SEQ_BLOCK],
      );
      cursor.blocks.set(block, Number(top.rows[0]?.top ?? block * SEQ_BLOCK));
    }
  }
  const above = await query(cursor.seq, undefined);
  const lower = await Promise.all([...cursor.blocks].map(async ([block, seq]) => [block, await query(seq, (block + 1) * SEQ_BLOCK)] as const));
  const page = [...above, ...lower.flatMap(([, events]) => events)].sort((a, b) => a.seq - b.seq).slice(0, limit);
  const taken = new Set(page.map((event) => event.seq));
  const next: Cursor = { seq: cursor.seq, blocks: new Map() };
  for (const event of above) if (taken.has(event.seq)) next.seq = event.seq;
  // Lower blocks keep their place; a block left behind by the seq order joins while its replica lives.
  for (const [block, events] of lower) {
    const read = events.filter((event) => taken.has(event.seq)).at(-1)?.seq ?? cursor.blocks.get(block)!;
    const more = events.some((event) => !taken.has(event.seq));
    if (live.has(block) || more) next.blocks.set(block, read);
  }
  for (const block of live) {
    if (block >= blockOf(next.seq) || next.blocks.has(block)) continue;
    const read = page.filter((event) => blockOf(event.seq) === block).at(-1)?.seq;
    next.blocks.set(block, read ?? (block === blockOf(cursor.seq) ? cursor.seq : block * SEQ_BLOCK));
  }
  return { events: page, cursor: next };
}

/** GET /events with the cluster cursor; `wait` (as for one node, at most 60 s) re-reads every half second until events come. */
export function clusterEventRoutes(options: ClusterEventsOptions): Router {
  const router = Router();
  let waiting = 0;
  router.get('/events', async (req, res) => {
    const after = typeof req.query['after'] === 'string' ? req.query['after'] : '0';
    const limit = req.query['limit'] === undefined ? MAX_LIMIT : parseParam(limitParam, req.query['limit'], 'limit');
    const wait = req.query['wait'] === undefined ? 0 : parseParam(waitParam, req.query['wait'], 'wait');
    const subject = req.query['subject'] === undefined ? undefined : parseParam(idSchema, req.query['subject'], 'subject');
    let page = await eventsAfter(options, after, limit, subject);
    if (page.events.length === 0 && wait > 0) {
      if (waiting >= MAX_WAITING)
        throw new HttpProblem(503, 'Service Unavailable', `${MAX_WAITING} cluster-wide long-polls are waiting on this replica; retry later`);
      waiting += 1;
      let gone = false;
      res.on('close', () => (gone = true));
      try {
        for (const until = Date.now() + wait; page.events.length === 0 && !gone && Date.now() < until; ) {
          await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
          page = await eventsAfter(options, after, limit, subject);
        }
      } finally {
        waiting -= 1;
      }
      if (gone) return;
    }
    const last = page.events.at(-1)?.seq;
    res.json({ events: page.events.map(eventView), last_seq: last ?? parseCursor(after)?.seq ?? Number(after), cursor: formatCursor(page.cursor) });
  });
  return router;
}
