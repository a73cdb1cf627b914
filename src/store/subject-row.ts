// The stored form of a subject row, shared by both stores (docs/store.md, "Subject rows").
//
// A subject's state written as JSON with its field names is ~2.5 KB for a host with five checks: writing it was
// the largest part of a flush at 100,000 subjects (JSON.stringify ~17 µs, and one row per 4 KiB SQLite page). The
// compact form is a JSON array with the fields in a fixed order (checks, their timing and run records as arrays
// too): ~0.7 KB, built as text directly (~5 µs), several rows to a page. It loses nothing: decoding gives back an
// object deep-equal to the one written. Rows written as objects by earlier versions are read as they are.
//
// Positions are the stored format: never reorder or remove a field, append new ones at the end (an older row is
// shorter, and a missing or null position reads as an absent optional field).
import type {
  CheckState,
  CheckStatus,
  Connectivity,
  Health,
  Manipulation,
  MetadataEntry,
  NotCounted,
  RunRecord,
  SubjectSpec,
  SubjectState,
} from '../engine/types.js';

/** First element of a compact row: its format version. */
const COMPACT = 1;

/**
 * The order of the fields after that marker. The type checks below fail to compile when a field of the engine's
 * types is not listed; the round-trip test sets every listed field, so the encoder and decoder must carry it.
 */
export const SUBJECT_FIELDS = [
  'spec',
  'createdAt',
  'firstSeenAt',
  'appearanceSince',
  'appeared',
  'manipulations',
  'checks',
  'health',
  'healthChangedAt',
  'healthChanges',
  'connectivityChanges',
  'warnings',
  'metadata',
  'specVersion',
  'stateVersion',
  'renamedAt',
  'renamedFrom',
  'lastSeenAt',
  'connectivity',
  'connectivityChangedAt',
  'runs',
  'healthReason',
  'connectivityReason',
  'pendingUnavailable',
  'nextDeadline',
] as const;
/** A check's fields in its array (its name is the key it is stored under); `timing` is [freshness, overhead, accuracy, pushPeriod]. */
export const CHECK_FIELDS = [
  'source',
  'reported',
  'period',
  'timing',
  'receivedAt',
  'statusChangedAt',
  'consecutiveFailures',
  'consecutiveSuccesses',
  'expiresAt',
  'effectiveAt',
  'status',
  'counted',
  'dropped',
  'notCountedReason',
  'notCounted',
  'message',
  'maxAge',
  'observedAt',
  'metrics',
] as const;

type Unlisted<T, Listed> = Exclude<keyof T, Listed>;
const subjectFieldsListed: [Unlisted<SubjectState, (typeof SUBJECT_FIELDS)[number]>] extends [never] ? true : never = true;
const checkFieldsListed: [Unlisted<CheckState, (typeof CHECK_FIELDS)[number] | 'name'>] extends [never] ? true : never = true;
/** A run record is [total, last] (`last` as it is). */
const RUN_FIELDS = ['total', 'last'] as const;
const runFieldsListed: [Unlisted<RunRecord, (typeof RUN_FIELDS)[number]>] extends [never] ? true : never = true;
void [subjectFieldsListed, checkFieldsListed, runFieldsListed];

const json = JSON.stringify;
/** A number, or null for an absent one (JSON.stringify also writes null for NaN and ±Infinity: the text stays JSON). */
const num = (value: number | undefined): string => (value !== undefined && Number.isFinite(value) ? `${value}` : 'null');
const str = (value: string | undefined): string => (value === undefined ? 'null' : json(value));
const obj = (value: object | undefined): string => (value === undefined ? 'null' : json(value));
const bool = (value: boolean): string => (value ? '1' : '0');

/** The compact text of a subject's state. */
export function encodeSubject(s: SubjectState): string {
  // Own keys only, as JSON.stringify takes them.
  let checks = '';
  for (const name of Object.keys(s.checks)) checks += `${checks === '' ? '' : ','}${json(name)}:${encodeCheck(s.checks[name]!)}`;
  let runs = 'null';
  if (s.runs !== undefined) {
    runs = '';
    for (const name of Object.keys(s.runs)) runs += `${runs === '' ? '' : ','}${json(name)}:${encodeRuns(s.runs[name]!)}`;
    runs = `{${runs}}`;
  }
  return (
    `[${COMPACT},${json(s.spec)},${num(s.createdAt)},${num(s.firstSeenAt)},${num(s.appearanceSince)},${bool(s.appeared)},` +
    `${json(s.manipulations)},{${checks}},${str(s.health)},${num(s.healthChangedAt)},${num(s.healthChanges)},` +
    `${num(s.connectivityChanges)},${num(s.warnings)},${json(s.metadata)},${num(s.specVersion)},${num(s.stateVersion)},` +
    `${num(s.renamedAt)},${str(s.renamedFrom)},${num(s.lastSeenAt)},${str(s.connectivity)},${num(s.connectivityChangedAt)},` +
    `${runs},${str(s.healthReason)},${str(s.connectivityReason)},${obj(s.pendingUnavailable)},${num(s.nextDeadline)}]`
  );
}

function encodeCheck(c: CheckState): string {
  const t = c.timing;
  let text =
    `[${str(c.source)},${str(c.reported)},${num(c.period)},[${num(t.freshness)},${num(t.overhead)},${num(t.accuracy)},${num(t.pushPeriod)}],` +
    `${num(c.receivedAt)},${num(c.statusChangedAt)},${num(c.consecutiveFailures)},${num(c.consecutiveSuccesses)},` +
    `${num(c.expiresAt)},${num(c.effectiveAt)},${str(c.status)},${bool(c.counted)},${bool(c.dropped)}`;
  // The optional tail only when one of its fields is there (most checks have none of them).
  if (
    c.notCountedReason !== undefined ||
    c.notCounted !== undefined ||
    c.message !== undefined ||
    c.maxAge !== undefined ||
    c.observedAt !== undefined ||
    c.metrics !== undefined
  ) {
    text += `,${str(c.notCountedReason)},${obj(c.notCounted)},${str(c.message)},${num(c.maxAge)},${num(c.observedAt)},${obj(c.metrics)}`;
  }
  return `${text}]`;
}

function encodeRuns(record: RunRecord): string {
  return `[${num(record.total)},${json(record.last)}]`;
}

/** True for a compact row (a JSON array); an object is a row in the earlier, named-field form. */
export function isCompactSubject(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

/** The state a compact row holds. Throws (TypeError or Error) on a row that is not one; the caller names the row. */
export function decodeSubject(row: unknown[]): SubjectState {
  if (row[0] !== COMPACT) throw new Error(`unknown subject row format ${json(row[0])}`);
  const r = row as SubjectTuple;
  const subject: SubjectState = {
    spec: objectAt<SubjectSpec>(r[1]),
    createdAt: r[2],
    firstSeenAt: r[3],
    appearanceSince: r[4],
    appeared: r[5] === 1,
    manipulations: objectAt<Record<string, Manipulation>>(r[6]),
    checks: decodeChecks(objectAt<Record<string, CheckTuple>>(r[7])),
    health: r[8],
    healthChangedAt: r[9],
    healthChanges: r[10],
    connectivityChanges: r[11],
    warnings: r[12],
    metadata: objectAt<Record<string, MetadataEntry>>(r[13]),
    specVersion: r[14],
    stateVersion: r[15],
  };
  if (r[16] != null) subject.renamedAt = r[16];
  if (r[17] != null) subject.renamedFrom = r[17];
  if (r[18] != null) subject.lastSeenAt = r[18];
  if (r[19] != null) subject.connectivity = r[19];
  if (r[20] != null) subject.connectivityChangedAt = r[20];
  if (r[21] != null) subject.runs = decodeRuns(objectAt<Record<string, RunTuple>>(r[21]));
  if (r[22] != null) subject.healthReason = r[22];
  if (r[23] != null) subject.connectivityReason = r[23];
  if (r[24] != null) subject.pendingUnavailable = r[24];
  if (r[25] != null) subject.nextDeadline = r[25];
  return subject;
}

type Nullable<T> = T | null | undefined;
type SubjectTuple = [
  marker: number,
  spec: unknown,
  createdAt: number,
  firstSeenAt: number,
  appearanceSince: number,
  appeared: number,
  manipulations: unknown,
  checks: unknown,
  health: Health,
  healthChangedAt: number,
  healthChanges: number,
  connectivityChanges: number,
  warnings: number,
  metadata: unknown,
  specVersion: number,
  stateVersion: number,
  renamedAt: Nullable<number>,
  renamedFrom: Nullable<string>,
  lastSeenAt: Nullable<number>,
  connectivity: Nullable<Connectivity>,
  connectivityChangedAt: Nullable<number>,
  runs: unknown,
  healthReason: Nullable<string>,
  connectivityReason: Nullable<string>,
  pendingUnavailable: Nullable<{ at: number; reason?: string }>,
  nextDeadline: Nullable<number>,
];
type CheckTuple = [
  source: string,
  reported: CheckStatus,
  period: number,
  timing: [number, number, number, number],
  receivedAt: number,
  statusChangedAt: number,
  consecutiveFailures: number,
  consecutiveSuccesses: number,
  expiresAt: number,
  effectiveAt: number,
  status: CheckStatus,
  counted: number,
  dropped: number,
  notCountedReason?: string | null,
  notCounted?: NotCounted | null,
  message?: string | null,
  maxAge?: number | null,
  observedAt?: number | null,
  metrics?: Record<string, number> | null,
];
type RunTuple = [total: number, last: unknown];

function objectAt<T>(value: unknown): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`expected an object, found ${json(value)}`);
  return value as T;
}

function decodeChecks(stored: Record<string, CheckTuple>): Record<string, CheckState> {
  const checks: Record<string, CheckState> = {};
  for (const name in stored) {
    const c = stored[name]!;
    const t = c[3];
    if (!Array.isArray(c) || !Array.isArray(t)) throw new Error(`check ${json(name)} is not a compact check`);
    const check: CheckState = {
      name,
      source: c[0],
      reported: c[1],
      period: c[2],
      timing: { freshness: t[0], overhead: t[1], accuracy: t[2], pushPeriod: t[3] },
      receivedAt: c[4],
      statusChangedAt: c[5],
      consecutiveFailures: c[6],
      consecutiveSuccesses: c[7],
      expiresAt: c[8],
      effectiveAt: c[9],
      status: c[10],
      counted: c[11] === 1,
      dropped: c[12] === 1,
    };
    if (c[13] != null) check.notCountedReason = c[13];
    if (c[14] != null) check.notCounted = c[14];
    if (c[15] != null) check.message = c[15];
    if (c[16] != null) check.maxAge = c[16];
    if (c[17] != null) check.observedAt = c[17];
    if (c[18] != null) check.metrics = c[18];
    setOwn(checks, name, check);
  }
  return checks;
}

function decodeRuns(stored: Record<string, RunTuple>): Record<string, RunRecord> {
  const runs: Record<string, RunRecord> = {};
  for (const name in stored) {
    const r = stored[name]!;
    if (!Array.isArray(r)) throw new Error(`run record ${json(name)} is not an array`);
    // `last` as JSON.parse made it: an object of exactly its keys (built key by key it would take more memory).
    setOwn(runs, name, { total: r[0], last: objectAt<RunRecord['last']>(r[1]) });
  }
  return runs;
}

/** `target[key] = value` as JSON.parse does it: a key `__proto__` becomes an own property, not the prototype. */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
