// Which metric families /metrics exposes: one table of every family vigil can expose, with what it costs and
// whether the generated rules or dashboards read it, and the `metrics: {include, exclude}` selection on top.
// The lean default is the table's `default` column: every family the generated alerting rules need, the
// per-subject families the dashboards' core panels need, and every family whose cost does not grow with
// subjects or checks. Everything else is opt-in (kube-state-metrics style allow/deny by name or glob).
import { EXTENSIONS } from '../../extensions.js';
import type { ExtensionDefinition } from '../../sources/extension.js';
import type { MetricsSelectionConfig } from '../../config/core.js';
import { D, familyEntry, NONE, type FamilyEntry, type FamilyUse } from './family-table.js';

export type { FamilyEntry, FamilyScope, FamilyUse } from './family-table.js';

const entry = familyEntry;
const R: readonly FamilyUse[] = ['rules'];
const RD: readonly FamilyUse[] = ['rules', 'dashboards'];

/**
 * Every family, in exposition order. A family added anywhere in vigil gets a row here, or, for a source's own
 * families, in its folder beside its FamilyDefs (listed by its extension definition); `default` must be true
 * for every family the generated rules reference (a test checks it against generate()).
 */
export const FAMILY_TABLE: readonly FamilyEntry[] = [
  entry('vigil_subject_info', 'subject', 1, RD, true),
  entry('vigil_subject_health', 'subject', 5, RD, true),
  entry('vigil_subject_connectivity', 'subject', 1, RD, true, true),
  entry('vigil_subject_warnings', 'subject', 1, D, true),
  entry('vigil_subject_last_seen_timestamp_seconds', 'subject', 1, D, false, true),
  entry('vigil_subject_health_changed_timestamp_seconds', 'subject', 1, D, false),
  entry('vigil_subject_health_changes_total', 'subject', 1, D, false),
  entry('vigil_subject_connectivity_changes_total', 'subject', 1, D, false),
  entry('vigil_subject_manipulation_timestamp_seconds', 'subject', 0, NONE, false, true),
  entry('vigil_subject_metadata_value', 'subject', 0, D, false, true),
  entry('vigil_subject_dependency_down', 'subject', 1, R, true, true),
  entry('vigil_subject_dependants', 'subject', 1, R, true, true),
  entry('vigil_subject_maintenance', 'subject', 1, R, true, true),
  entry('vigil_check_status', 'check', 4, RD, false),
  entry('vigil_check_counted', 'check', 1, NONE, false),
  entry('vigil_check_not_counted', 'check', 1, RD, true, true),
  entry('vigil_check_received_timestamp_seconds', 'check', 1, R, false),
  entry('vigil_check_status_changed_timestamp_seconds', 'check', 1, NONE, false),
  entry('vigil_check_effective_timestamp_seconds', 'check', 1, NONE, false),
  entry('vigil_check_expiry_timestamp_seconds', 'check', 1, NONE, false),
  entry('vigil_check_consecutive_failures', 'check', 1, RD, true),
  entry('vigil_check_consecutive_successes', 'check', 1, R, true),
  entry('vigil_check_runs_total', 'check', 1, R, false),
  entry('vigil_check_last_run', 'check', 0, R, false, true),
  entry('vigil_probe_duration_seconds', 'probe', 1, D, true, true),
  entry('vigil_probe_response_bytes', 'probe', 1, D, true, true),
  entry('vigil_probe_http_status_code', 'probe', 1, D, true, true),
  entry('vigil_probe_icmp_packet_loss_ratio', 'probe', 1, D, true, true),
  entry('vigil_probe_icmp_rtt_seconds', 'probe', 3, D, true, true),
  entry('vigil_probe_tls_cert_expiry_timestamp_seconds', 'probe', 1, NONE, true, true),
  entry('vigil_source_up', 'source', 1, RD, true),
  entry('vigil_source_last_success_timestamp_seconds', 'source', 1, NONE, true, true),
  entry('vigil_source_errors_total', 'source', 0, D, true, true),
  // Each extension's own families, from its definition (`families`), in the order of the list.
  ...(EXTENSIONS as readonly ExtensionDefinition[]).flatMap((extension) => extension.families ?? []),
  entry('vigil_build_info', 'fixed', 1, D, true),
  entry('vigil_subjects', 'fixed', 0, NONE, true),
  entry('vigil_events_seq', 'fixed', 1, NONE, true),
  entry('vigil_scrape_duration_seconds', 'fixed', 1, NONE, true),
  entry('vigil_scrape_series', 'fixed', 1, NONE, true),
  entry('vigil_store_transactions_total', 'fixed', 1, NONE, true),
  entry('vigil_store_rows_written_total', 'fixed', 1, NONE, true),
  entry('vigil_store_last_flush_duration_seconds', 'fixed', 1, NONE, true),
  entry('vigil_store_pending_subjects', 'fixed', 1, NONE, true),
  entry('vigil_store_size_bytes', 'fixed', 1, NONE, true),
  entry('vigil_probe_requests_total', 'fixed', 0, NONE, true),
  entry('vigil_event_streams_open', 'fixed', 1, NONE, true),
  entry('vigil_event_streams_dropped_total', 'fixed', 1, NONE, true),
  entry('vigil_http_connections_open', 'fixed', 1, NONE, true),
  entry('vigil_http_connections_limit', 'fixed', 1, NONE, true),
  entry('vigil_http_connections_evicted_total', 'fixed', 0, NONE, true),
  entry('vigil_cluster_*', 'fixed', 0, NONE, true),
  entry('process_*', 'fixed', 0, NONE, true),
  entry('nodejs_*', 'fixed', 0, NONE, true),
];

/** `*` matches any run of characters, `?` one character; everything else literally. */
export function globToRegExp(glob: string): RegExp {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}

/** A table row's name matches a family name (rows may be globs themselves). */
function rowFor(name: string): FamilyEntry | undefined {
  return FAMILY_TABLE.find((row) => (row.name.includes('*') ? globToRegExp(row.name).test(name) : row.name === name));
}

/** Patterns of `include`/`exclude` that match no family in the table: typos, reported as config errors. */
export function unknownPatterns(patterns: readonly string[]): string[] {
  return patterns.filter((pattern) => {
    const re = globToRegExp(pattern);
    return !FAMILY_TABLE.some((row) => re.test(row.name) || (row.name.includes('*') && globToRegExp(row.name).test(pattern)));
  });
}

/** The families one config exposes; answers are cached per name (the renderer asks per family per scrape). */
export class MetricsSelection {
  private readonly include: RegExp[];
  private readonly exclude: RegExp[];
  private readonly answers = new Map<string, boolean>();

  constructor(readonly config: MetricsSelectionConfig = {}) {
    this.include = (config.include ?? []).map(globToRegExp);
    this.exclude = (config.exclude ?? []).map(globToRegExp);
  }

  /** Default (or included) and not excluded. Names outside the table follow include/exclude only. */
  enabled(name: string): boolean {
    let answer = this.answers.get(name);
    if (answer === undefined) {
      const byDefault = rowFor(name)?.default ?? false;
      answer = (byDefault || this.include.some((re) => re.test(name))) && !this.exclude.some((re) => re.test(name));
      this.answers.set(name, answer);
    }
    return answer;
  }

  /** How to switch a family on, for error messages. */
  static howToInclude(name: string): string {
    return `add it to metrics.include (metrics: { include: [${name}] })`;
  }
}

/** A policy as a config file spells it (only what decides the families its rule reads). */
export interface PolicyShape {
  notify?: string;
  on?: readonly string[];
}

/**
 * The opt-in families the generated rule of these policies reads, for writers of configs (the importers):
 * `notify: always` the status and receive time, `on:` with warn or unreachable the run records, `on: [stale]`
 * the expiry. generate-rules checks the real expressions; this only saves a user the round trip.
 */
export function optInFamiliesFor(policies: readonly PolicyShape[]): string[] {
  const families = new Set<string>();
  for (const policy of policies) {
    if (policy.notify === 'always') {
      families.add('vigil_check_status');
      families.add('vigil_check_received_timestamp_seconds');
      continue;
    }
    const on = policy.on ?? [];
    if (on.includes('warn') || on.includes('unreachable')) {
      families.add('vigil_check_runs_total');
      families.add('vigil_check_last_run');
    }
    if (on.includes('stale')) families.add('vigil_check_expiry_timestamp_seconds');
  }
  return [...families].sort();
}

/** The lean default: what every config without `metrics:` gets. */
export const DEFAULT_SELECTION = new MetricsSelection();

/**
 * Drops the families of a text exposition (blocks starting with `# HELP name`) that the selection switches
 * off. Used on the small texts (prom-client's and the sources'), never on the large per-subject part.
 */
export function filterExposition(text: string, selection: MetricsSelection): string {
  if (text === '') return text;
  const blocks = text.split(/(?=^# HELP )/m);
  let kept = '';
  for (const block of blocks) {
    const name = /^# HELP (\S+)/.exec(block)?.[1];
    if (name === undefined || selection.enabled(name)) kept += block;
  }
  return kept;
}
