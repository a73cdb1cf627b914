// A polling source with three replicas on one real PostgreSQL: the fake Octopus server (real wire format, see
// test/sources/octopus/fake-octopus.ts) is polled by one replica process only, every machine's result is exposed by
// the replica owning it, and when the polling replica is killed (kill -9) another takes the polling over within
// the handover bound and its reports still reach every owner.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY, startFakeOctopus, type FakeMachine, type FakeOctopus } from '../sources/octopus/fake-octopus.js';
import { REPLICA_POLL, startCluster, subjectSamples, type ClusterHarness } from './harness.js';
import type { ServeProcess } from '../helpers/serve-process.js';
import { until } from '../helpers/until.js';

const MACHINES = 60;
const HOLD_TTL_MS = 4_000;
const RENEW_MS = 1_000;
const CONFIGURED = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];

/** The process (of `pids`) owning the loopback TCP socket whose local port is `port`, from /proc (we run as root). */
function processOfClientPort(port: number, pids: number[]): number | undefined {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && Number.parseInt(fields[1]!.split(':')[1]!, 16) === port) inodes.add(fields[9]!);
    }
  }
  const quietly = <T>(read: () => T, otherwise: T): T => {
    try {
      return read();
    } catch {
      return otherwise; // a process or descriptor that went away meanwhile
    }
  };
  for (const pid of pids) {
    for (const fd of quietly(() => readdirSync(`/proc/${pid}/fd`), [])) {
      const link = quietly(() => readlinkSync(`/proc/${pid}/fd/${fd}`), '');
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode !== undefined && inodes.has(inode)) return pid;
    }
  }
  return undefined;
}

async function scrape(replica: ServeProcess): Promise<string> {
  return (await fetch(`${replica.base}/metrics`)).text();
}

/** The configured machines keep the config file's spec (kind switch, source config) wherever they are owned. */
async function assertConfigured(replicas: ServeProcess[]): Promise<void> {
  const lines = (await Promise.all(replicas.map(scrape))).join('\n').split('\n');
  for (const id of CONFIGURED) {
    const info = lines.filter((line) => line.startsWith('vigil_subject_info{') && line.includes(`subject="${id}"`));
    assert.equal(info.length, 1, `${id} exposed once`);
    assert.match(info[0]!, /source="config"/, `${id} keeps its config spec: ${info[0]}`);
    assert.match(info[0]!, /kind="switch"/);
  }
}

/** Each machine subject → [health, replica index] as exposed; fails if one is exposed twice. */
async function exposed(replicas: ServeProcess[]): Promise<Map<string, [string, number]>> {
  const seen = new Map<string, [string, number]>();
  for (const [index, replica] of replicas.entries()) {
    for (const [subject, health] of subjectSamples(await scrape(replica), 'vigil_subject_health')) {
      if (!/^m\d+$/.test(subject)) continue; // machines are named by their Name (subject_id: name)
      assert.equal(seen.get(subject), undefined, `${subject} exposed by two replicas`);
      seen.set(subject, [health, index]);
    }
  }
  return seen;
}

describe('polling sources with replicas', () => {
  let cluster: ClusterHarness;
  let octopus: FakeOctopus;
  /** Which replica process made each poll request (pid), in order. */
  const pollers: (number | undefined)[] = [];
  const machine = (i: number, HealthStatus: FakeMachine['HealthStatus']): FakeMachine => ({ Id: `Machines-${i}`, Name: `m${i}`, HealthStatus });

  before(async () => {
    octopus = await startFakeOctopus();
    // Octopus answers only once the cluster has settled: the first report is made by a poller owning a third.
    octopus.failWith = 503;
    octopus.machines = Array.from({ length: MACHINES }, (_, i) => machine(i, i % 3 === 0 ? 'Unavailable' : 'Healthy'));
    cluster = await startCluster({
      holdTtl: `${HOLD_TTL_MS}ms`,
      renewInterval: `${RENEW_MS}ms`,
      // m1…m6 are also subjects of the config file: Octopus reports on them but never takes them over, also when the
      // replica polling it does not own them and has never seen them.
      extra:
        `octopus: { url: "${octopus.url}/", api_key_file: octopus-key, interval: 1s, timeout: 5s }\n` +
        `subjects: [${CONFIGURED.map((id) => `{ id: ${id}, kind: switch }`).join(', ')}]`,
    });
    writeFileSync(join(cluster.dir, 'octopus-key'), `${API_KEY}\n`);
    for (let i = 0; i < 3; i++) await cluster.add();
    octopus.onClient = (port) =>
      pollers.push(
        processOfClientPort(
          port,
          cluster.replicas
            .filter((replica) => replica.child.exitCode === null && replica.child.signalCode === null)
            .map((replica) => replica.child.pid!),
        ),
      );
  });
  after(async () => {
    await cluster?.cleanup();
    await octopus?.close();
  });

  it('is polled by one replica only, and every machine is exposed once, by its owner, with its health', async () => {
    await cluster.settled(cluster.replicas[0]!.base, 3, 30_000);
    pollers.length = 0; // while replicas joined, the polling moved with its shard: count from the settled cluster
    delete octopus.failWith;
    // An Unavailable machine is one whose health Octopus cannot tell: unknown (docs/octopus.md).
    const expected = (i: number) => (i % 3 === 0 ? 'unknown' : 'healthy');
    const seen = await until(
      async () => {
        const current = await exposed(cluster.replicas);
        const right = octopus.machines.every((_, i) => current.get(`m${i}`)?.[0] === expected(i));
        return right ? current : undefined;
      },
      'every machine exposed with its health',
      { ...REPLICA_POLL, timeoutMs: 20_000 },
    );
    await assertConfigured(cluster.replicas);
    // Spread over the replicas (the machines' shards), not all on the poller.
    assert.ok(new Set([...seen.values()].map(([, index]) => index)).size >= 2, 'machines are exposed by several replicas');
    const polledBefore = pollers.length;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.ok(pollers.length > polledBefore, 'polling goes on');
    const pids = new Set(pollers);
    assert.equal(pids.size, 1, `polled by ${[...pids].join(', ')}`);
    assert.notEqual([...pids][0], undefined, 'the polling process was found');
    const views = await Promise.all(
      cluster.replicas.map(
        async (replica) => ((await (await fetch(`${replica.base}/api/v1/cluster`)).json()) as { polling_sources: string[] }).polling_sources,
      ),
    );
    assert.deepEqual(
      views.map((names) => names.includes('octopus')),
      cluster.replicas.map((replica) => replica.child.pid === [...pids][0]),
    );
  });

  it('moves the polling to another replica within the handover bound when the poller is killed', async (t) => {
    const pollerPid = pollers.at(-1)!;
    const victim = cluster.replicas.find((replica) => replica.child.pid === pollerPid)!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    const survivors = cluster.replicas.filter((replica) => replica !== victim);
    const from = pollers.length;
    await until(() => pollers.slice(from).some((pid) => pid !== undefined && pid !== pollerPid), 'another replica polls', {
      ...REPLICA_POLL,
      timeoutMs: 30_000,
    });
    const tookMs = Date.now() - killedAt;
    assert.ok(tookMs < 15_000, `polling moved after ${tookMs} ms`);
    t.diagnostic(`polling moved ${tookMs} ms after kill -9 (hold_ttl ${HOLD_TTL_MS} ms)`);
    // A change seen by the new poller reaches the owners, including subjects of the dead replica's shards. A machine
    // Octopus cannot contact keeps the health it had (the source re-sends its last known result, read back from
    // the owner) and turns unavailable; one that is Healthy again turns healthy and available.
    octopus.machines = octopus.machines.map((_, i) => machine(i, i % 3 === 0 ? 'Healthy' : 'Unavailable'));
    await until(
      async () => {
        const health = new Map<string, string>();
        const connectivity = new Map<string, string>();
        for (const replica of survivors) {
          const metrics = await scrape(replica);
          for (const [id, value] of subjectSamples(metrics, 'vigil_subject_health')) health.set(id, value);
          for (const [id, value] of subjectSamples(metrics, 'vigil_subject_connectivity')) connectivity.set(id, value);
        }
        return octopus.machines.every((_, i) => health.get(`m${i}`) === 'healthy' && connectivity.get(`m${i}`) === (i % 3 === 0 ? '1' : '0'));
      },
      'every machine exposed by a survivor with its new health and connectivity',
      { ...REPLICA_POLL, timeoutMs: 30_000 },
    );
    await exposed(survivors); // and still each exactly once
    await assertConfigured(survivors);
    const after = new Set(pollers.slice(from).filter((pid) => pid !== pollerPid));
    assert.equal(after.size, 1, `polled by ${[...after].join(', ')} after the takeover`);
  });
});
