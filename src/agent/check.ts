// Runs the agent's check script and turns its outcome into a check result, the Nagios/Sensu way: exit 0 ok,
// 1 warn, 2 crit, anything else (or a timeout) unknown; the first output line is the message. Lines of the form
// `metadata: Key=value` (or `metadata[warning]: Key=value`, level info|warning|error) are metadata about the
// machine (OS, versions, …), sent beside the result; they are never the message.
import { execFile } from 'node:child_process';

export interface ScriptMetadata {
  key: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  /** Set when the value is a number. */
  value?: number;
}

export interface ScriptResult {
  status: 'ok' | 'warn' | 'crit' | 'unknown';
  message: string;
  metadata: ScriptMetadata[];
}

const STATUS_BY_EXIT: Record<number, ScriptResult['status']> = { 0: 'ok', 1: 'warn', 2: 'crit' };
const MAX_MESSAGE = 1024;
const MAX_OUTPUT = 64 * 1024;
/** At most this many metadata entries per run: a runaway script cannot flood vigil. */
const MAX_METADATA = 32;
/** The key rule of the agent protocol (src/sources/agents/protocol.ts). */
const METADATA_LINE = /^metadata(?:\[(info|warning|error)\])?:\s*([A-Za-z][A-Za-z0-9_.-]{0,63})=(.*)$/;

/** Splits script output into metadata lines and the rest. */
export function parseScriptOutput(text: string): { lines: string[]; metadata: ScriptMetadata[] } {
  const lines: string[] = [];
  const byKey = new Map<string, ScriptMetadata>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const match = METADATA_LINE.exec(line);
    if (!match) {
      if (line !== '') lines.push(line);
      continue;
    }
    const [, level, key, rawValue] = match as unknown as [string, ScriptMetadata['level'] | undefined, string, string];
    if (!byKey.has(key) && byKey.size >= MAX_METADATA) continue;
    const message = rawValue.trim().slice(0, MAX_MESSAGE);
    const number = message === '' ? NaN : Number(message);
    byKey.set(key, { key, level: level ?? 'info', message, ...(Number.isFinite(number) && { value: number }) });
  }
  return { lines, metadata: [...byKey.values()] };
}

export function runCheckScript(path: string, timeoutMs: number): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile(path, [], { timeout: timeoutMs, maxBuffer: MAX_OUTPUT, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const out = parseScriptOutput(stdout);
      const firstLine = (lines: string[]) => lines[0]?.slice(0, MAX_MESSAGE);
      const result = (status: ScriptResult['status'], message: string): ScriptResult => ({ status, message, metadata: out.metadata });
      if (!error) return resolve(result('ok', firstLine(out.lines) ?? 'check script exited 0'));
      const failure = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
      if (failure.killed) return resolve({ status: 'unknown', message: `check script did not finish within ${timeoutMs} ms`, metadata: [] });
      if (typeof failure.code !== 'number')
        return resolve({ status: 'unknown', message: `check script could not run: ${failure.code ?? failure.message}`, metadata: [] });
      const status = STATUS_BY_EXIT[failure.code] ?? 'unknown';
      resolve(result(status, firstLine(out.lines) ?? firstLine(parseScriptOutput(stderr).lines) ?? `check script exited ${failure.code}`));
    });
  });
}
