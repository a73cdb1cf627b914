// Connection-storm benchmark: a separate client process opens N agent websockets on loopback (default
// 10,000) as fast as it can, using the reference agent's connection class; vigil runs in this process.
// Measures connections per second, how long until every connection shows in vigil_subject_connectivity,
// store transactions used (Store.stats()), and memory per connection on both sides.
// Run: npm run build && node --expose-gc dist/bench/storm.js [--agents 10000] [--concurrency 1000] [--record]
// Needs a file-descriptor limit above N in each process (`ulimit -n 20000` in the shell that starts it).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AgentConnection } from '../src/agent/client.js';
import { startVigil } from '../src/serve.js';

const TOKEN = 'storm-bench-token';
/** The whole run stops by itself after this, whatever happens. */
const RUN_LIMIT_MS = 180_000;
const ID_PREFIX = 'storm-';

interface ClientReport {
  /** Date.now() of the first connection attempt and of the last welcome. */
  startedAt: number;
  lastWelcomeAt: number;
  /** Welcome time of each agent, by index. */
  welcomedAt: number[];
  /** Client-side heap and RSS growth per open connection, bytes. */
  heapPerConnection: number;
  rssPerConnection: number;
  /** Attempts that were refused or lost before the welcome and retried. */
  retries: number;
}

const arg = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
};
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const memory = () => {
  gc();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, rss: usage.rss };
};

// ---------------------------------------------------------------- client process

async function client(): Promise<void> {
  const base = arg('server', '');
  const agents = Number(arg('agents', '10000'));
  const concurrency = Number(arg('concurrency', '1000'));
  setTimeout(() => process.exit(3), RUN_LIMIT_MS).unref();
  const before = memory();
  const connections: AgentConnection[] = [];
  const welcomedAt: number[] = new Array<number>(agents).fill(0);
  const startedAt = Date.now();
  let retries = 0;
  const log = () => retries++;
  let next = 0;
  const worker = async () => {
    while (next < agents) {
      const index = next++;
      // No heartbeats during the storm: the connect itself is what is measured.
      const connection = new AgentConnection({
        server: base,
        id: `${ID_PREFIX}${index}`,
        token: TOKEN,
        heartbeatInterval: 0,
        minBackoff: 200,
        maxBackoff: 2_000,
        log: (event) => event.event !== 'connected' && log(),
      });
      connections.push(connection);
      connection.start();
      await connection.ready();
      welcomedAt[index] = Date.now();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, agents) }, worker));
  const lastWelcomeAt = Math.max(...welcomedAt);
  const after = memory();
  const report: ClientReport = {
    startedAt,
    lastWelcomeAt,
    welcomedAt,
    heapPerConnection: (after.heap - before.heap) / agents,
    rssPerConnection: (after.rss - before.rss) / agents,
    retries,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  // Hold the connections until the parent has measured, then close them all.
  for await (const line of createInterface({ input: process.stdin })) if (line === 'close') break;
  await Promise.all(connections.map((connection) => connection.stop()));
  process.exit(0);
}

// ---------------------------------------------------------------- vigil process

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function main(): Promise<void> {
  const agents = Number(arg('agents', '10000'));
  const concurrency = Number(arg('concurrency', '1000'));
  const limit = setTimeout(() => {
    console.error(`storm: gave up after ${RUN_LIMIT_MS} ms`);
    process.exit(2);
  }, RUN_LIMIT_MS);
  limit.unref();

  const dir = mkdtempSync(join(tmpdir(), 'vigil-storm-'));
  const configPath = join(dir, 'vigil.yml');
  writeFileSync(
    configPath,
    [
      'listen: 127.0.0.1:0',
      'state: vigil.db',
      'log: { level: warn }',
      `api: { tokens: [ { name: storm, token: ${TOKEN}, scopes: [agent] } ] }`,
      'agents: { ping_interval: 5m }',
    ].join('\n'),
  );
  const running = await startVigil({ configPath });
  const { vigil } = running;
  const base = `http://127.0.0.1:${running.address.port}`;
  const idle = memory();
  const transactionsBefore = vigil.store.stats().transactions;

  // First time each agent's subject is available in vigil's state (what the next scrape renders), sampled every 2 ms.
  const reflectedAt = new Array<number>(agents).fill(0);
  let reflected = 0;
  let allReflectedAt = 0;
  const sampler = setInterval(() => {
    const now = Date.now();
    for (let i = 0; i < agents; i++) {
      if (reflectedAt[i] !== 0) continue;
      if (vigil.state.subjects.get(`${ID_PREFIX}${i}`)?.connectivity === 'available') {
        reflectedAt[i] = now;
        reflected++;
      }
    }
    if (reflected === agents && allReflectedAt === 0) allReflectedAt = now;
  }, 2);

  const child = spawn(
    process.execPath,
    [
      ...(process.env['STORM_CLIENT_FLAGS']?.split(' ') ?? []),
      '--expose-gc',
      fileURLToPath(import.meta.url),
      '--client',
      '--server',
      base,
      '--agents',
      String(agents),
      '--concurrency',
      String(concurrency),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const reportLine = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`storm client exited with ${code} before reporting`)));
  });
  const report = JSON.parse(reportLine) as ClientReport;

  // A scrape that shows every agent in vigil_subject_connectivity, timed from the last connect.
  let scrapeShowsAllAt = 0;
  for (let attempt = 0; attempt < 100 && scrapeShowsAllAt === 0; attempt++) {
    const body = await (await fetch(`${base}/metrics`)).text();
    const shown = body.match(/^vigil_subject_connectivity\{subject="storm-\d+",kind="machine"\} 1$/gm)?.length ?? 0;
    if (shown === agents) scrapeShowsAllAt = Date.now();
  }
  while (allReflectedAt === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  clearInterval(sampler);
  await vigil.store.commit();
  const transactions = vigil.store.stats().transactions - transactionsBefore;
  const connected = memory();

  // Disconnect everyone: what remains is the subjects; the difference is the connections themselves.
  child.stdin!.write('close\n');
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let turn = 0; turn < 10_000; turn++) {
    let pending = 0;
    for (let i = 0; i < agents; i++) if (vigil.state.subjects.get(`${ID_PREFIX}${i}`)?.pendingUnavailable) pending++;
    if (pending === agents) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const disconnected = memory();
  await running.stop();
  rmSync(dir, { recursive: true, force: true });

  const latencies = reflectedAt.map((at, i) => Math.max(0, at - report.welcomedAt[i]!)).sort((a, b) => a - b);
  const stormSeconds = (report.lastWelcomeAt - report.startedAt) / 1000;
  const results = {
    agents,
    concurrency,
    connectionsPerSecond: agents / stormSeconds,
    stormSeconds,
    allReflectedAfterLastConnectMs: Math.max(0, allReflectedAt - report.lastWelcomeAt),
    scrapeShowsAllAfterLastConnectMs: Math.max(0, scrapeShowsAllAt - report.lastWelcomeAt),
    perConnectionP50Ms: percentile(latencies, 0.5),
    perConnectionP99Ms: percentile(latencies, 0.99),
    perConnectionMaxMs: latencies[latencies.length - 1]!,
    transactions,
    serverHeapPerConnection: (connected.heap - disconnected.heap) / agents,
    serverRssPerConnection: (connected.rss - disconnected.rss) / agents,
    serverHeapPerMachine: (connected.heap - idle.heap) / agents,
    clientHeapPerConnection: report.heapPerConnection,
    clientRssPerConnection: report.rssPerConnection,
    retries: report.retries,
  };
  const text = renderResults(results);
  console.log(text);
  if (process.argv.includes('--record')) record(text);
  process.exit(0);
}

type Results = Record<string, number>;

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

function renderResults(r: Results): string {
  const pass = (ok: boolean) => (ok ? 'met' : '**missed**');
  return [
    '## agents storm',
    '',
    `Recorded ${new Date().toISOString().slice(0, 16)}Z by \`node --expose-gc dist/bench/storm.js --record\` (bench/storm.ts).`,
    `A separate client process opens ${r['agents']} agent websockets on loopback (${r['concurrency']} handshakes in flight, the reference`,
    "agent's AgentConnection); vigil (`startVigil`: default 200 ms group commit, `agents.storm_window` 500 ms, " +
      'SQLite in a temporary directory) runs in the bench process.',
    `Machine: ${cpus().length} CPUs, node ${process.version}, load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ulimit -n 20000.`,
    '',
    '| measure | value | target |',
    '|---|---:|---|',
    `| connections per second (first attempt → last welcome) | ${Math.round(r['connectionsPerSecond']!)} (${r['stormSeconds']!.toFixed(2)} s) | |`,
    `| all ${r['agents']} available in vigil's state, after the last connect | ${r['allReflectedAfterLastConnectMs']} ms | ` +
      `≤ 1000 ms: ${pass(r['allReflectedAfterLastConnectMs']! <= 1000)} |`,
    '| first /metrics scrape showing all in vigil_subject_connectivity, after the last connect | ' +
      `${r['scrapeShowsAllAfterLastConnectMs']} ms | (includes one render of the scrape) |`,
    '| per connection: welcome → available in state, p50 / p99 / max | ' +
      `${r['perConnectionP50Ms']} / ${r['perConnectionP99Ms']} / ${r['perConnectionMaxMs']} ms | ≤ 1000 ms |`,
    `| connection attempts refused or lost and retried by the agents | ${r['retries']} | |`,
    `| store transactions for the whole storm (Store.stats()) | ${r['transactions']} | ≤ 20: ${pass(r['transactions']! <= 20)} |`,
    `| vigil heap per open connection (connected − all closed) | ${kib(r['serverHeapPerConnection']!)} | |`,
    `| vigil RSS per open connection | ${kib(r['serverRssPerConnection']!)} | |`,
    `| vigil heap per new machine incl. its subject (connected − idle) | ${kib(r['serverHeapPerMachine']!)} | |`,
    `| client heap / RSS per connection | ${kib(r['clientHeapPerConnection']!)} / ${kib(r['clientRssPerConnection']!)} | |`,
    '',
    "Sampling: vigil's state is looked at every 2 ms from a timer in the vigil process (so it is delayed when vigil is busy, which",
    'makes the figures conservative). RSS figures are noisy (the allocator keeps freed pages, so the difference can even be',
    "negative); heap is measured after a forced GC. Transactions grow with the storm's duration, not with the number of",
    'agents: about one per storm_window (two per second) while connects keep coming.',
    '',
  ].join('\n');
}

/** Replaces (or appends) this benchmark's section of bench/RESULTS.md, keeping everyone else's. */
function record(section: string): void {
  const path = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));
  const current = readFileSync(path, 'utf8');
  const start = current.indexOf('## agents storm');
  let next = start < 0 ? -1 : current.indexOf('\n## ', start + 1);
  if (next >= 0) next += 1;
  const updated =
    start < 0 ? `${current.trimEnd()}\n\n${section}` : current.slice(0, start) + section + (next >= 0 ? `\n${current.slice(next)}` : '');
  writeFileSync(path, updated.endsWith('\n') ? updated : `${updated}\n`);
}

if (process.argv.includes('--client')) await client();
else await main();
