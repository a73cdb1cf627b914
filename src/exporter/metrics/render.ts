// The fast renderer of the large families of docs/metrics.md: one walk over the engine state gathers the visible
// subjects and checks with their cached label sets, then each family is written in one contiguous block
// (render-families.ts). Hot loops copy cached bytes and print numbers; escaping happens only when a subject's
// spec changes.
import type { EngineState } from '../../engine/types.js';
import { LabelCache } from './label-cache.js';
import { renderChecks, renderProbes, renderRuns, renderSources, renderSubjects, type Visible } from './render-families.js';
import { BufferWriter, ChunkWriter, type ExpositionWriter } from './writer.js';

export interface RenderResult<Body> {
  body: Body;
  /** Number of series written (for vigil_scrape_series). */
  series: number;
}

export interface SubjectRenderer {
  /** The exposition as a string (built as bytes, decoded once). */
  render(state: EngineState): RenderResult<string>;
  /** The exposition as UTF-8 bytes, ready for the socket or gzip: a view valid until the next render. */
  renderBytes(state: EngineState): RenderResult<Buffer>;
  /** The same text built as string chunks joined once (the slower sink, kept for the benchmark). */
  renderChunks(state: EngineState): RenderResult<string>;
}

/** A renderer with its own label cache; keep one per engine state lineage (subject ids are the cache keys). */
export function createSubjectRenderer(): SubjectRenderer {
  const cache = new LabelCache();
  // One buffer for the renderer's life, grown to the largest exposition so far: allocating tens of megabytes
  // per scrape would count as external memory and push V8 into a full collection every time.
  const writer = new BufferWriter(1 << 16);
  const intoBuffer = (state: EngineState): { writer: BufferWriter; series: number } => {
    writer.reset();
    const series = renderInto(state, cache, writer);
    return { writer, series };
  };
  return {
    render(state) {
      const { writer, series } = intoBuffer(state);
      return { body: writer.text(), series };
    },
    renderBytes(state) {
      const { writer, series } = intoBuffer(state);
      return { body: writer.bytes(), series };
    },
    renderChunks(state) {
      const writer = new ChunkWriter();
      const series = renderInto(state, cache, writer);
      return { body: writer.text(), series };
    },
  };
}

const defaultRenderer = createSubjectRenderer();

/** The per-subject, per-check and per-source families as text exposition 0.0.4. */
export function renderSubjectFamilies(state: EngineState): string {
  return defaultRenderer.render(state).body;
}

function gather(state: EngineState, cache: LabelCache): Visible {
  const visible: Visible = { subjects: [], subjectLabels: [], checks: [], checkLabels: [], state };
  for (const subject of state.subjects.values()) {
    const labels = cache.subject(subject);
    visible.subjects.push(subject);
    visible.subjectLabels.push(labels);
    const checks = subject.checks;
    let checkCount = 0;
    for (const name in checks) {
      checkCount++;
      const check = checks[name]!;
      if (check.dropped) continue; // a lost source's checks disappear until they report again
      visible.checks.push(check);
      visible.checkLabels.push(cache.check(labels, name));
    }
    LabelCache.sweepChecks(labels, checks, checkCount);
  }
  cache.sweep(state.subjects);
  return visible;
}

/** Writes every family into `writer`; returns the number of series. */
export function renderInto(state: EngineState, cache: LabelCache, writer: ExpositionWriter): number {
  const visible = gather(state, cache);
  return (
    renderSubjects(visible, cache, writer) +
    renderChecks(visible, writer) +
    renderRuns(visible, cache, writer) +
    renderProbes(visible, writer) +
    renderSources(state, cache, writer)
  );
}
