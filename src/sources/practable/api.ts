// practable status's read API, served by vigil under /api/v1/practable with upstream's JSON shapes
// (reference §8), so practable's status UI keeps working. Times are Go `Time.String()` strings, durations Go
// `Duration.String()`, and zero values are omitted where Go's `omitempty` omits them.
import { Router } from 'express';
import { notFound } from '../../exporter/problem.js';
import { formatGoDuration, formatGoTime, goTimeFromRfc3339 } from './go-format.js';
import type { Experiment, HealthEvent, PractableModel, StreamState } from './model.js';
import type { StreamStat } from './reports.js';

/** What the API reads: the model, and book's availability when vigil sets it. */
export interface PractableView {
  readonly model: PractableModel;
  /** Availability as book has it (set_availability on), else undefined. */
  bookAvailability(key: string): boolean | undefined;
}

/** relay `pkg/status`: a never-transmitting direction reads 999h. */
const NEVER_MS = 999 * 3600_000;
const ZERO_STATS = { rx: { last: '0s' }, tx: { last: '0s' } };

interface Statistics {
  fps?: number;
  last: string;
  never?: boolean;
  size?: number;
}

/** Go's encoder writes struct fields in order and omits zero fps/size and never:false (`omitempty`). */
function statistics(stat: StreamStat | undefined): Statistics {
  if (stat === undefined) return { last: '0s' };
  const fps = Math.trunc(stat.fps ?? 0);
  const size = Math.trunc(stat.size ?? 0);
  return {
    ...(fps !== 0 && { fps }),
    last: formatGoDuration(stat.never ? NEVER_MS : (stat.lastMs ?? 0)),
    ...(stat.never && { never: true }),
    ...(size !== 0 && { size }),
  };
}

function streamReport(stream: StreamState) {
  const { report } = stream;
  return {
    connected: goTimeFromRfc3339(report.connected),
    expires_at: goTimeFromRfc3339(report.expiresAt),
    scopes: report.scopes,
    stats: { rx: statistics(report.stats?.rx), tx: statistics(report.stats?.tx) },
    topic: report.topic,
    user_agent: report.userAgent ?? '',
  };
}

function jumpReport(experiment: Experiment) {
  const report = experiment.jumpReport;
  return {
    connected: goTimeFromRfc3339(report?.connected),
    expires_at: goTimeFromRfc3339(report?.expiresAt),
    scopes: report?.scopes ?? null,
    stats: ZERO_STATS,
    topic: report?.topic ?? '',
    user_agent: report?.userAgent ?? '',
  };
}

export function experimentReport(view: PractableView, experiment: Experiment, now: number) {
  const { model } = view;
  const summary = model.summary(experiment, now);
  const streamReports: Record<string, ReturnType<typeof streamReport>> = {};
  for (const [topic, stream] of experiment.streams) streamReports[topic] = streamReport(stream);
  return {
    available: view.bookAvailability(experiment.key) ?? experiment.available ?? false,
    first_checked: formatGoTime(experiment.firstCheckedAt),
    ...(experiment.events.length > 0 && { health_events: experiment.events.length }),
    healthy: summary.healthy,
    jump_ok: summary.jumpOk,
    jump_report: jumpReport(experiment),
    last_checked_jump: formatGoTime(experiment.lastCheckedJumpAt),
    last_checked_streams: formatGoTime(experiment.lastCheckedStreamsAt),
    last_found_in_manifest: formatGoTime(experiment.lastFoundInManifestAt),
    resource_name: experiment.resourceName ?? '',
    stream_ok: summary.streamOk,
    stream_reports: streamReports,
    stream_required: Object.fromEntries(experiment.required.map((topic) => [topic, true])),
    topic_name: experiment.key,
  };
}

export function healthEvent(event: HealthEvent) {
  return {
    ...(event.healthy && { healthy: true }),
    issues: event.issues,
    ...(event.jumpOk && { jump_ok: true }),
    ...(Object.keys(event.streamOk).length > 0 && { stream_ok: event.streamOk }),
    when: formatGoTime(event.when),
  };
}

/** Read-only, like upstream (which has no authentication); mounted under /api/v1. */
export function practableRoutes(view: PractableView, clock: () => number = Date.now): Router {
  const router = Router();
  router.get('/practable/experiments', (_req, res) => {
    const now = clock();
    const experiments = [...view.model.experiments.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    res.json(experiments.map((experiment) => experimentReport(view, experiment, now)));
  });
  const events = (id: string) => {
    const experiment = view.model.experiments.get(id);
    if (!experiment) throw notFound(`no practable experiment "${id}"`);
    return experiment.events.map(healthEvent);
  };
  router.get('/practable/experiments/:id/events', (req, res) => {
    res.json(events(req.params.id));
  });
  // Upstream's own path, for clients written against status.
  router.get('/practable/experiments/events/:id', (req, res) => {
    res.json(events(req.params.id));
  });
  return router;
}
