// Watches a running demo through its public faces only (/metrics and GET /api/v1/health) and records, for each
// scripted outage, when it was first seen and when it was seen over again. Shared by the demo and e2e tests.
import { parseExposition, type Sample } from '../exporter/metrics/exposition-parser.js';

export interface HealthCheck {
  status: string;
  reported_status: string;
  counted: boolean;
  not_counted_reason: string | null;
}
export interface HealthSubject {
  id: string;
  health: string;
  connectivity: string | null;
  checks: Record<string, HealthCheck>;
}

/** One look at the demo: its /metrics samples and its API health. */
export interface Snapshot {
  at: number;
  samples: Sample[];
  subjects: Map<string, HealthSubject>;
}

export async function snapshot(base: string): Promise<Snapshot> {
  const [metrics, health] = await Promise.all([fetch(`${base}/metrics`).then((r) => r.text()), fetch(`${base}/api/v1/health`).then((r) => r.json())]);
  const subjects = new Map((health as { subjects: HealthSubject[] }).subjects.map((s) => [s.id, s]));
  return { at: Date.now(), samples: parseExposition(metrics).samples, subjects };
}

/** The value of the one sample of `name` whose labels include `labels`, if any. */
export function sample(snap: Snapshot, name: string, labels: Record<string, string>): number | undefined {
  return snap.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

export interface OutageProbe {
  name: string;
  /** The outage is visible in this snapshot. */
  bad(snap: Snapshot): boolean;
  /** Everything is well again (checked only after `bad` was seen). */
  good(snap: Snapshot): boolean;
}

export interface OutageRecord {
  name: string;
  appearedAt?: number;
  recoveredAt?: number;
}

/** Polls every `intervalMs` until every outage appeared and recovered, or until `deadline`; `each` sees every snapshot. */
export async function watchOutages(
  base: string,
  probes: OutageProbe[],
  options: { deadline: number; intervalMs: number; each?: (snap: Snapshot) => void },
): Promise<OutageRecord[]> {
  const records: OutageRecord[] = probes.map((probe) => ({ name: probe.name }));
  while (Date.now() < options.deadline && records.some((r) => r.recoveredAt === undefined)) {
    const snap = await snapshot(base);
    options.each?.(snap);
    probes.forEach((probe, index) => {
      const record = records[index]!;
      if (record.appearedAt === undefined) {
        if (probe.bad(snap)) record.appearedAt = snap.at;
      } else if (record.recoveredAt === undefined && probe.good(snap)) record.recoveredAt = snap.at;
    });
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
  return records;
}
