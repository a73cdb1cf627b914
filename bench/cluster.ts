// bench:cluster — push throughput through 1, 2 and 3 replicas on one real PostgreSQL, and the handover time after
// kill -9 of one of three (default hold TTL 10 s, renew interval 2 s). Every replica, PostgreSQL and the load
// generator share this machine, so the figures show overhead and handover, not what more machines would add.
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { startCluster } from '../test/cluster/harness.js';

const WRITES = Number(process.env['BENCH_CLUSTER_WRITES'] ?? 3_000);
const CONCURRENCY = 32;

async function run(replicaCount: number, measureHandover: boolean): Promise<string> {
  const cluster = await startCluster({ holdTtl: '10s', renewInterval: '2s' });
  try {
    for (let i = 0; i < replicaCount; i++) await cluster.add();
    const bases = cluster.replicas.map((replica) => replica.base);
    await cluster.settled(bases[0]!, replicaCount, 60_000);
    let next = 0;
    let failed = 0;
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < WRITES) {
          const i = next++;
          const sent = performance.now();
          const status = await cluster.push(bases[i % bases.length]!, `host-${i}`, `push ${i}`);
          latencies.push(performance.now() - sent);
          if (status !== 200) failed += 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(0);
    let handover = '';
    if (measureHandover) {
      const killedAt = performance.now();
      cluster.replicas[replicaCount - 1]!.child.kill('SIGKILL');
      await cluster.settled(bases[0]!, replicaCount - 1, 60_000);
      handover = `${((performance.now() - killedAt) / 1000).toFixed(1)} s`;
    }
    return `| ${replicaCount} | ${WRITES} | ${(WRITES / seconds).toFixed(0)} | ${p(0.5)} / ${p(0.99)} | ${failed} | ${handover || '—'} |`;
  } finally {
    await cluster.cleanup();
  }
}

const rows: string[] = [];
for (const count of [1, 2, 3]) rows.push(await run(count, count === 3));
console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log('| replicas | writes | acknowledged writes/s | latency p50 / p99 ms | failed | handover after kill -9 of one |');
console.log('|---:|---:|---:|---|---:|---|');
for (const row of rows) console.log(row);
