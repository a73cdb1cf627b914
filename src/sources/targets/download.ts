// download: HTTP(S) request with undici — any method and body, status, bytes, time to the last byte, expected status
// codes, body and header conditions (conditions.ts), TLS verification with a per-target CA and client certificate,
// certificate expiry, bounded redirects. A refused connection is a
// reached `crit` like a 500 (the host answered; see connectionFailed in probe.ts); timeout, DNS and no route are not
// reached.
// Header values may be secrets: they are sent, never echoed. Messages carry no URL (it can hold credentials or
// tokens in its query); the subject and check already say what was probed.
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import type { BodyCondition, HeaderCondition } from '../../config/probe-options.js';
import type { DownloadTarget } from '../../config/targets.js';
import { VERSION } from '../../version.js';
import { failedBodyCondition, failedHeaderCondition } from './conditions.js';
import { errorCode, networkReason } from '../reasons.js';
import { connectionFailed, describeFailure, formatSeconds, secondsSince, unreached, type ProbeFactory, type ProbeResult } from './probe.js';
import { earliestCertExpiry, readTargetFile, readUtf8, tlsClientOptions, type ReadFile } from './tls.js';

/** A download target with its files read: what the probe needs at run time. */
export interface PreparedDownload {
  url: string;
  method: DownloadTarget['method'];
  headers: Record<string, string>;
  body?: string;
  /** Never echoed in messages (it may be a token a page must show); expect_body conditions name themselves. */
  bodyContains?: string;
  /** Body bytes read at most; the rest is left on the wire (the connection is dropped). */
  maxBodyBytes: number;
  acceptsStatus: (code: number) => boolean;
  expectBody: BodyCondition[];
  expectHeaders: HeaderCondition[];
  maxRedirects: number;
  dispatcher: Dispatcher;
  /** Expiry of the certificate chain the last TLS connection of this target presented (set by its connector). */
  lastCert: { expiry?: number | undefined };
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

/**
 * One undici Agent per download target, closed with the source. Per target because its connector records the
 * certificate chain each TLS connection presents: a target never overlaps itself, so the last connection's chain
 * is the one of its current run (the final one after redirects).
 */
export class AgentPool {
  private readonly agents: Agent[] = [];

  create(connect: Record<string, unknown>, lastCert: PreparedDownload['lastCert']): Agent {
    // A full handshake per run, like a new client: no TLS session reuse, so a rotated certificate shows at once.
    const connector = buildConnector({ ...connect, timeout: 600_000, maxCachedSessions: 0 });
    const agent = new Agent({
      connect: (options, callback) =>
        connector(options, (error, socket) => {
          if (!error && options.protocol === 'https:') lastCert.expiry = earliestCertExpiry(socket as TLSSocket);
          (callback as (error: Error | null, socket: unknown) => void)(error, socket);
        }),
      // Probes open a fresh connection each time (reset: true), so each one measures connect + TLS like a new client.
      keepAliveTimeout: 1_000,
    });
    this.agents.push(agent);
    return agent;
  }

  async close(): Promise<void> {
    const all = this.agents.splice(0);
    await Promise.all(all.map((agent) => agent.destroy().catch(() => {})));
  }
}

/** Reads the TLS and header files and builds the HTTP client once, at source creation. */
export const createDownloadProbe: ProbeFactory<DownloadTarget, { agents: AgentPool; readFile?: ReadFile | undefined }> = (target, context) => {
  const prepared = prepareDownload(target, context.agents, context.readFile);
  return (signal) => probeDownload(prepared, signal);
};

/** Reads the TLS and header files once, at source creation; a missing file is a start-up error naming the key. */
export function prepareDownload(target: DownloadTarget, agents: AgentPool, readFile: ReadFile = readUtf8): PreparedDownload {
  const headers: Record<string, string> = { ...target.headers };
  for (const [name, file] of Object.entries(target.header_files ?? {})) {
    headers[name] = readTargetFile(target, `header_files.${name}`, file, readFile).replace(/\r?\n$/, '');
  }
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'user-agent')) headers['user-agent'] = DEFAULT_USER_AGENT;
  const connect: Record<string, unknown> = { ...tlsClientOptions(target, readFile) };
  if (target.ip_family !== 'any') connect['family'] = Number(target.ip_family);
  const lastCert: PreparedDownload['lastCert'] = {};
  const prepared: PreparedDownload = {
    url: target.url,
    method: target.method,
    headers,
    acceptsStatus: statusMatcher(target.expected_status),
    expectBody: target.expect_body,
    expectHeaders: target.expect_headers,
    maxRedirects: target.follow_redirects ? target.max_redirects : 0,
    maxBodyBytes: target.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES,
    dispatcher: agents.create(connect, lastCert),
    lastCert,
  };
  if (target.body !== undefined) prepared.body = target.body;
  if (target.body_contains !== undefined) prepared.bodyContains = target.body_contains;
  return prepared;
}

const DEFAULT_USER_AGENT = `vigil/${VERSION} (probe)`;
/** The config's default `max_body_bytes` (4 MiB): a probe answers "is it served", it is not a download manager. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
/** Redirects that repeat the method and body (RFC 9110 §15.4); the others continue with GET. */
const KEEPS_METHOD = new Set([307, 308]);
/** The most of a body kept for expect_body; bytes past it are counted, not inspected. */
export const INSPECTED_BODY_BYTES = 1024 * 1024;

/** The configured User-Agent (header names are case-insensitive), the one header safe to carry across origins. */
function userAgent(headers: Record<string, string>): string {
  const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === 'user-agent');
  return entry?.[1] ?? DEFAULT_USER_AGENT;
}

export async function probeDownload(target: PreparedDownload, signal: AbortSignal): Promise<ProbeResult> {
  const startedAt = performance.now();
  let url = new URL(target.url);
  let headers = target.headers;
  let redirects = 0;
  let answered = false; // a status line came back: from here on a failure is a bad answer, not unreachability
  let bytes = 0;
  let statusCode = 0;
  target.lastCert.expiry = undefined;
  const metrics = (): ProbeResult['metrics'] => {
    const out: ProbeResult['metrics'] = { duration_seconds: secondsSince(startedAt), response_bytes: bytes };
    if (statusCode) out.http_status_code = statusCode;
    if (target.lastCert.expiry !== undefined) out.tls_cert_expiry_timestamp_seconds = target.lastCert.expiry;
    return out;
  };
  const crit = (reason: ProbeResult['reason'], message: string): ProbeResult => ({
    reached: true,
    status: 'crit',
    reason,
    message,
    metrics: metrics(),
  });
  try {
    for (;;) {
      const response = await request(url, {
        method: redirects > 0 && !KEEPS_METHOD.has(statusCode) ? 'GET' : target.method,
        headers,
        ...(target.body !== undefined && (redirects === 0 || KEEPS_METHOD.has(statusCode)) ? { body: target.body } : {}),
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
      const keep = target.expectBody.length > 0 || target.bodyContains !== undefined;
      const body = await readBody(response.body, keep, target.maxBodyBytes, (count) => (bytes += count));
      const seconds = secondsSince(startedAt);
      const after = redirects > 0 ? ` after ${redirects} redirect${redirects > 1 ? 's' : ''}` : '';
      const cut = bytes >= target.maxBodyBytes ? ` (stopped at max_body_bytes)` : '';
      const summary = `HTTP ${statusCode}, ${bytes} bytes${cut} in ${formatSeconds(seconds)}${after}`;
      if (!target.acceptsStatus(statusCode)) return crit('status', `${summary}: status not expected`);
      const header = (name: string): string | undefined => {
        const value = response.headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(', ') : value;
      };
      const failedHeader = failedHeaderCondition(target.expectHeaders, header);
      if (failedHeader) return crit('header', `${summary}: failed: ${failedHeader}`);
      if (body !== undefined && target.bodyContains !== undefined && !body.includes(target.bodyContains)) {
        return crit('body', `${summary}: body does not contain the expected text`);
      }
      const failedBody = body === undefined ? undefined : failedBodyCondition(target.expectBody, body);
      if (failedBody) return crit('body', `${summary}: failed: ${failedBody}`);
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
    const reason = networkReason(error);
    if (reason === 'tls') return crit('tls', `TLS failed: ${code}`);
    if (answered) return crit(reason ?? 'reset', `HTTP ${statusCode} but the body failed: ${code ?? 'connection lost'}`);
    if (reason) return connectionFailed(reason, `no answer: ${describeFailure(reason, code)}`, metrics());
    // An error undici raised about the response itself (malformed HTTP, ...): the peer answered wrongly.
    return crit('reset', `bad HTTP answer: ${code ?? 'unparsable response'}`);
  }
}

/**
 * Counts the body, reading at most `limit` bytes (leaving the loop destroys the body, so the rest is never
 * downloaded); keeps its first INSPECTED_BODY_BYTES as text when conditions need it (undefined otherwise).
 */
async function readBody(body: AsyncIterable<Buffer>, keep: boolean, limit: number, count: (bytes: number) => void): Promise<string | undefined> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let read = 0;
  for await (const whole of body) {
    const chunk = read + whole.length > limit ? whole.subarray(0, limit - read) : whole;
    read += chunk.length;
    count(chunk.length);
    if (keep && keptBytes < INSPECTED_BODY_BYTES) {
      const part = chunk.subarray(0, INSPECTED_BODY_BYTES - keptBytes);
      kept.push(part);
      keptBytes += part.length;
    }
    if (read >= limit) break;
  }
  return keep ? Buffer.concat(kept).toString('utf8') : undefined;
}
