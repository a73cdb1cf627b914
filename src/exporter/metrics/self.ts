// /metrics as one exposition: prom-client serves the process, build, store and scrape self-metrics (small
// families), the fast renderer serves the per-subject families (large), and the two texts are concatenated.
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineState } from '../../engine/types.js';
import { createSubjectRenderer } from './render.js';
import { TEXT_CONTENT_TYPE } from './text-format.js';

export { maybeGzip, maybeGzipAsync, acceptsGzip, type MaybeGzipped } from './gzip.js';

/** What the store reports about itself (src/store's StoreStats satisfies it). */
export interface StoreStatsLike {
  transactions: number;
  rowsWritten: number;
  lastFlushDurationMs: number;
  pendingSubjects: number;
  sizeBytes: number;
}

export interface MetricsEndpointOptions {
  state: () => EngineState;
  storeStats: () => StoreStatsLike;
  version: string;
  /** Further labels of vigil_build_info, e.g. `{ demo: 'simulated' }` while `vigil serve --demo` runs. */
  buildLabels?: Readonly<Record<string, string>>;
  /** Further complete families (text exposition with HELP and TYPE) appended to every scrape: extensions. */
  extra?: ReadonlyArray<() => string>;
  /** Clock for vigil_scrape_duration_seconds, in milliseconds; tests inject one. */
  clock?: () => number;
}

export interface MetricsEndpoint {
  render(): Promise<{ body: string; contentType: string }>;
  /**
   * The same body as UTF-8 bytes in a fresh Buffer (safe to hand to a slow socket). Cheaper than render():
   * the large part is never decoded into a string and encoded back (bench/RESULTS.md, scrape).
   */
  renderBytes(): Promise<{ body: Buffer; contentType: string }>;
  /** The prom-client registry, for other parts that want to add small families. */
  readonly registry: Registry;
}

const LINT_FAILING_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

interface Snapshot {
  state: EngineState;
  store: StoreStatsLike;
}

export function createMetricsEndpoint(opts: MetricsEndpointOptions): MetricsEndpoint {
  const clock = opts.clock ?? (() => performance.now());
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // These three are gauges named like counters, which `promtool check metrics` reports; the per-type
  // nodejs_active_{handles,requests,resources} gauges carry the same information, so sum those instead.
  for (const name of LINT_FAILING_DEFAULT_METRICS) registry.removeSingleMetric(name);
  const renderer = createSubjectRenderer();
  const registers = [registry];

  // Collect callbacks run synchronously inside registry.metrics(), so they all see the one snapshot taken
  // at the start of the scrape even when two scrapes overlap.
  let snapshot: Snapshot | undefined;
  let previous = { durationSeconds: 0, series: 0 };
  const current = (): Snapshot => {
    if (snapshot === undefined) snapshot = { state: opts.state(), store: opts.storeStats() };
    return snapshot;
  };

  const buildLabels = { ...opts.buildLabels, version: opts.version };
  new Gauge({ name: 'vigil_build_info', help: 'Always 1; the version of vigil that is running.', labelNames: Object.keys(buildLabels), registers }).set(buildLabels, 1);

  const storeCounter = (name: string, help: string, read: (s: StoreStatsLike) => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(current().store));
      },
    });
  };
  const storeGauge = (name: string, help: string, read: (s: StoreStatsLike) => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(current().store));
      },
    });
  };
  storeCounter('vigil_store_transactions_total', 'Flush transactions the store has committed since start.', (s) => s.transactions);
  storeCounter('vigil_store_rows_written_total', 'Rows the store has inserted, updated or deleted since start.', (s) => s.rowsWritten);
  storeGauge('vigil_store_last_flush_duration_seconds', 'Duration of the last store flush.', (s) => s.lastFlushDurationMs / 1000);
  storeGauge('vigil_store_pending_subjects', 'Subjects changed in memory and not yet flushed to the store.', (s) => s.pendingSubjects);
  storeGauge('vigil_store_size_bytes', 'Size on disk of the store database and its write-ahead log.', (s) => s.sizeBytes);

  new Gauge({
    name: 'vigil_scrape_duration_seconds',
    help: 'Time vigil took to render the previous /metrics response.',
    registers,
    collect() {
      this.set(previous.durationSeconds);
    },
  });
  new Gauge({
    name: 'vigil_scrape_series',
    help: 'Number of series in the previous /metrics response.',
    registers,
    collect() {
      this.set(previous.series);
    },
  });
  new Gauge({
    name: 'vigil_subjects',
    help: 'Number of subjects by kind.',
    labelNames: ['kind'],
    registers,
    collect() {
      const byKind = new Map<string, number>();
      for (const subject of current().state.subjects.values()) byKind.set(subject.spec.kind, (byKind.get(subject.spec.kind) ?? 0) + 1);
      this.reset(); // kinds that no longer exist disappear
      for (const [kind, count] of byKind) this.set({ kind }, count);
    },
  });
  new Gauge({
    name: 'vigil_events_seq',
    help: 'Sequence number of the last event vigil emitted.',
    registers,
    collect() {
      this.set(current().state.seq);
    },
  });

  /** Runs one scrape: the small families through prom-client, then the large ones through `renderLarge`. */
  const scrape = async <Large>(
    renderLarge: (state: EngineState) => { body: Large; series: number },
  ): Promise<{ small: string; large: Large; extra: string }> => {
    const started = clock();
    snapshot = { state: opts.state(), store: opts.storeStats() };
    const state = snapshot.state;
    let small: string;
    try {
      small = await registry.metrics();
    } finally {
      snapshot = undefined;
    }
    const large = renderLarge(state);
    const extra = (opts.extra ?? []).map((render) => render()).join('');
    previous = { durationSeconds: (clock() - started) / 1000, series: countSamples(small) + large.series + countSamples(extra) };
    return { small, large: large.body, extra };
  };

  return {
    registry,
    async render() {
      const { small, large, extra } = await scrape((state) => renderer.render(state));
      return { body: small + large + extra, contentType: TEXT_CONTENT_TYPE };
    },
    async renderBytes() {
      const { small, large, extra } = await scrape((state) => renderer.renderBytes(state));
      const smallBytes = Buffer.byteLength(small);
      const body = Buffer.allocUnsafe(smallBytes + large.length + Buffer.byteLength(extra));
      body.write(small, 0);
      large.copy(body, smallBytes); // `large` is the renderer's reused buffer: copy before the next scrape
      body.write(extra, smallBytes + large.length);
      return { body, contentType: TEXT_CONTENT_TYPE };
    },
  };
}

/** Sample lines of a (small) exposition: non-empty lines that are not comments. */
function countSamples(text: string): number {
  let count = 0;
  for (const line of text.split('\n')) if (line !== '' && line[0] !== '#') count++;
  return count;
}
