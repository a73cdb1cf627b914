// The per-subject, per-check and per-source families of docs/metrics.md that the fast renderer writes, in output
// order. Names, types and HELP live here once (the probe families' come with the keys probes declare);
// docs/metrics.md describes the same list for people.
import { PROBE_METRICS, type ProbeMetric, type ProbeMetricDef } from '../../sources/targets/metrics.js';
import { familyHeader } from './text-format.js';
import { piece, type Piece } from './writer.js';

export interface FamilyDef {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  /** `# HELP` + `# TYPE` lines, ready to write. */
  header: Piece;
  /** `name{`, the start of every sample line. */
  open: Piece;
}

/** A family's definition with its header and sample start ready to write; sources define theirs with it too. */
export function family(name: string, type: 'gauge' | 'counter', help: string): FamilyDef {
  return { name, type, help, header: piece(familyHeader(name, type, help)), open: piece(name + '{') };
}

export const SUBJECT_FAMILIES = {
  info: family('vigil_subject_info', 'gauge', 'Always 1; carries the subject kind, owning source and configured labels.'),
  health: family('vigil_subject_health', 'gauge', 'Health of the subject as a StateSet: exactly one state is 1.'),
  connectivity: family('vigil_subject_connectivity', 'gauge', '1 when the subject is available, 0 when unavailable; absent until known.'),
  warnings: family('vigil_subject_warnings', 'gauge', 'Number of active warnings (warn checks and warning metadata); never changes health.'),
  lastSeen: family('vigil_subject_last_seen_timestamp_seconds', 'gauge', 'Unix time of the last successful communication with the subject.'),
  healthChanged: family('vigil_subject_health_changed_timestamp_seconds', 'gauge', 'Unix time the subject entered its current health state.'),
  healthChanges: family('vigil_subject_health_changes_total', 'counter', 'Health state changes of the subject.'),
  connectivityChanges: family('vigil_subject_connectivity_changes_total', 'counter', 'Connectivity changes of the subject.'),
  manipulation: family('vigil_subject_manipulation_timestamp_seconds', 'gauge', 'Unix time the last manipulation of each kind ended.'),
  metadata: family('vigil_subject_metadata_value', 'gauge', 'Numeric value of a metadata entry of the subject.'),
  dependencyDown: family(
    'vigil_subject_dependency_down',
    'gauge',
    '1 while a dependency of the subject is missing, not healthy or unreachable; absent without dependencies.',
  ),
  dependants: family('vigil_subject_dependants', 'gauge', 'Subjects that depend on this one, directly or through others.'),
} as const;

/** Run records (unreached runs included), from which rules count consecutive runs of any set of outcomes. */
export const RUN_FAMILIES = {
  total: family('vigil_check_runs_total', 'counter', 'Runs of the check, reached or not.'),
  last: family(
    'vigil_check_last_run',
    'gauge',
    'Number of the latest run of the check with each outcome; outcomes that never happened have no series.',
  ),
} as const;

export const CHECK_FAMILIES = {
  status: family('vigil_check_status', 'gauge', 'Status of the check as a StateSet (unknown once stale): exactly one status is 1.'),
  counted: family('vigil_check_counted', 'gauge', '1 when the check counts toward the subject health now, else 0.'),
  notCounted: family('vigil_check_not_counted', 'gauge', 'Present (1) only while the check does not count toward health, with the reason.'),
  received: family('vigil_check_received_timestamp_seconds', 'gauge', 'Unix time vigil last received a result of the check.'),
  statusChanged: family('vigil_check_status_changed_timestamp_seconds', 'gauge', 'Unix time the check entered its current reported status.'),
  effective: family('vigil_check_effective_timestamp_seconds', 'gauge', 'Unix time after which the current status is known to hold.'),
  expiry: family('vigil_check_expiry_timestamp_seconds', 'gauge', 'Unix time the current result goes stale.'),
  consecutiveFailures: family('vigil_check_consecutive_failures', 'gauge', 'Consecutive non-ok results of the check, including the last one.'),
  consecutiveSuccesses: family('vigil_check_consecutive_successes', 'gauge', 'Consecutive ok results of the check, including the last one.'),
} as const;

/** A `vigil_probe_*` family and the check `metrics` keys that feed it (several keys: one series per `stat`). */
export interface ProbeFamilyDef extends FamilyDef {
  keys: readonly { key: ProbeMetric; stat?: string }[];
}

/** The probe families, derived from the keys probes declare (sources/targets/metrics.ts), in output order. */
export const PROBE_FAMILIES: readonly ProbeFamilyDef[] = (() => {
  const byName = new Map<string, ProbeFamilyDef>();
  for (const [key, def] of Object.entries(PROBE_METRICS) as [ProbeMetric, ProbeMetricDef][]) {
    const known = byName.get(def.family) ?? { ...family(def.family, 'gauge', def.help), keys: [] };
    byName.set(def.family, { ...known, keys: [...known.keys, def.stat === undefined ? { key } : { key, stat: def.stat }] });
  }
  return [...byName.values()];
})();

export const SOURCE_FAMILIES = {
  up: family('vigil_source_up', 'gauge', '1 when the source instance can reach what it watches, else 0.'),
  lastSuccess: family('vigil_source_last_success_timestamp_seconds', 'gauge', 'Unix time of the last successful poll or message of the source.'),
  errors: family('vigil_source_errors_total', 'counter', 'Errors of the source instance by reason.'),
} as const;
