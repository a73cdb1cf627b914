// The practable families of docs/metrics.md, rendered at scrape time from the state the practable source keeps:
// per stream the estimated time of its last transmission and its frame rate, per experiment its availability,
// and counters of stats frames and of availability updates. Labels are experiment and stream names only.
import { D, familyEntry, NONE, type FamilyEntry } from '../../exporter/metrics/family-table.js';
import { family, type FamilyDef } from '../../exporter/metrics/families.js';
import { escapeLabelValue, formatSecondsFromMs, formatValue } from '../../exporter/metrics/text-format.js';
import { labelledSample, optionalFamily, writtenText } from '../../exporter/metrics/whole-families.js';
import type { ExpositionWriter } from '../../exporter/metrics/writer.js';

export interface PractableStreamSample {
  experiment: string;
  /** Stream key without the experiment prefix (`st-data`). */
  stream: string;
  lastTxAt?: number;
  fps?: number;
}

export interface PractableMetricsInput {
  streams: Iterable<PractableStreamSample>;
  experiments: Iterable<{ experiment: string; available?: boolean }>;
  /** Stats frames accepted, by source instance. */
  frames: Iterable<{ source: string; count: number }>;
  /** Frames refused, by source instance and reason (not_json, not_array, bad_report, binary, handler). */
  malformed: Iterable<{ source: string; reason: string; count: number }>;
  availabilityUpdates: { ok: number; error: number };
}

export const PRACTABLE_FAMILIES = {
  lastTx: family(
    'vigil_practable_stream_last_tx_timestamp_seconds',
    'gauge',
    'Unix time an experiment stream last transmitted on the relay (report time minus its reported idle time).',
  ),
  fps: family(
    'vigil_practable_stream_tx_fps',
    'gauge',
    'Messages per second an experiment stream transmits, as the relay reports it (relay <= v0.7).',
  ),
  available: family(
    'vigil_practable_experiment_available',
    'gauge',
    '1 when every required stream of the experiment is healthy (available for booking), ' +
      '0 when not or when book does not list it; absent while unknown.',
  ),
  frames: family('vigil_practable_frames_total', 'counter', 'Stats frames received from relay or jump and applied.'),
  malformed: family('vigil_practable_malformed_frames_total', 'counter', 'Stats frames refused as malformed and dropped without changing state.'),
  updates: family('vigil_practable_availability_updates_total', 'counter', 'Availability PUTs to book, by result.'),
} as const;

/** Their rows of the family table (exporter/metrics/selection.ts): cost, defaults and what reads them. */
export const PRACTABLE_FAMILY_ROWS: readonly FamilyEntry[] = [
  familyEntry('vigil_practable_stream_last_tx_timestamp_seconds', 'practable', 1, D, true, true),
  familyEntry('vigil_practable_stream_tx_fps', 'practable', 1, D, true, true),
  familyEntry('vigil_practable_experiment_available', 'practable', 1, D, true, true),
  familyEntry('vigil_practable_frames_total', 'practable', 1, NONE, true),
  familyEntry('vigil_practable_malformed_frames_total', 'practable', 0, NONE, true, true),
  familyEntry('vigil_practable_availability_updates_total', 'practable', 2, NONE, true),
];

const streamLabels = (s: PractableStreamSample): string => `experiment="${escapeLabelValue(s.experiment)}",stream="${escapeLabelValue(s.stream)}"`;

/** Writes the practable families; families without series are left out entirely. */
export function writePractableFamilies(w: ExpositionWriter, input: PractableMetricsInput, enabled: (family: string) => boolean = () => true): void {
  const f = PRACTABLE_FAMILIES;
  /** A family whose samples `each` yields as [labels, value], or undefined to skip one. */
  const block = <T>(def: FamilyDef, items: Iterable<T>, sample: (item: T) => [labels: string, value: string] | undefined): void => {
    if (!enabled(def.name)) return;
    optionalFamily(w, def, () => {
      let written = 0;
      for (const item of items) {
        const found = sample(item);
        if (found === undefined) continue;
        labelledSample(w, def, found[0], found[1]);
        written++;
      }
      return written;
    });
  };
  const streams = [...input.streams];
  block(f.lastTx, streams, (s) => (s.lastTxAt === undefined ? undefined : [streamLabels(s), formatSecondsFromMs(s.lastTxAt)]));
  block(f.fps, streams, (s) => (s.fps === undefined ? undefined : [streamLabels(s), formatValue(s.fps)]));
  block(f.available, input.experiments, (e) =>
    e.available === undefined ? undefined : [`experiment="${escapeLabelValue(e.experiment)}"`, e.available ? '1' : '0'],
  );
  block(f.frames, input.frames, (frame) => [`source="${escapeLabelValue(frame.source)}"`, String(frame.count)]);
  block(f.malformed, input.malformed, (m) => [`source="${escapeLabelValue(m.source)}",reason="${escapeLabelValue(m.reason)}"`, String(m.count)]);
  const updates = input.availabilityUpdates;
  block(f.updates, ['ok', 'error'] as const, (result) => [`result="${result}"`, String(updates[result])]);
}

/** The same families as text (tests). */
export const renderPractableMetrics = (input: PractableMetricsInput): string => writtenText((w) => writePractableFamilies(w, input));
