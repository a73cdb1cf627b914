// Three replicas on one real PostgreSQL, as separate `vigil serve` processes: every subject is exposed by exactly
// one of them, the shares are even, writes work through any replica, and kill -9 of one during a push storm loses
// no acknowledged write while its shards move within the bound.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startCluster, type ClusterHarness } from './harness.js';

const SUBJECTS = 3_000;
const CONCURRENCY = 24;

/** Runs `work` for 0..count-1 with at most CONCURRENCY in flight. */
async function pool(count: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

function subjectsIn(metrics: string): string[] {
  return [...metrics.matchAll(/^vigil_subject_info\{subject="([^"]+)"/gm)].map((match) => match[1]!);
}

describe('replicas', () => {
  let cluster: ClusterHarness;
  before(async () => {
    // The default hold TTL (10 s) and renew interval (2 s): the handover bound below is the one users get.
    cluster = await startCluster({ holdTtl: '10s', renewInterval: '2s' });
    for (let i = 0; i < 3; i++) await cluster.add();
  });
  after(async () => cluster?.cleanup());

  it('exposes each of 3,000 subjects pushed through random replicas on exactly one replica, shares within 2x of even', async () => {
    const bases = cluster.replicas.map((replica) => replica.base);
    await cluster.settled(bases[0]!, 3, 30_000);
    await pool(SUBJECTS, async (i) => {
      const status = await cluster.push(bases[Math.floor(Math.random() * bases.length)]!, `host-${i}`, `push ${i}`);
      assert.equal(status, 200, `push of host-${i}`);
    });
    const exposed = await Promise.all(
      bases.map(async (base) => subjectsIn(await (await fetch(`${base}/metrics`)).text()).filter((id) => id.startsWith('host-'))),
    );
    const seen = new Map<string, number>();
    for (const ids of exposed) for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
    assert.equal(seen.size, SUBJECTS, 'every subject is exposed somewhere');
    assert.deepEqual(
      [...seen.values()].filter((count) => count !== 1),
      [],
      'no subject is exposed twice',
    );
    for (const ids of exposed) {
      assert.ok(ids.length >= SUBJECTS / 3 / 2 && ids.length <= (SUBJECTS / 3) * 2, `share ${ids.length} of ${SUBJECTS} is within 2x of even`);
    }
    const view = await cluster.view(bases[1]!);
    assert.equal(view.replicas.filter((replica) => replica.live).length, 3);
    const metrics = await (await fetch(`${bases[2]}/metrics`)).text();
    assert.match(metrics, /^vigil_cluster_shards_held (2[12])$/m);
    assert.match(metrics, /^vigil_cluster_replicas 3$/m);
    assert.ok(existsSync('/usr/bin/promtool'), "promtool not found: install Debian's prometheus package: apt-get install prometheus");
    const lint = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8', timeout: 30_000 });
    assert.equal(`${lint.stdout}${lint.stderr}`.trim(), '', 'promtool findings');
  });

  it('keeps every acknowledged write when a replica is killed during a push storm, and hands over within 15 s', async (t) => {
    const bases = cluster.replicas.map((replica) => replica.base);
    const victim = cluster.replicas[2]!;
    const survivors = bases.slice(0, 2);
    const acked: number[] = [];
    let killedAt = 0;
    let handover: Promise<number> | undefined;
    await pool(2_000, async (i) => {
      const base = bases[Math.floor(Math.random() * bases.length)]!;
      const status = await cluster.push(base, `storm-${i}`, `storm ${i}`).catch(() => 0);
      if (status === 200) acked.push(i);
      if (i === 300) {
        killedAt = Date.now();
        victim.child.kill('SIGKILL');
        // Watched while the storm goes on: the moment every shard is held again by the two survivors.
        handover = cluster.settled(survivors[0]!, 2, 30_000).then(() => Date.now() - killedAt);
      }
    });
    assert.ok(handover);
    const handoverMs = await handover;
    t.diagnostic(`handover after kill -9: ${handoverMs} ms; ${acked.length} of 2000 storm writes acknowledged`);
    const settled = await cluster.view(survivors[0]!);
    assert.ok(handoverMs <= 15_000, `shards moved in ${handoverMs} ms`);
    assert.ok(settled.replicas.every((replica) => replica.shards.length === 0 || replica.id !== victim.base));

    assert.ok(acked.length > 300, `${acked.length} writes acknowledged`);
    const missing: number[] = [];
    await pool(acked.length, async (k) => {
      const i = acked[k]!;
      const res = await fetch(`${survivors[k % 2]}/api/v1/subjects/storm-${i}/health`);
      const view = res.status === 200 ? ((await res.json()) as { checks: Record<string, { message: string }> }) : undefined;
      if (view?.checks['probe']?.message !== `storm ${i}`) missing.push(i);
    });
    assert.deepEqual(missing, [], 'every acknowledged write survived the kill');
    const exposed = await Promise.all(survivors.map(async (base) => subjectsIn(await (await fetch(`${base}/metrics`)).text())));
    const all = exposed.flat().filter((id) => id.startsWith('host-'));
    assert.equal(new Set(all).size, SUBJECTS, "the killed replica's subjects are exposed by the survivors");
    assert.equal(all.length, SUBJECTS, 'and by one of them only');
  });
});
