// What the status page shows, as data: counts over every subject, then the subjects that pass the filters, ordered
// broken first inside groups that hold broken subjects first, cut into pages. Pure: state, windows, query, now in.
import { HEALTH_STATES, type CheckState, type EngineState, type Health, type SubjectState } from '../engine/types.js';
import type { Maintenance } from '../maintenance/registry.js';
import type { MaintenanceWindow } from '../maintenance/windows.js';

export const PAGE_SIZE = 100;
export const STATE_FILTERS = ['all', 'broken', ...HEALTH_STATES, 'unavailable', 'maintenance', 'warnings'] as const;
export type StateFilter = (typeof STATE_FILTERS)[number];

export interface StatusQuery {
  q: string;
  kind: string;
  /** `key=value`, or `key` for "has the label". */
  label: string;
  state: StateFilter;
  /** `kind`, `none` or a label name. */
  group: string;
  page: number;
}

export interface Row {
  subject: SubjectState;
  id: string;
  /** Sort key: group position × 16 + rank. */
  order: number;
  group: string;
  /** Lower is worse; see rankOf. */
  rank: number;
  broken: boolean;
  maintenance: MaintenanceWindow | undefined;
  /** Filled in for the rows of the page only. */
  failing: CheckState[];
}

export interface Counts {
  total: number;
  health: Record<Health, number>;
  available: number;
  unavailable: number;
  maintenance: number;
  warnings: number;
}

export interface StatusModel {
  counts: Counts;
  matched: number;
  page: number;
  pages: number;
  groups: { name: string; rows: Row[] }[];
  kinds: string[];
  labelKeys: string[];
}

const first = (value: unknown): string => (Array.isArray(value) ? first(value[0]) : typeof value === 'string' ? value : '');

export function parseStatusQuery(query: Record<string, unknown>): StatusQuery {
  const state = first(query['state']);
  const page = Number.parseInt(first(query['page']), 10);
  return {
    q: first(query['q']).trim().slice(0, 200),
    kind: first(query['kind']).slice(0, 64),
    label: first(query['label']).trim().slice(0, 200),
    state: (STATE_FILTERS as readonly string[]).includes(state) ? (state as StateFilter) : 'all',
    group: first(query['group']).slice(0, 64) || 'kind',
    page: Number.isSafeInteger(page) && page > 0 ? page : 1,
  };
}

/** Checks worth showing in a list: anything not ok, while the check counts or has gone stale. */
export const failingChecks = (subject: SubjectState): CheckState[] =>
  Object.values(subject.checks).filter((check) => !check.dropped && check.status !== 'ok');

/**
 * 0 unhealthy, 1 missing, 2 unavailable (the broken ones), 3 unknown, 4 pending, 5 warnings, 6 maintenance,
 * 7 healthy. Unknown is not broken: nothing counts (stale, suppressed by a dependency) — it is shown next.
 */
const BROKEN_RANK = 2;
function rankOf(subject: SubjectState, inMaintenance: boolean): number {
  if (inMaintenance) return 6;
  if (subject.health === 'unhealthy') return 0;
  if (subject.health === 'missing') return 1;
  if (subject.connectivity === 'unavailable') return 2;
  if (subject.health === 'unknown') return 3;
  if (subject.health === 'pending') return 4;
  return subject.warnings > 0 ? 5 : 7;
}

function passesState(row: Row, state: StateFilter): boolean {
  const subject = row.subject;
  switch (state) {
    case 'all':
      return true;
    case 'broken':
      return row.broken;
    case 'unavailable':
      return subject.connectivity === 'unavailable';
    case 'maintenance':
      return row.maintenance !== undefined;
    case 'warnings':
      return subject.warnings > 0;
    default:
      return subject.health === state;
  }
}

function passesSearch(row: Row, needle: string): boolean {
  const spec = row.subject.spec;
  if (spec.id.toLowerCase().includes(needle) || spec.kind.toLowerCase().includes(needle)) return true;
  for (const [key, value] of Object.entries(spec.labels)) if (`${key}=${value}`.toLowerCase().includes(needle)) return true;
  for (const name in row.subject.checks) {
    const check = row.subject.checks[name]!;
    if (check.dropped || check.status === 'ok') continue;
    if (name.toLowerCase().includes(needle) || (check.message ?? '').toLowerCase().includes(needle)) return true;
  }
  return false;
}

function passesLabel(subject: SubjectState, label: string): boolean {
  const at = label.indexOf('=');
  if (at < 0) return label in subject.spec.labels;
  return subject.spec.labels[label.slice(0, at).trim()] === label.slice(at + 1).trim();
}

export function groupOf(subject: SubjectState, group: string): string {
  if (group === 'kind') return subject.spec.kind;
  if (group === 'none') return 'all subjects';
  return subject.spec.labels[group] ?? `(no ${group})`;
}

/** What orders a row: its group, its rank inside the group, its id. */
interface Ranked {
  id: string;
  group: string;
  rank: number;
  /** Sort key, set by `arrange`: group position × 16 + rank. */
  order: number;
}

const byOrderThenId = (a: Ranked, b: Ranked): number => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const emptyCounts = (): Counts => ({
  total: 0,
  health: { healthy: 0, unhealthy: 0, unknown: 0, pending: 0, missing: 0 },
  available: 0,
  unavailable: 0,
  maintenance: 0,
  warnings: 0,
});

/** Labels offered as filters at most (a fleet with a label per host would flood the menu). */
const MAX_LABEL_KEYS = 100;

/** Counts over every subject, and the rows that pass the filters, in no order yet. */
function scan(subjects: Iterable<SubjectState>, maintenance: Maintenance, query: StatusQuery, now: number) {
  const counts = emptyCounts();
  const kinds = new Set<string>();
  const labelKeys = new Set<string>();
  const open = maintenance.openAt(now);
  const needle = query.q.toLowerCase();
  const rows: Row[] = [];

  for (const subject of subjects) {
    const window = open.length > 0 ? maintenance.openFor(subject.spec, now, open) : undefined;
    counts.total++;
    counts.health[subject.health]++;
    if (subject.connectivity === 'available') counts.available++;
    if (subject.connectivity === 'unavailable') counts.unavailable++;
    if (window) counts.maintenance++;
    if (subject.warnings > 0) counts.warnings++;
    kinds.add(subject.spec.kind);
    if (labelKeys.size < MAX_LABEL_KEYS) for (const key in subject.spec.labels) labelKeys.add(key);

    if (query.kind !== '' && subject.spec.kind !== query.kind) continue;
    if (query.label !== '' && !passesLabel(subject, query.label)) continue;
    const row = fullRow(subject, groupOf(subject, query.group), window);
    if (!passesState(row, query.state) || (needle !== '' && !passesSearch(row, needle))) continue;
    rows.push(row);
  }
  return { counts, kinds, labelKeys, rows };
}

function fullRow(subject: SubjectState, group: string, window: MaintenanceWindow | undefined): Row {
  const rank = rankOf(subject, window !== undefined);
  return { subject, id: subject.spec.id, order: 0, group, rank, broken: rank <= BROKEN_RANK, maintenance: window, failing: [] };
}

/** Groups with broken subjects first (most broken first), then by name; inside a group, worst first, then by id. */
function arrange<R extends Ranked>(
  rows: R[],
  requestedPage: number,
  pageSize: number,
): { matched: number; page: number; pages: number; onPage: R[] } {
  const brokenPerGroup = new Map<string, number>();
  for (const row of rows) if (row.rank <= BROKEN_RANK) brokenPerGroup.set(row.group, (brokenPerGroup.get(row.group) ?? 0) + 1);
  const groupNames = [...new Set(rows.map((row) => row.group))];
  groupNames.sort((a, b) => (brokenPerGroup.get(b) ?? 0) - (brokenPerGroup.get(a) ?? 0) || (a < b ? -1 : 1));
  const groupOrder = new Map(groupNames.map((name, index) => [name, index]));
  // One number per row (group, then rank) so the comparator does no lookups; ids break ties.
  for (const row of rows) row.order = groupOrder.get(row.group)! * 16 + row.rank;
  rows.sort(byOrderThenId);
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  const page = Math.min(requestedPage, pages);
  return { matched: rows.length, page, pages, onPage: rows.slice((page - 1) * pageSize, page * pageSize) };
}

/** The page's rows in runs of one group, with the checks each row shows. */
function grouped(rows: Row[]): StatusModel['groups'] {
  const groups: StatusModel['groups'] = [];
  for (const row of rows) {
    row.failing = failingChecks(row.subject);
    const last = groups[groups.length - 1];
    if (last?.name === row.group) last.rows.push(row);
    else groups.push({ name: row.group, rows: [row] });
  }
  return groups;
}

export function buildStatus(state: EngineState, maintenance: Maintenance, query: StatusQuery, now: number, pageSize = PAGE_SIZE): StatusModel {
  const { counts, kinds, labelKeys, rows } = scan(state.subjects.values(), maintenance, query, now);
  const { matched, page, pages, onPage } = arrange(rows, query.page, pageSize);
  return { counts, matched, page, pages, groups: grouped(onPage), kinds: [...kinds].sort(), labelKeys: [...labelKeys].sort() };
}

/** A row of a part: what orders it, without its subject (which stays with its owner until its page is shown). */
export interface PartRow {
  id: string;
  group: string;
  rank: number;
}

/** One replica's share of the status page: its counts, and its subjects that pass the filters. Plain JSON. */
export interface StatusPart {
  counts: Counts;
  kinds: string[];
  labelKeys: string[];
  rows: PartRow[];
}

export function statusPart(state: EngineState, maintenance: Maintenance, query: StatusQuery, now: number): StatusPart {
  const { counts, kinds, labelKeys, rows } = scan(state.subjects.values(), maintenance, query, now);
  return { counts, kinds: [...kinds], labelKeys: [...labelKeys], rows: rows.map(({ id, group, rank }) => ({ id, group, rank })) };
}

/** Several parts as one page: the page's rows say which part (replica) holds their subject. */
export interface MergedStatus extends Omit<StatusModel, 'groups'> {
  onPage: (PartRow & { part: number; order: number })[];
}

export function mergeStatus(parts: readonly StatusPart[], query: StatusQuery, pageSize = PAGE_SIZE): MergedStatus {
  const counts = emptyCounts();
  const kinds = new Set<string>();
  const labelKeys = new Set<string>();
  const rows = new Map<string, PartRow & { part: number; order: number }>();
  parts.forEach((part, index) => {
    counts.total += part.counts.total;
    for (const health of HEALTH_STATES) counts.health[health] += part.counts.health[health];
    counts.available += part.counts.available;
    counts.unavailable += part.counts.unavailable;
    counts.maintenance += part.counts.maintenance;
    counts.warnings += part.counts.warnings;
    for (const kind of part.kinds) kinds.add(kind);
    for (const key of part.labelKeys) if (labelKeys.size < MAX_LABEL_KEYS) labelKeys.add(key);
    // A subject seen twice (its shard moving between two answers) is shown once.
    for (const row of part.rows) if (!rows.has(row.id)) rows.set(row.id, { ...row, part: index, order: 0 });
  });
  const { matched, page, pages, onPage } = arrange([...rows.values()], query.page, pageSize);
  return { counts, matched, page, pages, onPage, kinds: [...kinds].sort(), labelKeys: [...labelKeys].sort() };
}

/** The merged page with the subjects of its rows, as their owners sent them; a row whose subject went meanwhile is left out. */
export function completeStatus(
  merged: MergedStatus,
  subjects: ReadonlyMap<string, SubjectState>,
  maintenance: Maintenance,
  now: number,
): StatusModel {
  const open = maintenance.openAt(now);
  const rows: Row[] = [];
  for (const { id, group, order } of merged.onPage) {
    const subject = subjects.get(id);
    if (!subject) continue;
    const row = fullRow(subject, group, open.length > 0 ? maintenance.openFor(subject.spec, now, open) : undefined);
    row.order = order;
    rows.push(row);
  }
  const { counts, matched, page, pages, kinds, labelKeys } = merged;
  return { counts, matched, page, pages, groups: grouped(rows), kinds, labelKeys };
}
