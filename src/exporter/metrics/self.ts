// /metrics as one exposition: prom-client serves the process, build, store and scrape self-metrics (small
// families), the fast renderer serves the per-subject families (large), and the two texts are concatenated.
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineState } from '../../engine/types.js';
import { acceptsGzip } from './gzip.js';
import { gzipMember } from './gzip-members.js';
import { createSubjectRenderer, type RenderedParts } from './render.js';
import { DEFAULT_SELECTION, filterExposition, type MetricsSelection } from './selection.js';
import { TEXT_CONTENT_TYPE } from './text-format.js';

export { acceptsGzip } from './gzip.js';

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
  /** Which families to expose (`metrics:` in the config); the lean default without it. */
  selection?: MetricsSelection;
  /**
   * Render what changed this often between scrapes (in slices, off the scrape's path), so a scrape mostly sends
   * kept bytes. Off when absent (tests render on demand).
   */
  warmEveryMs?: number;
}

export interface EncodedBody {
  /** Pieces to send in order (written one by one: a plain body is ~100 MB at 100,000 subjects). */
  parts: Buffer[];
  length: number;
  contentType: string;
  encoding?: 'gzip';
}

export interface MetricsEndpoint {
  render(): Promise<{ body: string; contentType: string }>;
  /**
   * The same body as UTF-8 bytes in a fresh Buffer (safe to hand to a slow socket). Cheaper than render():
   * the large part is never decoded into a string and encoded back (bench/RESULTS.md, scrape).
   */
  renderBytes(): Promise<{ body: Buffer; contentType: string }>;
  /**
   * What /metrics sends: plain, or gzip when `Accept-Encoding` allows it. The gzip body is a concatenation of
   * gzip members kept per chunk of subjects, so unchanged bytes are not compressed again.
   */
  renderEncoded(acceptEncoding: string | undefined): Promise<EncodedBody>;
  /** The prom-client registry, for other parts that want to add small families. */
  readonly registry: Registry;
  /** Stops the background warm-up. */
  stop(): void;
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
  const selection = opts.selection ?? DEFAULT_SELECTION;
  const renderer = createSubjectRenderer(selection);
  const warmer = opts.warmEveryMs === undefined ? undefined : setInterval(() => void renderer.warmUp(opts.state()), opts.warmEveryMs).unref();
  if (opts.warmEveryMs !== undefined) setImmediate(() => void renderer.warmUp(opts.state())); // at start, not a second later
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
  new Gauge({
    name: 'vigil_build_info',
    help: 'Always 1; the version of vigil that is running.',
    labelNames: Object.keys(buildLabels),
    registers,
  }).set(buildLabels, 1);

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

  /** Runs one scrape: the small families through prom-client and the extensions, the large ones incrementally. */
  const scrape = async (gzip: boolean): Promise<{ small: string; large: RenderedParts; extra: string }> => {
    const started = clock();
    // With warming on, most rendering happens in slices (the event loop keeps serving meanwhile); the scrape then
    // renders only what changed since, synchronously.
    if (opts.warmEveryMs !== undefined) await renderer.warmUp(opts.state());
    snapshot = { state: opts.state(), store: opts.storeStats() };
    const state = snapshot.state;
    let small: string;
    try {
      small = filterExposition(await registry.metrics(), selection);
    } finally {
      snapshot = undefined;
    }
    const large = renderer.renderParts(state, gzip);
    const extra = filterExposition((opts.extra ?? []).map((render) => render()).join(''), selection);
    previous = { durationSeconds: (clock() - started) / 1000, series: countSamples(small) + large.series + countSamples(extra) };
    return { small, large, extra };
  };

  const encode = async (gzip: boolean): Promise<EncodedBody> => {
    const { small, large, extra } = await scrape(gzip);
    // The small texts change every scrape (process metrics): one fresh member each, a few kilobytes.
    const wrap = (text: string): Buffer => (gzip ? gzipMember(Buffer.from(text)) : Buffer.from(text));
    const parts = [wrap(small), ...large.parts];
    if (extra !== '') parts.push(wrap(extra));
    const length = parts.reduce((sum, part) => sum + part.length, 0);
    return { parts, length, contentType: TEXT_CONTENT_TYPE, ...(gzip ? { encoding: 'gzip' as const } : {}) };
  };
  const plain = async (): Promise<Buffer> => {
    const { parts, length } = await encode(false);
    return Buffer.concat(parts, length);
  };

  return {
    registry,
    stop() {
      if (warmer) clearInterval(warmer);
    },
    async render() {
      return { body: (await plain()).toString('utf8'), contentType: TEXT_CONTENT_TYPE };
    },
    async renderBytes() {
      return { body: await plain(), contentType: TEXT_CONTENT_TYPE };
    },
    renderEncoded(acceptEncoding) {
      return encode(acceptsGzip(acceptEncoding));
    },
  };
}

/** Sample lines of a (small) exposition: non-empty lines that are not comments. */
function countSamples(text: string): number {
  let count = 0;
  for (const line of text.split('\n')) if (line !== '' && line[0] !== '#') count++;
  return count;
}
