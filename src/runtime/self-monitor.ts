// vigil watches itself: subject `vigil` (kind exporter) gets a `store` check every interval, so even the embedded
// default shows live health and connectivity from the first scrape.
import * as engine from '../engine/index.js';
import type { Vigil } from './vigil.js';

export const SELF_SUBJECT = 'vigil';
const SELF_CHECK_INTERVAL_MS = 15_000;

export function startSelfMonitor(vigil: Vigil, intervalMs = SELF_CHECK_INTERVAL_MS): { stop(): void; reportNow(): void } {
  const report = () => {
    const stats = vigil.store.stats();
    // The store is healthy when its last flush did not fail; `pendingSubjects` piling up means flushes stopped working.
    const flushing = stats.lastFlushError === undefined;
    vigil.apply((state, now) =>
      engine.applyObservation(
        state,
        {
          subject: SELF_SUBJECT,
          kind: 'exporter',
          source: 'self',
          check: 'store',
          status: flushing ? 'ok' : 'crit',
          message: flushing ? `state store writable (${stats.transactions} transactions)` : `state store flush failing: ${stats.lastFlushError}`,
          period: intervalMs,
        },
        now,
      ),
    );
  };
  report();
  const timer = setInterval(report, intervalMs);
  timer.unref();
  let stopped = false;
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
    reportNow: () => {
      if (!stopped) report();
    },
  };
}
