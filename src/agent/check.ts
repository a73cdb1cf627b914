// Runs the agent's check script and turns its outcome into a check result, the Nagios/Sensu way: exit 0 ok,
// 1 warn, 2 crit, anything else (or a timeout) unknown; the first line of its output is the message.
import { execFile } from 'node:child_process';

export interface ScriptResult {
  status: 'ok' | 'warn' | 'crit' | 'unknown';
  message: string;
}

const STATUS_BY_EXIT: Record<number, ScriptResult['status']> = { 0: 'ok', 1: 'warn', 2: 'crit' };
const MAX_MESSAGE = 1024;
const MAX_OUTPUT = 64 * 1024;

export function runCheckScript(path: string, timeoutMs: number): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile(path, [], { timeout: timeoutMs, maxBuffer: MAX_OUTPUT, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const firstLine = (text: string) => text.split('\n').find((line) => line.trim() !== '')?.trim().slice(0, MAX_MESSAGE);
      if (!error) return resolve({ status: 'ok', message: firstLine(stdout) ?? 'check script exited 0' });
      const failure = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
      if (failure.killed) return resolve({ status: 'unknown', message: `check script did not finish within ${timeoutMs} ms` });
      if (typeof failure.code !== 'number') return resolve({ status: 'unknown', message: `check script could not run: ${failure.code ?? failure.message}` });
      const status = STATUS_BY_EXIT[failure.code] ?? 'unknown';
      resolve({ status, message: firstLine(stdout) ?? firstLine(stderr) ?? `check script exited ${failure.code}` });
    });
  });
}
