// Replicas as real `vigil serve` processes on one real PostgreSQL, for the cluster tests and bench:cluster.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { spawnServe, type ServeProcess } from '../helpers/serve-process.js';
import { until, type UntilOptions } from '../helpers/until.js';

export const TOKEN = 'cluster-test-token-0123456789';

export interface ClusterView {
  replicas: { id: string; live: boolean; shards: number[] }[];
  unheld_shards: number[];
}

/** `family{...subject="id"...,state="s"} 1` lines: subject → its state (StateSet) or value (plain gauge). */
export function subjectSamples(metrics: string, family: string): Map<string, string> {
  const samples = new Map<string, string>();
  for (const match of metrics.matchAll(new RegExp(`^${family}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    const labels = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1]!, label[2]!]));
    if (labels['subject'] === undefined) continue;
    if (labels['state'] === undefined) samples.set(labels['subject'], match[2]!);
    else if (match[2] === '1') samples.set(labels['subject'], labels['state']);
  }
  return samples;
}

/** How the cluster tests poll replicas: every 100 ms, a refused or failed request counting as "not yet". */
export const REPLICA_POLL = { intervalMs: 100, retryErrors: true } satisfies UntilOptions;

export interface ClusterHarness {
  /** Directory of the config file (files it names go here). */
  dir: string;
  server: TestPostgres;
  config: string;
  replicas: ServeProcess[];
  /** Starts one more replica. */
  add(): Promise<ServeProcess>;
  view(base: string): Promise<ClusterView>;
  /** Polls until every shard is held by exactly the live replicas given, evenly; returns when that was first seen. */
  settled(base: string, live: number, timeoutMs: number): Promise<ClusterView>;
  push(base: string, subject: string, message: string): Promise<number>;
  cleanup(): Promise<void>;
}

export async function startCluster(options: {
  holdTtl: string;
  renewInterval: string;
  flushInterval?: string;
  extra?: string;
}): Promise<ClusterHarness> {
  const server = await startPostgres();
  const database = await server.createDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cluster-'));
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
  writeFileSync(join(dir, 'pg-password'), `${server.password}\n`);
  const config = join(dir, 'vigil.yml');
  writeFileSync(
    config,
    [
      'listen: 127.0.0.1:0',
      `state: ${server.url(database)}`,
      `store: { flush_interval: ${options.flushInterval ?? '50ms'}, password_file: pg-password }`,
      `cluster: { hold_ttl: ${options.holdTtl}, renew_interval: ${options.renewInterval} }`,
      'api:',
      '  tokens:',
      '    - { name: tester, token_file: token, scopes: [observe, admin, agent] }',
      'defaults: { startup_grace: 0s }',
      options.extra ?? '',
      '',
    ].join('\n'),
  );
  const replicas: ServeProcess[] = [];
  const view = async (base: string) => (await (await fetch(`${base}/api/v1/cluster`)).json()) as ClusterView;
  return {
    dir,
    server,
    config,
    replicas,
    async add() {
      const replica = await spawnServe(['--config', config], { timeoutMs: 60_000 });
      replicas.push(replica);
      return replica;
    },
    view,
    async settled(base, live, timeoutMs) {
      let current: ClusterView | undefined;
      return until(
        async () => {
          current = await view(base).catch(() => undefined);
          const holders = current?.replicas.filter((replica) => replica.shards.length > 0) ?? [];
          const even = holders.length === live && holders.every((replica) => replica.live && replica.shards.length >= Math.floor(64 / live));
          return current && current.unheld_shards.length === 0 && even ? current : undefined;
        },
        () => `the cluster to settle on ${live} replicas: ${JSON.stringify(current)}`,
        { timeoutMs, intervalMs: 200 },
      );
    },
    async push(base, subject, message) {
      const res = await fetch(`${base}/api/v1/subjects/${subject}/checks/probe`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'ok', message }),
      });
      await res.arrayBuffer();
      return res.status;
    },
    async cleanup() {
      for (const replica of replicas) replica.child.kill('SIGKILL');
      await Promise.all(replicas.map((replica) => replica.exited));
      await server.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
