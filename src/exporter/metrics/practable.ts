// The practable families of docs/metrics.md, rendered at scrape time from the state the practable source keeps:
// per stream the estimated time of its last transmission and its frame rate, per experiment its availability,
// and counters of stats frames and of availability updates. Labels are experiment and stream names only.
import { escapeLabelValue, familyHeader, formatSecondsFromMs, formatValue } from './text-format.js';

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
  lastTx: familyHeader(
    'vigil_practable_stream_last_tx_timestamp_seconds',
    'gauge',
    'Unix time an experiment stream last transmitted on the relay (report time minus its reported idle time).',
  ),
  fps: familyHeader('vigil_practable_stream_tx_fps', 'gauge', 'Messages per second an experiment stream transmits, as the relay reports it (relay <= v0.7).'),
  available: familyHeader(
    'vigil_practable_experiment_available',
    'gauge',
    '1 when every required stream of the experiment is healthy (available for booking), 0 when not or when book does not list it; absent while unknown.',
  ),
  frames: familyHeader('vigil_practable_frames_total', 'counter', 'Stats frames received from relay or jump and applied.'),
  malformed: familyHeader('vigil_practable_malformed_frames_total', 'counter', 'Stats frames refused as malformed and dropped without changing state.'),
  updates: familyHeader('vigil_practable_availability_updates_total', 'counter', 'Availability PUTs to book, by result.'),
} as const;

const streamLabels = (s: PractableStreamSample): string => `experiment="${escapeLabelValue(s.experiment)}",stream="${escapeLabelValue(s.stream)}"`;

/** Text exposition of the practable families; families without series are left out entirely. */
export function renderPractableMetrics(input: PractableMetricsInput): string {
  const out: string[] = [];
  const block = (header: string, lines: string[]): void => {
    if (lines.length > 0) out.push(header, ...lines);
  };
  const streams = [...input.streams];
  block(
    PRACTABLE_FAMILIES.lastTx,
    streams.flatMap((s) =>
      s.lastTxAt === undefined ? [] : [`vigil_practable_stream_last_tx_timestamp_seconds{${streamLabels(s)}} ${formatSecondsFromMs(s.lastTxAt)}\n`],
    ),
  );
  block(PRACTABLE_FAMILIES.fps, streams.flatMap((s) => (s.fps === undefined ? [] : [`vigil_practable_stream_tx_fps{${streamLabels(s)}} ${formatValue(s.fps)}\n`])));
  block(
    PRACTABLE_FAMILIES.available,
    [...input.experiments].flatMap((e) =>
      e.available === undefined ? [] : [`vigil_practable_experiment_available{experiment="${escapeLabelValue(e.experiment)}"} ${e.available ? 1 : 0}\n`],
    ),
  );
  block(PRACTABLE_FAMILIES.frames, [...input.frames].map((f) => `vigil_practable_frames_total{source="${escapeLabelValue(f.source)}"} ${f.count}\n`));
  block(
    PRACTABLE_FAMILIES.malformed,
    [...input.malformed].map((m) => `vigil_practable_malformed_frames_total{source="${escapeLabelValue(m.source)}",reason="${escapeLabelValue(m.reason)}"} ${m.count}\n`),
  );
  const updates = input.availabilityUpdates;
  block(PRACTABLE_FAMILIES.updates, [
    `vigil_practable_availability_updates_total{result="ok"} ${updates.ok}\n`,
    `vigil_practable_availability_updates_total{result="error"} ${updates.error}\n`,
  ]);
  return out.join('');
}
