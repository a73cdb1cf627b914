// Small PromQL builders: selectors with correctly quoted and escaped matchers, and label lists.

export type Matchers = Readonly<Record<string, string | readonly string[]>>;

/** A PromQL (and Alertmanager matcher) string literal. */
export const quote = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** RE2 source matching exactly one of `values`. */
export const anyOf = (values: readonly string[]): string => values.map((value) => value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')).join('|');

/** `name="v"`, or `name=~"a|b"` for a list of values. */
export function matcher(name: string, value: string | readonly string[]): string {
  if (typeof value === 'string') return `${name}=${quote(value)}`;
  return value.length === 1 ? `${name}=${quote(value[0]!)}` : `${name}=~${quote(anyOf([...value].sort()))}`;
}

/** `metric{a="1", b=~"x|y"}`; matchers in name order so output is stable. */
export function selector(metric: string, matchers: Matchers = {}): string {
  const parts = Object.keys(matchers)
    .sort()
    .map((name) => matcher(name, matchers[name]!));
  return parts.length === 0 ? metric : `${metric}{${parts.join(', ')}}`;
}

/** ` (a, b)` for `by`/`on`/`group_left` lists. */
export const labelList = (labels: readonly string[]): string => ` (${labels.join(', ')})`;

/**
 * `last_over_time(series[gap])`: the last known value, held through a short gap in vigil's data (a failed scrape,
 * a restart), so an alert does not resolve and fire again — a duplicate notification — because of the gap.
 * With fresh data it is the current value. Without a gap tolerance, the plain selector.
 */
export const held = (series: string, gap: string | undefined): string => (gap ? `last_over_time(${series}[${gap}])` : series);

/**
 * `lhs * on (subject) group_left (labels) vigil_subject_info{…}`: joins subject labels onto a per-subject vector.
 * Held through gaps like the rest; `topk by (subject) (1, …)` keeps one info series per subject while a relabelled
 * subject's old series is still inside the window (two would make the join fail).
 */
export function joinSubjectInfo(lhs: string, labels: readonly string[], infoMatchers: Matchers, gap: string | undefined): string {
  const info = selector('vigil_subject_info', infoMatchers);
  const rhs = gap ? `topk by (subject) (1, ${held(info, gap)})` : info;
  return `${lhs}\n* on (subject) group_left${labelList(labels)} ${rhs}`;
}

/**
 * Mutes a per-subject alert while the subject is in a maintenance window (vigil_subject_maintenance is 1). Not held
 * through gaps: an alert held back by a window that has closed must fire at once. `unless` binds looser than the
 * `*` joins and the `unless` clauses the builders end with, so no parentheses are needed.
 */
export const unlessInMaintenance = (expr: string): string => `${expr}\nunless on (subject) (vigil_subject_maintenance == 1)`;

/**
 * One alert per subject whichever vigil replica exposes it: `instance` is dropped, so when a subject's series move
 * to another replica (handover) the alert keeps its identity and neither resolves nor fires again. Where both
 * replicas' series overlap (one held by last_over_time), max keeps the more alarming value for the rules here.
 */
export const acrossReplicas = (expr: string): string => `max without (instance) (\n${expr.replace(/^/gm, '  ')}\n)`;
