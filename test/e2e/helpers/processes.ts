// Child processes of the end-to-end stack: located binaries (a missing one fails with how to install it), logs kept
// in memory and on disk, free loopback ports, and bounded polling.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { UntilOptions } from '../../helpers/until.js';

const INSTALL = {
  prometheus: 'apt-get install prometheus (Debian bookworm ships 2.42)',
  'prometheus-alertmanager': 'apt-get install prometheus-alertmanager (Debian bookworm ships 0.25)',
} as const;
export type ExternalTool = keyof typeof INSTALL;

/** Absolute path of a Debian-packaged tool; fails the test with the apt-get line when it is missing. */
export function requireTool(tool: ExternalTool): string {
  for (const dir of (process.env['PATH'] ?? '/usr/bin').split(':').concat('/usr/bin')) {
    const candidate = join(dir, tool);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  const which = spawnSync('which', [tool], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return which.stdout.trim();
  return assert.fail(`${tool} is not installed; the end-to-end tests need it: ${INSTALL[tool]}`);
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it; the caller binds it next). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote to stdout and stderr so far. */
  logs(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a process whose output goes to memory and to `logFile` (appended: a restarted process keeps one log). */
export function startProcess(name: string, command: string, args: string[], logFile: string, cwd?: string): ManagedProcess {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const file: WriteStream = createWriteStream(logFile, { flags: 'a' });
  file.write(`--- ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    file.write(chunk);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (error) => {
      output += `spawn error: ${error.message}\n`;
      file.end();
      resolve({ code: -1, signal: null });
    });
    child.once('exit', (code, signal) => {
      file.end(`--- exited code=${code} signal=${signal}\n`);
      resolve({ code, signal });
    });
  });
  return {
    name,
    child,
    exited,
    logs: () => output,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** How the e2e tests poll real processes: every 200 ms, a refused or failed request counting as "not yet". */
export const PROCESS_POLL = { intervalMs: 200, retryErrors: true } satisfies UntilOptions;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
