// One node, many subjects, measured as a user would: a real `vigil serve` process driven through its HTTP API.
// Pushes SUBJECTS × 5 checks through POST /api/v1/observations (batches of 1,000, 4 clients), then rounds of
// "change 1% of the subjects, scrape" for the gzip body (as Prometheus asks) and the plain one; reads the
// process's resident memory; restarts it on the same state and times /-/ready; does it again with every family.
//
//   npm run bench:scale -- [--subjects N] [--record]     (N defaults to 100,000; --record writes bench/RESULTS.md)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const CHECKS = 5;
const BATCH = 1_000;
const CLIENTS = 4;
const ROUNDS = 3;
/** Between a change and a warm scrape: longer than vigil's 1 s warm-up interval (Prometheus scrapes every 15 s). */
const GAP_MS = 2_500;
const CHANGED = 0.01;
const TOKEN = 'bench-token-not-a-secret';
const CLI = new URL('../src/cli.js', import.meta.url).pathname;
const RESULTS = new URL('../../bench/RESULTS.md', import.meta.url).pathname;

const argValue = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const SUBJECTS = Number(argValue('--subjects') ?? 100_000);
const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS + 1 });

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function http(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Vigil {
  child: ChildProcess;
  port: number;
  startedAt: number;
}

function configText(everything: boolean): string {
  return [
    'log: { level: warn }',
    'api:',
    '  max_body: 16mb',
    `  max_subjects: ${SUBJECTS + 1_000}`, // the default bound is 10,000 subjects per node
    `  tokens: [{ name: bench, token: ${TOKEN}, scopes: [observe] }]`,
    'subjects: []',
    everything ? "metrics: { include: ['*'] }" : '',
    '',
  ].join('\n');
}

/** Every vigil this script started, killed if it stops early (an error must not leave one running). */
const children = new Set<ChildProcess>();

async function startVigil(dir: string, everything: boolean): Promise<Vigil> {
  const configPath = join(dir, everything ? 'everything.yml' : 'default.yml');
  writeFileSync(configPath, configText(everything));
  const port = await freePort();
  const startedAt = performance.now();
  const child = spawn(process.execPath, [CLI, 'serve', '--config', configPath, '--listen', `127.0.0.1:${port}`, '--state', join(dir, 'vigil.db')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.add(child);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vigil exited with ${child.exitCode}`);
    const ready = await http(port, 'GET', '/-/ready').catch(() => undefined);
    if (ready?.status === 200) return { child, port, startedAt };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stopVigil(vigil: Vigil): Promise<void> {
  const exited = new Promise((resolve) => vigil.child.once('exit', resolve));
  vigil.child.kill('SIGTERM');
  await exited;
}

/**
 * CPU time vigil itself has used, in ms (utime + stime from /proc, 10 ms ticks). On a machine shared with other
 * work, wall time measures the machine; this measures vigil.
 */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function residentMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

async function post(port: number, observations: object[]): Promise<void> {
  const res = await http(
    port,
    'POST',
    '/api/v1/observations',
    { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    JSON.stringify(observations),
  );
  if (res.status !== 200) throw new Error(`POST /api/v1/observations: ${res.status} ${res.body.toString().slice(0, 300)}`);
}

/** Pushes `batches` with CLIENTS concurrent clients; each answer comes only once the batch is stored. */
async function pushAll(vigil: Vigil, batches: object[][]): Promise<{ ms: number; cpu: number }> {
  const port = vigil.port;
  const cpuBefore = cpuMs(vigil.child.pid!);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < batches.length) await post(port, batches[next++]!);
    }),
  );
  return { ms: performance.now() - started, cpu: cpuMs(vigil.child.pid!) - cpuBefore };
}

const observation = (subject: number, check: number, status: string) => ({
  subject: `host-${subject}`,
  check: `check-${check}`,
  status,
  period: '1h',
});

function fleetBatches(): object[][] {
  const batches: object[][] = [];
  let batch: object[] = [];
  for (let s = 0; s < SUBJECTS; s++) {
    for (let c = 0; c < CHECKS; c++) {
      batch.push(observation(s, c, 'ok'));
      if (batch.length === BATCH) {
        batches.push(batch);
        batch = [];
      }
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** A random 1% of subjects gets one new result each (a failure or a recovery): each of them changes. */
let flip = 0;
async function changeOnePercent(port: number): Promise<void> {
  const count = Math.max(1, Math.round(SUBJECTS * CHANGED));
  const status = flip++ % 2 === 0 ? 'crit' : 'ok';
  const changed = Array.from({ length: count }, () => observation(Math.floor(Math.random() * SUBJECTS), Math.floor(Math.random() * CHECKS), status));
  for (let i = 0; i < changed.length; i += BATCH) await post(port, changed.slice(i, i + BATCH));
}

interface Scrape {
  ms: number;
  /** vigil's CPU time while it answered. */
  cpu: number;
  bytes: number;
  /** The body as text bytes (gunzipped when it came compressed): it can exceed the longest string V8 makes. */
  text: Buffer;
}

async function scrape(vigil: Vigil, gzip: boolean, retry = true): Promise<Scrape> {
  const cpuBefore = cpuMs(vigil.child.pid!);
  const started = performance.now();
  const res = await http(vigil.port, 'GET', '/metrics', gzip ? { 'accept-encoding': 'gzip' } : {}).catch((error: Error) => {
    if (!retry) throw error;
    console.log(`scrape failed (${error.message}); once more`); // said in the output; the time is the second try
    return undefined;
  });
  if (res === undefined) return scrape(vigil, gzip, false);
  const ms = performance.now() - started;
  const cpu = cpuMs(vigil.child.pid!) - cpuBefore;
  if (res.status !== 200) throw new Error(`/metrics: ${res.status}`);
  const encoded = res.headers['content-encoding'] === 'gzip';
  if (encoded !== gzip) throw new Error(`asked gzip=${gzip}, got content-encoding ${res.headers['content-encoding']}`);
  return { ms, cpu, bytes: res.body.length, text: encoded ? gunzipSync(res.body) : res.body };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
/** Sample lines: lines that are neither empty nor comments. */
function seriesIn(text: Buffer): number {
  let series = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const byte = text[i]!;
    if (lineStart && byte !== 0x0a && byte !== 0x23) series++;
    lineStart = byte === 0x0a;
  }
  return series;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Measured {
  label: string;
  firstScrapeMs: number;
  coldMs: number[];
  gzipMs: number[];
  gzipCpu: number[];
  plainMs: number[];
  series: number;
  plainBytes: number;
  gzipBytes: number;
  rss: number;
  peak: number;
}

/**
 * Rounds of: change 1%, scrape gzip at once (cold: vigil renders the change in the scrape); change 1%, wait
 * GAP_MS, scrape gzip (warm: as with Prometheus's interval); change 1%, wait, scrape plain.
 */
async function measureScrapes(vigil: Vigil, label: string): Promise<Measured> {
  const first = await scrape(vigil, true);
  await sleep(GAP_MS * 4); // the first body sent most pieces uncompressed; vigil compresses them after it
  const coldMs: number[] = [];
  const gzipMs: number[] = [];
  const gzipCpu: number[] = [];
  const plainMs: number[] = [];
  let plain: Scrape | undefined;
  let gzip: Scrape | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    await changeOnePercent(vigil.port);
    coldMs.push((await scrape(vigil, true)).ms);
    await changeOnePercent(vigil.port);
    await sleep(GAP_MS);
    gzip = await scrape(vigil, true);
    gzipMs.push(gzip.ms);
    gzipCpu.push(gzip.cpu);
    await changeOnePercent(vigil.port);
    await sleep(GAP_MS);
    plain = await scrape(vigil, false);
    plainMs.push(plain.ms);
    console.log(
      `${label} round ${round + 1}: gzip at once ${coldMs[round]!.toFixed(0)} ms, gzip ${gzip.ms.toFixed(0)} ms, plain ${plain.ms.toFixed(0)} ms`,
    );
  }
  const series = seriesIn(plain!.text);
  // gzip and plain come from different moments (1% changed in between, which can add a run-outcome series): the
  // byte-for-byte equality of the two bodies is tested in test/exporter/metrics/incremental.test.ts instead.
  if (Math.abs(seriesIn(gzip!.text) - series) > series * CHANGED) throw new Error('gzip and plain bodies differ by more than the change');
  const { rss, peak } = residentMiB(vigil.child.pid!);
  return { label, firstScrapeMs: first.ms, coldMs, gzipMs, gzipCpu, plainMs, series, plainBytes: plain!.bytes, gzipBytes: gzip!.bytes, rss, peak };
}

async function main(): Promise<void> {
  const record = process.argv.includes('--record');
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-scale-'));
  try {
    let vigil = await startVigil(dir, false);
    const batches = fleetBatches();
    const observations = SUBJECTS * CHECKS;
    const created = await pushAll(vigil, batches);
    const pushMs = created.ms;
    const pushRate = observations / (pushMs / 1000);
    console.log(
      `pushed ${observations} observations (new subjects) in ${(pushMs / 1000).toFixed(1)} s: ` +
        `${pushRate.toFixed(0)}/s, vigil CPU ${(created.cpu / 1000).toFixed(1)} s`,
    );
    // The steady state: the same fleet reports again (existing subjects, one new result per check).
    const steady = await pushAll(vigil, batches);
    const steadyRate = observations / (steady.ms / 1000);
    console.log(
      `pushed ${observations} observations (existing subjects) in ${(steady.ms / 1000).toFixed(1)} s: ` +
        `${steadyRate.toFixed(0)}/s, vigil CPU ${(steady.cpu / 1000).toFixed(1)} s`,
    );
    const lean = await measureScrapes(vigil, 'default');

    await stopVigil(vigil);
    vigil = await startVigil(dir, false);
    const restartMs = performance.now() - vigil.startedAt;
    const restartCpu = cpuMs(vigil.child.pid!); // the whole process: start-up, loading, until ready
    const restarted = seriesIn((await scrape(vigil, true)).text);
    console.log(`restart to ready: ${restartMs.toFixed(0)} ms, ${restarted} series after restart`);
    await stopVigil(vigil);

    vigil = await startVigil(dir, true);
    const all = await measureScrapes(vigil, 'everything');
    await stopVigil(vigil);

    const medianMax = (ms: number[]) => `${median(ms).toFixed(0)} (${Math.max(...ms).toFixed(0)})`;
    const rows = [lean, all].map((m) => {
      const cells = [
        m.label,
        m.series.toLocaleString('en'),
        (m.series / SUBJECTS).toFixed(1),
        `${(m.plainBytes / 1e6).toFixed(1)} MB`,
        `${(m.gzipBytes / 1e6).toFixed(1)} MB`,
        medianMax(m.gzipMs),
        median(m.gzipCpu).toFixed(0),
        medianMax(m.coldMs),
        medianMax(m.plainMs),
        m.firstScrapeMs.toFixed(0),
        `${m.rss.toFixed(0)} / ${m.peak.toFixed(0)}`,
      ];
      return `| ${cells.join(' | ')} |`;
    });
    const table = [
      '| exposition | series | per subject | plain body | gzip body | scrape gzip ms, median (max) | vigil CPU ms in it | ' +
        'gzip right after the change ms | scrape plain ms, median (max) | first scrape ms | RSS / peak MiB |',
      `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
      ...rows,
    ].join('\n');
    const summary = [
      `Push (batches of ${BATCH}, ${CLIENTS} clients, each answer after the batch is stored), ` +
        `${SUBJECTS.toLocaleString('en')} subjects × ${CHECKS} checks:`,
      `creating the subjects **${pushRate.toFixed(0)} observations/s** (${(pushMs / 1000).toFixed(1)} s; ` +
        `vigil used ${(created.cpu / 1000).toFixed(1)} CPU s, ${(observations / (created.cpu / 1000)).toFixed(0)} observations per CPU second);`,
      `the same fleet reporting again **${steadyRate.toFixed(0)} observations/s** (${(steady.ms / 1000).toFixed(1)} s; ` +
        `vigil used ${(steady.cpu / 1000).toFixed(1)} CPU s, ${(observations / (steady.cpu / 1000)).toFixed(0)} observations per CPU second).`,
      `Restart on the same state to /-/ready: **${(restartMs / 1000).toFixed(2)} s** ` +
        `(vigil used ${(restartCpu / 1000).toFixed(1)} CPU s to get there; ${restarted.toLocaleString('en')} series in the first scrape after it).`,
    ].join('\n');
    console.log(`\n${table}\n\n${summary}`);
    if (record) {
      const section = [
        '## scale',
        '',
        `Recorded ${new Date().toISOString().slice(0, 16)}Z by \`npm run bench:scale -- --record\` (bench/scale.ts): a real \`vigil serve\` process`,
        `(SQLite state in a temporary directory) driven through its HTTP API. Machine: ${cpus().length} CPUs, node ${process.version},`,
        `load average at start ${load}. Each round changes a random ${CHANGED * 100}% of the subjects (one new result each, through the API)`,
        `and scrapes ${GAP_MS / 1000} s later (vigil renders changes every second between scrapes; Prometheus scrapes every 15 s), or at once`,
        `("right after the change": the scrape renders it itself); ${ROUNDS} rounds each. Times are client-side, request to last byte, as sent`,
        `(gzip not decoded). The first scrape after a start renders everything and sends most of it uncompressed (compressed after it).`,
        '',
        table,
        '',
        summary,
        '',
      ].join('\n');
      const text = readFileSync(RESULTS, 'utf8');
      const start = text.indexOf('## scale');
      const end = start < 0 ? -1 : text.indexOf('\n## ', start + 1);
      const updated = start < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, start)}${section}${end < 0 ? '' : text.slice(end + 1)}`;
      writeFileSync(RESULTS, updated);
      console.log(`recorded in ${RESULTS}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    agent.destroy();
  }
}

await main().catch((error: unknown) => {
  console.error(error);
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  process.exitCode = 1;
});
