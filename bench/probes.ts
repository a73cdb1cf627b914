// Probe benchmark: 2,000 hostport + 500 download targets on loopback, every 10 s, for a minute,
// run by vigil's targets source and by Debian's prometheus-blackbox-exporter driven at the same rate.
// Reports CPU seconds per 1,000 probes of the prober process alone (peers and driver run in other processes)
// and the p99 lateness of probe starts. Usage: npm run build && node dist/bench/probes.js [--seconds 60]
// VIGIL_BENCH_TCP_TYPE=tcp runs the connect targets with the `tcp` probe instead of `hostport`.
//
// Modes (one file, several processes): no argument = orchestrate; `peers` = loopback TCP/HTTP servers;
// `vigil` = the vigil prober; `driver` = requests blackbox's /probe for each target on the same schedule.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { targetsSchema } from '../src/config/targets.js';
import { createTargetsSource } from '../src/sources/targets/source.js';
import type { SourceSink } from '../src/sources/types.js';
import { until } from '../test/helpers/until.js';

/** Target counts; VIGIL_BENCH_TCP_TARGETS / VIGIL_BENCH_HTTP_TARGETS measure one probe type alone. */
const HOSTPORT_TARGETS = Number(process.env['VIGIL_BENCH_TCP_TARGETS'] ?? 2_000);
const DOWNLOAD_TARGETS = Number(process.env['VIGIL_BENCH_HTTP_TARGETS'] ?? 500);
const INTERVAL_MS = 10_000;
const TCP_PORTS = 8;
const HTTP_PORTS = 4;
const BODY = 'x'.repeat(1024);
const SELF = fileURLToPath(import.meta.url);

interface Peers {
  tcp: number[];
  http: number[];
}

interface RunReport {
  probes: number;
  cpuSeconds: number;
  lateness: number[];
  failures: Record<string, number>;
  wallSeconds: number;
}

const argSeconds = (): number => {
  const index = process.argv.indexOf('--seconds');
  return index > 0 ? Number(process.argv[index + 1]) : 60;
};

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Loopback peers: TCP listeners that accept and close at once (server closes first: no client TIME_WAIT), HTTP servers. */
async function runPeers(): Promise<void> {
  const listen = (server: net.Server): Promise<number> =>
    new Promise((resolve) => server.listen(0, '127.0.0.1', 4096, () => resolve((server.address() as net.AddressInfo).port)));
  const peers: Peers = { tcp: [], http: [] };
  for (let i = 0; i < TCP_PORTS; i++) peers.tcp.push(await listen(net.createServer((socket) => socket.on('error', () => {}).end())));
  for (let i = 0; i < HTTP_PORTS; i++) {
    const server = http.createServer((_request, response) => {
      response.shouldKeepAlive = false;
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length }).end(BODY);
    });
    peers.http.push(await listen(server));
  }
  process.stdout.write(`${JSON.stringify(peers)}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

/** vigil's TCP probe type for the connect targets: `hostport` (default) or `tcp` (VIGIL_BENCH_TCP_TYPE=tcp). */
const TCP_TYPE = process.env['VIGIL_BENCH_TCP_TYPE'] === 'tcp' ? 'tcp' : 'hostport';

function targetList(peers: Peers) {
  const targets: Record<string, unknown>[] = [];
  for (let i = 0; i < HOSTPORT_TARGETS; i++) {
    targets.push({ name: `tcp-${i}`, type: TCP_TYPE, host: '127.0.0.1', port: peers.tcp[i % peers.tcp.length], interval: '10s', timeout: '5s' });
  }
  for (let i = 0; i < DOWNLOAD_TARGETS; i++) {
    targets.push({
      name: `http-${i}`,
      type: 'download',
      url: `http://127.0.0.1:${peers.http[i % peers.http.length]}/t/${i}`,
      interval: '10s',
      timeout: '5s',
    });
  }
  return targets;
}

const noopSink: SourceSink = {
  defineSubject() {},
  removeSubject() {},
  observe() {},
  connectivity() {},
  metadata() {},
  recordSourceEvent() {},
  sourceStatus() {},
  subject: () => undefined,
  subjectsOf: () => [],
  owns: () => true,
  refuseBeyondLimits() {},
  batch: (fill) => fill(noopSink),
};

/** The vigil prober, alone in its process: its CPU is the process's CPU. */
async function runVigil(peers: Peers, seconds: number): Promise<void> {
  const targets = targetsSchema.parse(targetList(peers));
  const lateness: number[] = [];
  const failures: Record<string, number> = {};
  let probes = 0;
  const source = createTargetsSource(targets, {
    onStart: (_job, scheduledAt, startedAt) => lateness.push(startedAt - scheduledAt),
    onResult: (_target, result) => {
      probes++;
      if (result.status !== 'ok') failures[result.reason ?? 'unknown'] = (failures[result.reason ?? 'unknown'] ?? 0) + 1;
    },
  });
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  source.start(noopSink);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await source.stop();
  const cpu = process.cpuUsage(cpuStart);
  const report: RunReport = {
    probes,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    lateness,
    failures,
    wallSeconds: (performance.now() - wallStart) / 1000,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** Requests blackbox's /probe for each target at the same jittered fixed-period schedule vigil uses. */
async function runDriver(peers: Peers, blackbox: string, seconds: number): Promise<void> {
  const pool = new Pool(blackbox, { connections: 512, pipelining: 1 });
  const urls: string[] = [];
  for (let i = 0; i < HOSTPORT_TARGETS; i++) urls.push(`/probe?module=tcp_connect&target=127.0.0.1:${peers.tcp[i % peers.tcp.length]}`);
  for (let i = 0; i < DOWNLOAD_TARGETS; i++)
    urls.push(`/probe?module=http_2xx&target=${encodeURIComponent(`http://127.0.0.1:${peers.http[i % peers.http.length]}/t/${i}`)}`);
  const lateness: number[] = [];
  const failures: Record<string, number> = {};
  let probes = 0;
  const start = Date.now();
  const end = start + seconds * 1000;
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();
  const fire = (url: string, scheduledAt: number): void => {
    lateness.push(Date.now() - scheduledAt);
    const request = pool
      .request({ path: url, method: 'GET' })
      .then(async (response) => {
        const text = await response.body.text();
        probes++;
        if (!/^probe_success 1$/m.test(text)) failures.probe_success_0 = (failures.probe_success_0 ?? 0) + 1;
      })
      .catch(() => {
        failures.driver = (failures.driver ?? 0) + 1;
      });
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  };
  for (const url of urls) {
    let next = start + Math.random() * INTERVAL_MS;
    const tick = (): void => {
      const scheduledAt = next;
      next += INTERVAL_MS;
      fire(url, scheduledAt);
      if (next < end) timers.push(setTimeout(tick, next - Date.now()));
    };
    if (next < end) timers.push(setTimeout(tick, next - Date.now()));
  }
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  timers.forEach(clearTimeout);
  await Promise.allSettled([...inFlight]);
  await pool.close();
  process.stdout.write(`${JSON.stringify({ probes, cpuSeconds: 0, lateness, failures, wallSeconds: seconds } satisfies RunReport)}\n`);
}

/** Runs a mode of this file in a child process and returns its one JSON line. */
function child(mode: string, args: string[]): { process: ChildProcess; line: Promise<string> } {
  const proc = spawn(process.execPath, [SELF, mode, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = new Promise<string>((resolve, reject) => {
    let buffer = '';
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline >= 0) resolve(buffer.slice(0, newline));
    });
    proc.on('exit', (code) => reject(new Error(`${mode} exited with ${code} before reporting`)));
  });
  return { process: proc, line };
}

/** utime + stime of a process in seconds, from /proc (the exporter is not ours to instrument). */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return ticks / hz;
}

async function runBlackbox(peers: Peers, seconds: number): Promise<RunReport> {
  const binary = spawnSync('sh', ['-c', 'command -v prometheus-blackbox-exporter || command -v blackbox_exporter'], {
    encoding: 'utf8',
  }).stdout.trim();
  if (!binary) throw new Error('prometheus-blackbox-exporter not found: apt-get install prometheus-blackbox-exporter');
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-bb-'));
  const config = path.join(dir, 'blackbox.yml');
  writeFileSync(
    config,
    'modules:\n  tcp_connect:\n    prober: tcp\n    timeout: 5s\n' +
      '  http_2xx:\n    prober: http\n    timeout: 5s\n    http:\n      preferred_ip_protocol: ip4\n  \n',
  );
  const port = 19115;
  const exporter = spawn(binary, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'], { stdio: 'ignore' });
  try {
    const healthy = `http://127.0.0.1:${port}/-/healthy`;
    await until(async () => (await fetch(healthy)).ok, `${healthy} to come up`, { timeoutMs: 10_000, intervalMs: 100, retryErrors: true });
    const cpuBefore = processCpuSeconds(exporter.pid!);
    const driver = child('driver', [JSON.stringify(peers), `http://127.0.0.1:${port}`, String(seconds)]);
    const report = JSON.parse(await driver.line) as RunReport;
    report.cpuSeconds = processCpuSeconds(exporter.pid!) - cpuBefore;
    return report;
  } finally {
    exporter.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (value: number): string => String(Math.max(0, Math.round(value)));

function summarize(name: string, report: RunReport): string {
  const perThousand = (report.cpuSeconds / report.probes) * 1000;
  const failures =
    Object.entries(report.failures)
      .map(([reason, count]) => `${reason}: ${count}`)
      .join(', ') || 'none';
  const lateness = [ms(percentile(report.lateness, 50)), ms(percentile(report.lateness, 99)), ms(Math.max(...report.lateness))];
  return `| ${name} | ${report.probes} | ${report.cpuSeconds.toFixed(2)} | ${perThousand.toFixed(3)} | ${lateness.join(' | ')} | ${failures} |`;
}

async function orchestrate(): Promise<void> {
  const seconds = argSeconds();
  const peers = child('peers', []);
  try {
    const ports = JSON.parse(await peers.line) as Peers;
    const vigilRun = child('vigil', [JSON.stringify(ports), String(seconds)]);
    const vigil = JSON.parse(await vigilRun.line) as RunReport;
    // Let the loopback TIME_WAIT sockets of the first run drain a little before the second.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const blackbox = await runBlackbox(ports, seconds);
    const ratio = vigil.cpuSeconds / vigil.probes / (blackbox.cpuSeconds / blackbox.probes);
    const lines = [
      `${HOSTPORT_TARGETS} ${TCP_TYPE} + ${DOWNLOAD_TARGETS} download targets on loopback, every 10 s, for ${seconds} s; timeout 5 s.`,
      '',
      '| prober | probes | CPU s | CPU s / 1000 probes | p50 lateness ms | p99 lateness ms | max lateness ms | failures |',
      '|---|---|---|---|---|---|---|---|',
      summarize('vigil targets source', vigil),
      summarize('blackbox_exporter (driver-side lateness)', blackbox),
      '',
      `vigil / blackbox_exporter CPU per probe: ${ratio.toFixed(2)}×`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    peers.process.stdin!.end();
    peers.process.kill();
  }
}

const [mode, ...rest] = process.argv.slice(2).filter((arg, index, all) => arg !== '--seconds' && all[index - 1] !== '--seconds');
if (mode === 'peers') await runPeers();
else if (mode === 'vigil') {
  await runVigil(JSON.parse(rest[0]!) as Peers, Number(rest[1]));
  process.exit(0);
} else if (mode === 'driver') {
  await runDriver(JSON.parse(rest[0]!) as Peers, rest[1]!, Number(rest[2]));
  process.exit(0);
} else await orchestrate();
