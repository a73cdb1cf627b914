// practable in `vigil serve`: the source, its API routes (status's JSON shapes) and its /metrics families.
import { Router } from 'express';
import type { ExtensionDefinition } from '../extension.js';
import { servedByPoller } from '../served-by-poller.js';
import { practableRoutes } from './api.js';
import { practableSection, type PractableConfig } from './config.js';
import { PRACTABLE_FAMILY_ROWS, writePractableFamilies, type PractableMetricsInput } from './metrics.js';
import { JUMP_SOURCE, PRACTABLE_SOURCE, PractableSource, RELAY_SOURCE } from './source.js';

export { PractableSource } from './source.js';

/** The source's state as the metrics renderer reads it. */
export function practableMetricsInput(source: PractableSource): PractableMetricsInput {
  const experiments = [...source.model.experiments.values()];
  return {
    streams: experiments.flatMap((experiment) =>
      [...experiment.streams.values()].map((stream) => ({
        experiment: experiment.key,
        stream: stream.topic.startsWith(`${experiment.key}-`) ? stream.topic.slice(experiment.key.length + 1) : stream.topic,
        ...(stream.lastTxAt !== undefined && { lastTxAt: stream.lastTxAt }),
        // A rate describes a connected stream only; relay v0.8+ reports none.
        ...(stream.present && stream.report.stats?.tx?.fps !== undefined && !stream.never && { fps: stream.report.stats.tx.fps }),
      })),
    ),
    experiments: experiments.map((experiment) => ({
      experiment: experiment.key,
      ...(experiment.available !== undefined && { available: experiment.available }),
    })),
    frames: [RELAY_SOURCE, JUMP_SOURCE].map((name) => ({ source: name, count: source.counters.frames.get(name) ?? 0 })),
    malformed: [...source.counters.malformed].map(([key, count]) => {
      const [name, reason] = key.split('\u0000') as [string, string];
      return { source: name, reason, count };
    }),
    availabilityUpdates: source.counters.availabilityUpdates,
  };
}

export const practableExtension = {
  name: 'practable',
  routes: [{ path: /^\/api\/v1\/practable\/experiments(\/[^/]+\/events|\/events\/[^/]+)?$/, methods: 'GET' }],
  section: practableSection,
  families: PRACTABLE_FAMILY_ROWS,
  create: ({ config, section, runtime, log, cluster }) => {
    if (!section) return undefined;
    const source = new PractableSource({
      config: section,
      settings: config.settings,
      log: log.child({ part: 'practable' }),
      clock: runtime.clock,
    });
    const setAvailability = section.book.setAvailability;
    // The experiments' streams live in the source: with replicas, the one running it answers.
    const routes = Router().use('/practable', servedByPoller(cluster, PRACTABLE_SOURCE));
    routes.use(
      practableRoutes(
        { model: source.model, bookAvailability: (key) => (setAvailability ? source.bookAvailable.get(key) : undefined) },
        runtime.clock,
      ),
    );
    return {
      sources: [source],
      routes,
      metrics: (w, enabled) => writePractableFamilies(w, practableMetricsInput(source), enabled),
    };
  },
} satisfies ExtensionDefinition<PractableConfig>;
