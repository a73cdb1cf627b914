// JSON shapes the API answers with: configuration and volatile health kept apart so their ETags move independently.
import { createHash } from 'node:crypto';
import type { CheckState, EngineEvent, NotCounted, SubjectState } from '../../engine/types.js';

/** RFC 3339, or null: a time outside what Date can format (a bug, a repaired file) must never make a read fail. */
const iso = (ms: number | undefined): string | null => {
  if (ms === undefined) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
};
const seconds = (ms: number | undefined): number | null => (ms === undefined ? null : ms / 1000);

export function subjectConfigView(subject: SubjectState) {
  const { spec } = subject;
  const timing = spec.timing ?? {};
  return {
    id: spec.id,
    kind: spec.kind,
    labels: spec.labels,
    depends_on: spec.dependsOn.map((d) => ({ id: d.id, lag_seconds: d.lag / 1000 })),
    // The subject's own timing overrides (null: the config defaults apply).
    timing: {
      freshness: timing.freshness ?? null,
      overhead_seconds: seconds(timing.overhead),
      accuracy_seconds: seconds(timing.accuracy),
      push_period_seconds: seconds(timing.pushPeriod),
    },
    source: spec.source,
    created_at: iso(subject.createdAt),
    renamed_at: iso(subject.renamedAt),
    renamed_from: subject.renamedFrom ?? null,
  };
}

/** Which rule kept the check from counting, with the times it compared (ISO) and its lag, when it has one. */
function notCountedView(detail: NotCounted | undefined) {
  if (detail === undefined) return null;
  const times: Record<string, string | null> = {};
  for (const [name, at] of Object.entries(detail.times)) times[name] = iso(at);
  return {
    reason: detail.reason,
    rule: detail.rule,
    ...(detail.dependency !== undefined && { dependency: detail.dependency }),
    ...(detail.dependencyHealth !== undefined && { dependency_health: detail.dependencyHealth }),
    ...(detail.manipulation !== undefined && { manipulation: detail.manipulation }),
    ...(detail.lag !== undefined && { lag_seconds: seconds(detail.lag) }),
    ...times,
    counts_from: iso(detail.countsFrom),
  };
}

function checkView(check: CheckState) {
  return {
    status: check.status,
    reported_status: check.reported,
    counted: check.counted,
    not_counted_reason: check.notCountedReason ?? null,
    not_counted: notCountedView(check.notCounted),
    message: check.message ?? null,
    source: check.source,
    period_seconds: check.period / 1000,
    max_age_seconds: seconds(check.maxAge),
    timing: {
      freshness: check.timing.freshness,
      overhead_seconds: seconds(check.timing.overhead),
      accuracy_seconds: seconds(check.timing.accuracy),
      push_period_seconds: seconds(check.timing.pushPeriod),
    },
    observed_at: iso(check.observedAt),
    received_at: iso(check.receivedAt),
    status_changed_at: iso(check.statusChangedAt),
    effective_at: iso(check.effectiveAt),
    expires_at: iso(check.expiresAt),
    consecutive_failures: check.consecutiveFailures,
    consecutive_successes: check.consecutiveSuccesses,
    metrics: check.metrics ?? {},
  };
}

export function subjectHealthView(subject: SubjectState) {
  const checks: Record<string, ReturnType<typeof checkView>> = {};
  for (const [name, check] of Object.entries(subject.checks)) if (!check.dropped) checks[name] = checkView(check);
  const metadata: Record<string, { level: string; message: string; value: number | null; updated_at: string | null }> = {};
  for (const [key, entry] of Object.entries(subject.metadata)) {
    metadata[key] = { level: entry.level, message: entry.message, value: entry.value ?? null, updated_at: iso(entry.updatedAt) };
  }
  return {
    id: subject.spec.id,
    kind: subject.spec.kind,
    health: subject.health,
    health_reason: subject.healthReason ?? null,
    health_changed_at: iso(subject.healthChangedAt),
    connectivity: subject.connectivity ?? null,
    connectivity_reason: subject.connectivityReason ?? null,
    connectivity_changed_at: iso(subject.connectivityChangedAt),
    last_seen_at: iso(subject.lastSeenAt),
    warnings: subject.warnings,
    checks,
    metadata,
    manipulations: Object.values(subject.manipulations).map((m) => ({
      manipulation: m.manipulation,
      started_at: iso(m.startedAt),
      ended_at: iso(m.endedAt),
    })),
  };
}

export function eventView(event: EngineEvent) {
  return {
    seq: event.seq,
    at: iso(event.at),
    subject: event.subject,
    type: event.type,
    from: event.from,
    to: event.to,
    reason: event.reason ?? null,
    maintenance: event.maintenance ?? null,
  };
}

/** A weak ETag over (id, created, version) triples, order-independent so a restart's load order does not change it. */
export function etagOf(entries: Iterable<[string, number, number]>): string {
  const lines: string[] = [];
  for (const [id, createdAt, version] of entries) lines.push(`${id}\u0000${createdAt}\u0000${version}`);
  lines.sort();
  return `W/"${createHash('sha1').update(lines.join('\n')).digest('base64url')}"`;
}

export const configEtag = (subjects: Iterable<SubjectState>): string => etagOf(map(subjects, (s) => [s.spec.id, s.createdAt, s.specVersion]));
export const healthEtag = (subjects: Iterable<SubjectState>): string => etagOf(map(subjects, (s) => [s.spec.id, s.createdAt, s.stateVersion]));

function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Iterable<U> {
  for (const item of items) yield f(item);
}
