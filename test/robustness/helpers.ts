// Shared by the robustness suite: a real `vigil serve` process on loopback, hostile raw-socket clients, and the
// measurements the suite asserts (resident memory of the process, /metrics latency) — every loop bounded.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServe, type ServeProcess, type SpawnOptions } from '../helpers/serve-process.js';
import { until } from '../helpers/until.js';

export const ADMIN = 'robustness-admin-token';

export interface Served extends ServeProcess {
  dir: string;
  port: number;
  /** Stops the process (SIGKILL if it does not go within 10 s) and removes its directory. */
  stop(): Promise<void>;
}

/** Starts `vigil serve` with `yaml` (an admin token is added) on 127.0.0.1:0 and a fresh state file. */
export async function serveWith(yaml: string, options: SpawnOptions & { dir?: string } = {}): Promise<Served> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'vigil-robust-'));
  const config = join(dir, 'vigil.yml');
  writeFileSync(config, [`api:`, `  tokens: [{ name: admin, token: ${ADMIN}, scopes: [admin] }]`, yaml].join('\n'));
  const served = await spawnServe(['--config', config, '--listen', '127.0.0.1:0', '--state', join(dir, 'vigil.db')], options);
  const port = Number(new URL(served.base).port);
  return {
    ...served,
    dir,
    port,
    async stop() {
      if (served.child.exitCode === null && served.child.signalCode === null) {
        served.child.kill('SIGTERM');
        const timer = setTimeout(() => served.child.kill('SIGKILL'), 10_000);
        await served.exited;
        clearTimeout(timer);
      }
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resident set size of a process, in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  if (!line) throw new Error(`no VmRSS for ${pid}`);
  return Number(/(\d+)/.exec(line)![1]) / 1024;
}

/** GET /metrics; resolves with its latency in ms, or rejects after `timeoutMs`. */
export async function scrapeMs(base: string, timeoutMs = 5_000): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return performance.now() - started;
}

/** The value of an unlabelled sample on /metrics. */
export async function metricValue(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} on /metrics`);
  return Number(line.slice(name.length + 1));
}

/** Opens a raw connection, writes `text` and never reads again: the client a slow or hostile peer is. */
export function rawClient(port: number, text: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(text);
      socket.pause();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Like rawClient, but with a 4 KiB receive buffer (SO_RCVBUF, set before connecting, which Node cannot do): on
 * loopback the kernel otherwise absorbs tens of megabytes for a client that does not read. `drain()` makes it read
 * to the end; `closed()` then says whether the server closed the connection.
 */
export async function tinyWindowClient(port: number, request: string): Promise<{ drain: () => void; closed: () => boolean; kill: () => void }> {
  const script = [
    'import socket, sys, time',
    's = socket.socket()',
    's.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)',
    `s.connect(('127.0.0.1', ${port}))`,
    `s.sendall(${JSON.stringify(request)}.encode())`,
    'print("sent", flush=True)',
    'sys.stdin.readline()', // told to read: drain until the server closes
    's.settimeout(10)',
    'while s.recv(65536): pass',
    'print("closed", flush=True)',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(() => output.includes('sent'), 'the python client to connect (python3 is needed: apt-get install python3)', { timeoutMs: 5_000 });
  return { drain: () => child.stdin.write('\n'), closed: () => output.includes('closed'), kill: () => child.kill() };
}

/** Sends authorised JSON to the server. */
export function send(base: string, method: string, path: string, body: unknown, token = ADMIN): Promise<Response> {
  return fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Samples `/metrics` latency and the process's RSS every `everyMs` while `during` runs; returns the worst of each. */
export async function watch<T>(
  served: Served,
  during: () => Promise<T>,
  everyMs = 200,
): Promise<{ result: T; worstScrapeMs: number; peakRssMiB: number; scrapes: number }> {
  let worstScrapeMs = 0;
  let peakRssMiB = rssMiB(served.child.pid!);
  let scrapes = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      worstScrapeMs = Math.max(worstScrapeMs, await scrapeMs(served.base).catch(() => Infinity));
      peakRssMiB = Math.max(peakRssMiB, rssMiB(served.child.pid!));
      scrapes++;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  let result: T;
  try {
    result = await during();
  } finally {
    running = false;
    await sampler; // the scrape in flight counts too
  }
  return { result, worstScrapeMs, peakRssMiB, scrapes };
}
