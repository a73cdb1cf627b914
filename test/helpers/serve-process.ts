// Runs `vigil serve` as a child process and finds its port from the start-up log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface ServeProcess {
  child: ChildProcess;
  base: string;
  /** The fields of the "vigil serving" log line (listen, scheme, state, config, extensions, …). */
  serving: Record<string, unknown>;
  logs: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  cwd?: string;
  timeoutMs?: number;
  /** Runs vigil under `ulimit -n` of this (through sh), as a host with a low open-file limit would. */
  fdLimit?: number;
  /** Runs vigil as this user id (the test must run as root), e.g. to meet file permissions as an operator would. */
  uid?: number;
}

export async function spawnServe(args: string[], options: SpawnOptions = {}): Promise<ServeProcess> {
  const [command, argv] =
    options.fdLimit === undefined
      ? [process.execPath, [CLI, 'serve', ...args]]
      : ['sh', ['-c', `ulimit -n ${options.fdLimit} && exec "$0" "$@"`, process.execPath, CLI, 'serve', ...args]];
  const child = spawn(command, argv, {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined && { uid: options.uid, gid: options.uid }),
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const serving = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`vigil did not start within ${options.timeoutMs ?? 15000} ms:\n${output}`)),
      options.timeoutMs ?? 15_000,
    );
    const look = () => {
      const line = output.split('\n').find((l) => l.includes('"vigil serving"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout!.off('data', look);
      resolve(JSON.parse(line) as Record<string, unknown>);
    };
    child.stdout!.on('data', look);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`vigil exited with ${code} before serving:\n${output}`));
    });
  });
  const { listen, scheme = 'http' } = serving as { listen: string; scheme?: string };
  const base = `${scheme}://127.0.0.1:${listen.slice(listen.lastIndexOf(':') + 1)}`;
  return { child, base, serving, logs: () => output, exited };
}
