// Shard holds against a real PostgreSQL: even spread as replicas come and go, takeover after a death, and a
// replica that cannot renew stops using its shards before the database lets anyone else take them.
// Rounds are driven by calling renew() (no timers); only the hold deadlines need real database time to pass.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { ShardHolder, type HolderOptions } from '../../src/cluster/holder.js';
import { SHARD_COUNT, fairShare, setShardGroups, shardOf } from '../../src/cluster/shards.js';
import { PostgresStore } from '../../src/store/postgres/store.js';
import { poolConfig } from '../../src/store/postgres/connection.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

let server: TestPostgres;
const pools: pg.Pool[] = [];
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await Promise.allSettled(pools.map((pool) => pool.end()));
  await server?.cleanup();
});

/** A migrated database (the store creates the schema) and a factory of holders on it. */
async function cluster(ttlMs: number) {
  const url = server.url(await server.createDatabase());
  await (await PostgresStore.open(url, { flushIntervalMs: 5, eventsPerSubject: 1, password: server.password })).close();
  return (id: string, extra: Partial<HolderOptions> = {}) => {
    const pool = new pg.Pool(poolConfig(url, { password: server.password }));
    pools.push(pool);
    return new ShardHolder(pool, { replicaId: id, holdTtlMs: ttlMs, renewIntervalMs: ttlMs / 5, ...extra });
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function assertPartition(holders: ShardHolder[]): number[] {
  const counts = holders.map((holder) => holder.held().size);
  const all = holders.flatMap((holder) => [...holder.held()]);
  assert.equal(new Set(all).size, all.length, 'no shard is held twice');
  assert.equal(all.length, SHARD_COUNT, `every shard is held (${counts.join('/')})`);
  return counts;
}

describe('shards', () => {
  it('hashes ids stably and spreads them evenly', () => {
    assert.equal(shardOf('host-1'), shardOf('host-1'));
    const counts = new Array<number>(SHARD_COUNT).fill(0);
    for (let i = 0; i < 64_000; i++) counts[shardOf(`host-${i}`)]! += 1;
    assert.ok(Math.min(...counts) > 800 && Math.max(...counts) < 1_200, `${Math.min(...counts)}..${Math.max(...counts)}`);
  });

  it('puts subjects linked by dependencies into one shard, so a dependant is evaluated with its dependencies', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `host-${i}`);
    try {
      setShardGroups([
        { id: 'core', dependsOn: [] },
        { id: 'sw1', dependsOn: [{ id: 'core' }] },
        ...ids.map((id, i) => ({ id, dependsOn: [{ id: i % 2 ? 'sw1' : 'sw2' }] })),
        { id: 'sw2', dependsOn: [{ id: 'core' }] },
      ]);
      assert.deepEqual(new Set([...ids, 'sw1', 'sw2'].map((id) => shardOf(id))), new Set([shardOf('core')]));
    } finally {
      setShardGroups([]);
    }
    assert.ok(new Set(ids.map((id) => shardOf(id))).size > 20, 'without the config, ids spread again');
  });

  it('gives every replica its fair share, the remainder to the first in id order', () => {
    const ids = ['c', 'a', 'b'];
    assert.deepEqual(
      ids.map((id) => fairShare(ids, id)),
      [21, 22, 21],
    );
    assert.equal(fairShare([], 'solo'), SHARD_COUNT);
  });
});

describe('ShardHolder', () => {
  it("spreads shards evenly as replicas join, and takes over a dead one's shards after the TTL", async () => {
    const ttl = 1_500;
    const make = await cluster(ttl);
    const [a, b, c] = [make('http://a:1'), make('http://b:1'), make('http://c:1')];
    await a.renew();
    assert.equal(a.held().size, SHARD_COUNT, 'a lone replica holds everything');

    await b.renew(); // b is live now, but a still holds all
    await a.renew(); // a gives back down to its share
    await b.renew(); // b claims the rest
    assert.deepEqual(assertPartition([a, b]), [32, 32]);

    await c.renew();
    await a.renew();
    await b.renew();
    await c.renew();
    assert.deepEqual(assertPartition([a, b, c]), [22, 21, 21]);
    const view = await a.view();
    assert.deepEqual(
      view.replicas.map((replica) => [replica.id, replica.shards.length, replica.live]),
      [
        ['http://a:1', 22, true],
        ['http://b:1', 21, true],
        ['http://c:1', 21, true],
      ],
    );
    assert.deepEqual(view.unheld, []);

    // c dies (kill -9: no release, no more renewals). Until its deadlines pass, its shards stay its own.
    const diedAt = Date.now();
    const cShards = new Set(c.held());
    await a.renew();
    await b.renew();
    assert.ok(
      [...a.held(), ...b.held()].every((shard) => !cShards.has(shard)),
      'nobody takes a shard before its deadline',
    );
    while (Date.now() - diedAt < ttl + 100) {
      await sleep(ttl / 5);
      await a.renew();
      await b.renew();
    }
    await a.renew();
    assert.deepEqual(assertPartition([a, b]), [32, 32]);
    assert.ok(Date.now() - diedAt < ttl + 3 * (ttl / 5) + 1_000, 'taken over within TTL plus a few renew intervals');
  });

  it('stops counting its holds before the database deadline, so it never overlaps with a successor', async () => {
    const ttl = 4_000;
    const make = await cluster(ttl);
    let clock = 0;
    const changes: number[] = [];
    const partitioned = make('http://p:1', { monotonic: () => clock, safetyMarginMs: 500, onChange: (held) => changes.push(held.size) });
    const other = make('http://o:1');
    await partitioned.renew();
    assert.equal(partitioned.held().size, SHARD_COUNT);
    assert.equal(partitioned.owns('host-1'), true);

    // The partitioned replica's clock runs to where its hold would lapse without a renewal...
    clock += ttl - 500;
    assert.equal(partitioned.held().size, 0);
    assert.equal(partitioned.owns('host-1'), false);
    assert.equal(partitioned.stats().validForMs, 0);
    // ...while in the database the deadline is still ahead: the other replica cannot take anything yet.
    await other.renew();
    assert.equal(other.held().size, 0);
    await partitioned.stop();
    await other.renew();
    assert.equal(other.held().size, SHARD_COUNT, 'a graceful stop hands everything over at once');
    assert.deepEqual(changes, [SHARD_COUNT, 0]);
  });
});

describe('shard columns at start', () => {
  it('fills rows without a shard, re-checks every row only when the dependency groups changed', async () => {
    const url = server.url(await server.createDatabase());
    // As a replica opens it: nothing is loaded at open (the rows below hold no real state).
    const openAndClose = async () =>
      (await PostgresStore.open(url, { flushIntervalMs: 5, eventsPerSubject: 1, password: server.password, replicaId: 'r' })).close();
    await openAndClose();
    const pool = new pg.Pool(poolConfig(url, { password: server.password }));
    pools.push(pool);
    const shardOfRow = async (id: string) =>
      (await pool.query<{ shard: number | null }>('SELECT shard FROM vigil.subjects WHERE id = $1', [id])).rows[0]!.shard;
    // Rows as a vigil before the shard column wrote them.
    await pool.query(`INSERT INTO vigil.subjects (id, state, shard) VALUES ('a', '{}', NULL), ('z', '{}', NULL)`);
    await openAndClose();
    assert.equal(await shardOfRow('a'), shardOf('a'));
    assert.equal(await shardOfRow('z'), shardOf('z'));
    // Same groups: a start looks only at rows without a shard (an index lookup), not at every row.
    const wrong = (shardOf('z') + 1) % SHARD_COUNT;
    await pool.query(`UPDATE vigil.subjects SET shard = $1 WHERE id = 'z'`, [wrong]);
    await openAndClose();
    assert.equal(await shardOfRow('z'), wrong, 'rows with a shard are not re-checked while the groups are unchanged');
    // Other groups (the config's depends_on changed): every row is re-checked once.
    setShardGroups([{ id: 'z', dependsOn: [{ id: 'a' }] }]);
    try {
      await openAndClose();
      assert.equal(await shardOfRow('z'), shardOf('a'), 'z joins the shard of its group (hashed from a)');
    } finally {
      setShardGroups([]);
    }
  });
});
