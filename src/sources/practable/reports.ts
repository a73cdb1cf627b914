// Decoding of the stats frames relay and jump send on their `stats` websocket (practable/relay v0.7.0
// internal/crossbar/crossbar.go, practable/jump v0.4.0 internal/crossbar/crossbar.go ClientReport). A frame is a
// JSON array with one report per connected client. Anything else is malformed: the whole frame is refused (a partial
// snapshot would make the missing clients look disconnected) and nothing changes.
import { parseGoDuration } from './go-format.js';

/** One direction of a relay client's traffic, as relay v0.7.0 reports it. */
export interface StreamStat {
  /** Milliseconds since the last message; undefined when `never`. */
  lastMs?: number;
  never: boolean;
  size?: number;
  fps?: number;
}

export interface RelayReport {
  topic: string;
  scopes: string[];
  canRead?: boolean;
  canWrite?: boolean;
  /** RFC 3339 as sent. */
  connected?: string;
  expiresAt?: string;
  userAgent?: string;
  /** Absent in relay v0.8.0+ (stats were removed): the stream counts as active while it is connected. */
  stats?: { tx?: StreamStat; rx?: StreamStat };
}

export interface JumpReport {
  topic: string;
  scopes: string[];
  connected?: string;
  expiresAt?: string;
  userAgent?: string;
}

export type Decoded<T> = { ok: true; reports: T[] } | { ok: false; reason: 'not_json' | 'not_array' | 'bad_report' };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A key as Go's encoding/json finds a struct field: an exact or case-insensitive match (`Tx`, `Last`, `FPS`), and
 * when several keys match, the last one in the object wins (each is decoded into the same field in turn).
 */
function field(entry: Record<string, unknown>, name: string): unknown {
  const wanted = name.toLowerCase();
  let found: unknown;
  for (const key of Object.keys(entry)) if (key.toLowerCase() === wanted) found = entry[key];
  return found;
}

const optionalString = (value: unknown): string | undefined | null => (value === undefined ? undefined : typeof value === 'string' ? value : null);
const optionalBoolean = (value: unknown): boolean | undefined | null => (value === undefined ? undefined : typeof value === 'boolean' ? value : null);
const optionalNumber = (value: unknown): number | undefined | null =>
  value === undefined ? undefined : typeof value === 'number' && Number.isFinite(value) ? value : null;

/**
 * relay `pkg/status` Statistics.UnmarshalJSON (v0.7.0): `last` is decoded into a string first, so a missing or
 * null `last` — and a null stat — leave it "" and mean never; "never" too; else a Go duration, or a number of
 * nanoseconds.
 */
function decodeStat(value: unknown): StreamStat | null {
  if (value === null) return { never: true };
  if (!isObject(value)) return null;
  const last = field(value, 'last');
  const stat: StreamStat = { never: false };
  if (last === undefined || last === null) stat.never = true;
  else if (typeof last === 'string') {
    const text = last.trim().toLowerCase();
    if (text === 'never' || text === '') stat.never = true;
    else {
      const ms = parseGoDuration(text);
      if (ms === undefined || ms < 0) return null;
      stat.lastMs = ms;
    }
  } else if (typeof last === 'number' && Number.isFinite(last) && last >= 0) {
    stat.lastMs = last / 1e6;
  } else {
    return null;
  }
  // A null number is left at zero by Go's decoder.
  const size = optionalNumber(field(value, 'size') ?? undefined);
  const fps = optionalNumber(field(value, 'fps') ?? undefined);
  if (size === null || fps === null) return null;
  if (size !== undefined) stat.size = size;
  if (fps !== undefined) stat.fps = fps;
  return stat;
}

function decodeCommon(entry: Record<string, unknown>): { topic: string; scopes: string[] } | null {
  const topic = field(entry, 'topic');
  const scopes = field(entry, 'scopes') ?? [];
  if (typeof topic !== 'string' || !Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) return null;
  return { topic, scopes: scopes as string[] };
}

function decodeFrame<T>(text: string, decodeEntry: (entry: Record<string, unknown>) => T | null): Decoded<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  if (!Array.isArray(parsed)) return { ok: false, reason: 'not_array' };
  const reports: T[] = [];
  for (const entry of parsed) {
    const report = isObject(entry) ? decodeEntry(entry) : null;
    if (report === null) return { ok: false, reason: 'bad_report' };
    reports.push(report);
  }
  return { ok: true, reports };
}

/** Decodes a relay stats frame in either format (v0.7.0 with `stats`, v0.8.0+ without). */
export function decodeRelayFrame(text: string): Decoded<RelayReport> {
  return decodeFrame(text, (entry) => {
    const common = decodeCommon(entry);
    if (!common) return null;
    const report: RelayReport = { ...common };
    const canRead = optionalBoolean(field(entry, 'canRead'));
    const canWrite = optionalBoolean(field(entry, 'canWrite'));
    const connected = optionalString(field(entry, 'connected'));
    const expiresAt = optionalString(field(entry, 'expiresAt'));
    const userAgent = optionalString(field(entry, 'userAgent'));
    if (canRead === null || canWrite === null || connected === null || expiresAt === null || userAgent === null) return null;
    if (canRead !== undefined) report.canRead = canRead;
    if (canWrite !== undefined) report.canWrite = canWrite;
    if (connected !== undefined) report.connected = connected;
    if (expiresAt !== undefined) report.expiresAt = expiresAt;
    if (userAgent !== undefined) report.userAgent = userAgent;
    const stats = field(entry, 'stats');
    if (stats !== undefined && stats !== null) {
      if (!isObject(stats)) return null;
      report.stats = {};
      for (const direction of ['tx', 'rx'] as const) {
        const value = field(stats, direction);
        if (value === undefined) continue;
        const stat = decodeStat(value);
        if (stat === null) return null;
        report.stats[direction] = stat;
      }
    }
    return report;
  });
}

/** Decodes a jump stats frame: snake_case keys (jump v0.4.0); camelCase is accepted too. Only topic and scopes matter. */
export function decodeJumpFrame(text: string): Decoded<JumpReport> {
  return decodeFrame(text, (entry) => {
    const common = decodeCommon(entry);
    if (!common) return null;
    const report: JumpReport = { ...common };
    // Informational only: a wrongly typed one is ignored rather than refusing the frame.
    const text = (...keys: string[]): string | undefined => {
      for (const key of keys) if (typeof entry[key] === 'string') return entry[key] as string;
      return undefined;
    };
    const connected = text('connected_at', 'connected');
    const expiresAt = text('expires_at', 'expiresAt');
    const userAgent = text('user_agent', 'userAgent');
    if (connected !== undefined) report.connected = connected;
    if (expiresAt !== undefined) report.expiresAt = expiresAt;
    if (userAgent !== undefined) report.userAgent = userAgent;
    return report;
  });
}

/** relay topic → experiment key: status's regex `([[:alnum:]].*)-st-[[:alnum:]].*` (greedy, first group). */
const STREAM_TOPIC_RE = /([A-Za-z0-9].*)-st-[A-Za-z0-9]/;

export function experimentOfStream(topic: string): string | undefined {
  return STREAM_TOPIC_RE.exec(topic)?.[1];
}

/** Experiment streams are relay clients whose token has the `expt` scope and whose topic has `-st-`. */
export function isExperimentStream(report: RelayReport): boolean {
  return report.scopes.includes('expt') && experimentOfStream(report.topic) !== undefined;
}

/** A jump host connection of an experiment: scope `host`; the topic is the experiment key. */
export function isJumpHost(report: JumpReport): boolean {
  return report.scopes.includes('host');
}
