// practable with replicas on one real PostgreSQL: the source (its stats connections to relay and jump, and the
// experiments they describe) runs on one replica, and GET /api/v1/practable/experiments answers the same on every
// replica, because the others hand it to the one running the source. Fake relay, jump and book speak the real wire
// formats (see test/sources/practable/fakes.ts).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { until } from '../helpers/until.js';
import { FakeBook, FakeStatsPeer, SECRET, jumpHost, practableSectionYaml, relayHousekeeping, relayStream } from '../sources/practable/fakes.js';
import { MANIFEST } from '../sources/practable/harness.js';
import { REPLICA_POLL, startCluster, type ClusterHarness } from './harness.js';

interface ExperimentView {
  topic_name: string;
  available: boolean;
  healthy: boolean;
  jump_ok: boolean;
}

describe('practable with replicas', () => {
  let relay: FakeStatsPeer;
  let jump: FakeStatsPeer;
  let book: FakeBook;
  let cluster: ClusterHarness;

  before(async () => {
    relay = await FakeStatsPeer.start({ kind: 'relay' });
    jump = await FakeStatsPeer.start({ kind: 'jump' });
    book = await FakeBook.start(structuredClone(MANIFEST));
    cluster = await startCluster({
      holdTtl: '4s',
      renewInterval: '1s',
      extra: practableSectionYaml({ relay, jump, book }).join('\n'),
    });
    writeFileSync(join(cluster.dir, 'shared.secret'), `${SECRET}\n`);
    for (let i = 0; i < 2; i++) await cluster.add();
  });
  after(async () => {
    await cluster?.cleanup();
    await Promise.all([relay?.close(), jump?.close(), book?.close()]);
  });

  it('serves the experiments from the replica running the source, whichever replica is asked', async () => {
    await cluster.settled(cluster.replicas[0]!.base, 2, 30_000);
    // One replica holds the source's shard and connects; the other never does.
    await until(() => relay.open === 1 && jump.open === 1, 'one replica connected to relay and jump', { timeoutMs: 20_000 });
    relay.broadcast([...relayHousekeeping, relayStream('pend00-st-data', '5ms'), relayStream('pend00-st-video', '12ms')]);
    jump.broadcast([jumpHost('pend00')]);
    await until(() => book.puts.length > 0, 'availability PUT', { timeoutMs: 10_000 });

    const experiments = async (base: string) =>
      ((await (await fetch(`${base}/api/v1/practable/experiments`)).json()) as ExperimentView[]).map((e) => [
        e.topic_name,
        e.available,
        e.healthy,
        e.jump_ok,
      ]);
    for (const replica of cluster.replicas) {
      assert.deepEqual(
        await until(
          async () => {
            const seen = await experiments(replica.base);
            return seen.length > 0 && seen;
          },
          `experiments listed by ${replica.base}`,
          { ...REPLICA_POLL, timeoutMs: 10_000 },
        ),
        [['pend00', true, true, true]],
      );
    }
    assert.equal(relay.open, 1, 'still one replica connected');
  });
});
