// download: HTTP(S) request with undici — status, bytes, time to the last byte, expected status codes,
// optional body substring, TLS verification with a per-target CA, bounded redirects. A refused connection is a
// reached `crit` like a 500 (the host answered; see connectionFailed in probe.ts); timeout, DNS and no route are not
// reached.
// Header values may be secrets: they are sent, never echoed. Messages carry no URL (it can hold credentials or
// tokens in its query); the subject and check already say what was probed.
import { readFileSync } from 'node:fs';
import { Agent, request, type Dispatcher } from 'undici';
import type { DownloadTarget } from '../../config/targets.js';
import { VERSION } from '../../version.js';
import { connectionFailed, errorCode, formatSeconds, networkReason, secondsSince, unreached, type ProbeReason, type ProbeResult } from './probe.js';

/** A download target with its files read: what the probe needs at run time. */
export interface PreparedDownload {
  url: string;
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  acceptsStatus: (code: number) => boolean;
  bodyContains?: string;
  /** Body bytes read at most; the rest is left on the wire (the connection is dropped). */
  maxBodyBytes: number;
  maxRedirects: number;
  dispatcher: Dispatcher;
}

/** Turns `expected_status` entries (200, "2xx", "200-204") into one predicate. */
export function statusMatcher(specs: ReadonlyArray<number | string>): (code: number) => boolean {
  const ranges = specs.map((spec): [number, number] => {
    if (typeof spec === 'number') return [spec, spec];
    if (spec.endsWith('xx')) {
      const base = Number(spec[0]) * 100;
      return [base, base + 99];
    }
    const [low, high] = spec.split('-').map(Number);
    return [low!, high ?? low!];
  });
  return (code) => ranges.some(([low, high]) => code >= low && code <= high);
}

/** undici Agents per distinct TLS setting, shared by the targets of one source and closed with it. */
export class AgentPool {
  private readonly agents = new Map<string, Agent>();

  get(ca: string | undefined, insecure: boolean): Agent {
    const key = `${insecure}\u0000${ca ?? ''}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({
        connect: { ca, rejectUnauthorized: !insecure, timeout: 600_000 },
        // Probes open a fresh connection each time (reset: true), so each one measures connect + TLS like a new client.
        keepAliveTimeout: 1_000,
      });
      this.agents.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    const all = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(all.map((agent) => agent.destroy().catch(() => {})));
  }
}

/** Reads `ca_file` and `header_files` once, at source creation; a missing file is a start-up error naming the key. */
export function prepareDownload(
  target: Pick<DownloadTarget, 'name' | 'url' | 'method' | 'headers' | 'header_files' | 'expected_status' | 'body_contains' | 'max_redirects' | 'ca_file' | 'insecure_skip_verify'> &
    Partial<Pick<DownloadTarget, 'max_body_bytes'>>,
  agents: AgentPool,
  readFile: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): PreparedDownload {
  const read = (file: string, key: string): string => {
    try {
      return readFile(file);
    } catch (error) {
      throw new Error(`target ${target.name}: cannot read ${key} ${file}: ${errorCode(error) ?? (error as Error).message}`);
    }
  };
  const headers: Record<string, string> = { ...target.headers };
  for (const [name, file] of Object.entries(target.header_files ?? {})) {
    headers[name] = read(file, `header_files.${name}`).replace(/\r?\n$/, '');
  }
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'user-agent')) headers['user-agent'] = DEFAULT_USER_AGENT;
  const ca = target.ca_file ? read(target.ca_file, 'ca_file') : undefined;
  const prepared: PreparedDownload = {
    url: target.url,
    method: target.method,
    headers,
    acceptsStatus: statusMatcher(target.expected_status),
    maxRedirects: target.max_redirects,
    maxBodyBytes: target.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES,
    dispatcher: agents.get(ca, target.insecure_skip_verify),
  };
  if (target.body_contains !== undefined) prepared.bodyContains = target.body_contains;
  return prepared;
}

const DEFAULT_USER_AGENT = `vigil/${VERSION} (probe)`;
/** The config's default `max_body_bytes` (4 MiB): a probe answers "is it served", it is not a download manager. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

/** The configured User-Agent (header names are case-insensitive), the one header safe to carry across origins. */
function userAgent(headers: Record<string, string>): string {
  const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === 'user-agent');
  return entry?.[1] ?? DEFAULT_USER_AGENT;
}

/** Words for the connection failures whose error code says little to a reader. */
const CONNECT_FAILURES: Partial<Record<ProbeReason, string>> = { dns: 'host name did not resolve', refused: 'connection refused' };

function isTlsError(code: string | undefined): boolean {
  return code !== undefined && (/^ERR_(SSL|TLS)_/.test(code) || /CERT|SELF_SIGNED|UNABLE_TO_|^EPROTO$/.test(code));
}

export async function probeDownload(target: PreparedDownload, signal: AbortSignal): Promise<ProbeResult> {
  const startedAt = performance.now();
  let url = new URL(target.url);
  let headers = target.headers;
  let redirects = 0;
  let answered = false; // a status line came back: from here on a failure is a bad answer, not unreachability
  let bytes = 0;
  let statusCode = 0;
  const metrics = (): ProbeResult['metrics'] => {
    const out: ProbeResult['metrics'] = { duration_seconds: secondsSince(startedAt), response_bytes: bytes };
    if (statusCode) out.http_status_code = statusCode;
    return out;
  };
  const crit = (reason: ProbeResult['reason'], message: string): ProbeResult => ({ reached: true, status: 'crit', reason, message, metrics: metrics() });
  try {
    for (;;) {
      const response = await request(url, {
        method: target.method,
        headers,
        signal,
        dispatcher: target.dispatcher,
        reset: true,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      answered = true;
      statusCode = response.statusCode;
      const location = response.headers.location;
      if (REDIRECT_CODES.has(statusCode) && typeof location === 'string' && target.maxRedirects > 0) {
        await response.body.dump();
        if (redirects >= target.maxRedirects) return crit('redirects', `more than ${target.maxRedirects} redirects (last HTTP ${statusCode})`);
        const next = new URL(location, url);
        // Configured headers may be credentials meant for the first origin: never carry them to another one.
        if (next.origin !== url.origin) headers = { 'user-agent': userAgent(target.headers) };
        url = next;
        redirects++;
        continue;
      }
      bytes = 0;
      const found = await readBody(response.body, target.bodyContains, target.maxBodyBytes, (count) => (bytes += count));
      const seconds = secondsSince(startedAt);
      const after = redirects > 0 ? ` after ${redirects} redirect${redirects > 1 ? 's' : ''}` : '';
      const cut = bytes >= target.maxBodyBytes ? ` (stopped at max_body_bytes)` : '';
      const summary = `HTTP ${statusCode}, ${bytes} bytes${cut} in ${formatSeconds(seconds)}${after}`;
      if (!target.acceptsStatus(statusCode)) return crit('status', `${summary}: status not expected`);
      if (found === false) return crit('body', `${summary}: body does not contain the expected text`);
      return { reached: true, status: 'ok', message: summary, metrics: metrics() };
    }
  } catch (error) {
    const seconds = formatSeconds(secondsSince(startedAt));
    if (signal.aborted) {
      return answered
        ? crit('timeout', `HTTP ${statusCode} but the body did not finish within ${seconds} (${bytes} bytes read)`)
        : unreached('timeout', `no answer within ${seconds}`, metrics());
    }
    const code = errorCode(error);
    if (isTlsError(code)) return crit('tls', `TLS failed: ${code}`);
    const reason = networkReason(error);
    if (answered) return crit(reason ?? 'reset', `HTTP ${statusCode} but the body failed: ${code ?? 'connection lost'}`);
    if (reason) return connectionFailed(reason, `no answer: ${CONNECT_FAILURES[reason] ?? code ?? reason}`, metrics());
    // An error undici raised about the response itself (malformed HTTP, ...): the peer answered wrongly.
    return crit('reset', `bad HTTP answer: ${code ?? 'unparsable response'}`);
  }
}

/**
 * Counts the body and looks for `needle` across chunk boundaries without holding the body in memory, reading at
 * most `limit` bytes (leaving the loop destroys the body, so the rest is never downloaded).
 * Returns true/false when there was a needle, undefined otherwise.
 */
async function readBody(body: AsyncIterable<Buffer>, needle: string | undefined, limit: number, count: (bytes: number) => void): Promise<boolean | undefined> {
  const wanted = needle === undefined ? undefined : Buffer.from(needle, 'utf8');
  let found = false;
  let read = 0;
  let tail: Buffer = Buffer.alloc(0);
  for await (const whole of body) {
    const chunk = read + whole.length > limit ? whole.subarray(0, limit - read) : whole;
    read += chunk.length;
    count(chunk.length);
    if (wanted && !found) {
      const window = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      if (window.indexOf(wanted) !== -1) found = true;
      else tail = window.subarray(Math.max(0, window.length - (wanted.length - 1)));
    }
    if (read >= limit) break;
  }
  return wanted ? found : undefined;
}
