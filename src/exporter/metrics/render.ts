// The incremental renderer of the large families: subjects sit in chunks of CHUNK_SUBJECTS (in the order they
// first appeared); each chunk keeps, per family, the bytes it rendered and their gzip member. A scrape walks
// the state once comparing versions, re-renders only chunks with a changed, new or removed subject, and
// assembles the body from the kept pieces: each family is its header followed by its piece of every chunk,
// so families stay contiguous. A gzip body is the same pieces as gzip members, concatenated (RFC 1952 §2.2
// allows several members; Go's gzip.Reader, which Prometheus uses, reads them as one stream).
import type { EngineState, SubjectState } from '../../engine/types.js';
import { LabelCache, type SubjectLabels } from './label-cache.js';
import { LARGE_FAMILIES, renderSources, type LargeFamily } from './render-families.js';
import { BackgroundCompressor, gzipMember, storedMember } from './gzip-members.js';
import { DEFAULT_SELECTION, MetricsSelection } from './selection.js';
import { BufferWriter } from './writer.js';

/**
 * Subjects per chunk. With a random 1% of subjects changed between scrapes, a chunk of 8 is clean with
 * probability 0.99^8 ≈ 92%; smaller chunks re-render less but make more, smaller gzip members (bench/RESULTS.md).
 */
export const CHUNK_SUBJECTS = 8;
/**
 * Compression time one scrape may spend on changed pieces; the rest go out stored and are compressed after it
 * (gzip-members.ts). About 20 µs per piece on an idle core: the budget covers ~2,500 changed pieces.
 */
export const COMPRESS_BUDGET_MS = 50;
/** A warm-up renders ahead only while at most this share of chunks (or this many) changed since the last pass. */
const WARM_MAX_DIRTY_SHARE = 0.1;
const WARM_MAX_DIRTY_CHUNKS = 64;

export interface RenderResult<Body> {
  body: Body;
  /** Number of series written (for vigil_scrape_series). */
  series: number;
}

/** The large part of one scrape: pieces to concatenate, in order. */
export interface RenderedParts {
  parts: Buffer[];
  bytes: number;
  series: number;
}

export interface SubjectRenderer {
  /** The exposition as a string. */
  render(state: EngineState): RenderResult<string>;
  /** The exposition as UTF-8 bytes in one fresh Buffer. */
  renderBytes(state: EngineState): RenderResult<Buffer>;
  /** The exposition as pieces, plain or as gzip members; re-renders and re-compresses only what changed. */
  renderParts(state: EngineState, gzip: boolean): RenderedParts;
  /** Chunks re-rendered by the last call (for the benchmark and tests). */
  readonly lastDirtyChunks: number;
  /** Pieces waiting for background compression. */
  readonly pendingCompression: number;
  /**
   * Does a scrape's work ahead of it: finds what changed, renders it in slices of `sliceMs` (yielding to the
   * event loop between slices) and queues it for background compression.
   */
  warmUp(state: EngineState, sliceMs?: number): Promise<void>;
}

interface Member {
  chunk: Chunk;
  subject: SubjectState;
  stateVersion: number;
  specVersion: number;
  /** Scrape number at which the walk last saw this subject. */
  seen: number;
  /** Ids it depended on when last seen: a change of them changes the dependants count of those. */
  dependsOn: readonly string[];
}

interface Chunk {
  members: Member[];
  dirty: boolean;
  /**
   * Per enabled family: bytes, series and (once asked for) the gzip member, possibly stored for now. Once a
   * piece's member is compressed its plain bytes are let go (undefined): a plain scrape renders them again.
   */
  pieces: (Buffer | undefined)[];
  series: number[];
  gzipped: (Buffer | Buffer[] | undefined)[];
}

const EMPTY = Buffer.alloc(0);

function copyOut(bytes: Buffer): Buffer {
  if (bytes.length === 0) return EMPTY;
  // Not from the shared pool: a kept small slice would pin a whole 8 KiB pool block.
  const out = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(out);
  return out;
}

export function createSubjectRenderer(selection: MetricsSelection = DEFAULT_SELECTION): SubjectRenderer {
  const cache = new LabelCache();
  const families: LargeFamily[] = LARGE_FAMILIES.filter((family) => selection.enabled(family.def.name));
  const headers = families.map((family) => Buffer.from(family.def.header.bytes));
  const gzippedHeaders = headers.map(gzipMember);
  const background = new BackgroundCompressor();
  const chunks: Chunk[] = [];
  const where = new Map<string, Member>();
  const scratch = new BufferWriter(1 << 16);
  const sourceWriter = new BufferWriter(1 << 12);
  let scrape = 0;
  let lastDirtyChunks = 0;
  /** Set by the first gzip scrape: from then on every rendered piece is queued for compression. */
  let gzipWanted = false;
  const queued = new WeakSet<Buffer>();
  let warming: Promise<void> | undefined;
  /** The state of the last walk: families that read other subjects render against it. */
  let currentState: EngineState | undefined;
  let warmedOnce = false;
  /** Bumped whenever a piece or a member changes: an assembled body of the same generation is still right. */
  let generation = 0;
  const assembled: { plain?: RenderedParts & { generation: number }; gzip?: RenderedParts & { generation: number } } = {};

  /** Keeps a compressed member and lets the plain bytes go: at 100,000 subjects that is ~115 MB less. */
  const keepMember = (chunk: Chunk, f: number, member: Buffer): Buffer => {
    chunk.gzipped[f] = member;
    chunk.pieces[f] = undefined;
    assembled.plain = undefined; // it holds the plain pieces
    generation++;
    return member;
  };

  /** Queues a piece for background compression, once. */
  const compressLater = (chunk: Chunk, f: number): void => {
    const piece = chunk.pieces[f]!;
    if (piece.length === 0 || queued.has(piece)) return;
    queued.add(piece);
    background.add({
      bytes: piece,
      // Re-rendered meanwhile (its new piece has its own turn), or compressed already (the piece was let go).
      obsolete: () => chunk.pieces[f] !== piece,
      done: (member) => void keepMember(chunk, f, member),
    });
  };

  const newChunk = (): Chunk => {
    const chunk: Chunk = { members: [], dirty: true, pieces: [], series: [], gzipped: [] };
    chunks.push(chunk);
    return chunk;
  };

  const dependencyIds = (subject: SubjectState): readonly string[] => subject.spec.dependsOn.map((dependency) => dependency.id);

  /** Marks the chunks of `ids` and, transitively, of what they depend on (their dependants counts changed). */
  const markUpwards = (state: EngineState, ids: readonly string[], visited: Set<string>): void => {
    for (const id of ids) {
      if (visited.has(id)) continue;
      visited.add(id);
      const member = where.get(id);
      if (member) member.chunk.dirty = true;
      const subject = state.subjects.get(id);
      if (subject) markUpwards(state, dependencyIds(subject), visited);
    }
  };

  /**
   * Finds what changed since the last scrape; marks those chunks dirty. Two families read other subjects: a
   * subject's vigil_subject_dependency_down follows its dependencies (so a changed subject dirties its direct
   * dependants), and vigil_subject_dependants counts dependants transitively (so a subject that appears, goes or
   * changes its depends_on dirties everything it depends on, up the chain).
   */
  const walk = (state: EngineState): void => {
    scrape++;
    currentState = state;
    const changed: string[] = [];
    const rewired: string[] = [];
    for (const subject of state.subjects.values()) {
      const id = subject.spec.id;
      const member = where.get(id);
      if (member === undefined) {
        let tail = chunks[chunks.length - 1];
        if (tail === undefined || tail.members.length >= CHUNK_SUBJECTS) tail = newChunk();
        const dependsOn = dependencyIds(subject);
        const added: Member = { chunk: tail, subject, stateVersion: subject.stateVersion, specVersion: subject.specVersion, seen: scrape, dependsOn };
        tail.members.push(added);
        tail.dirty = true;
        where.set(id, added);
        changed.push(id);
        rewired.push(...dependsOn);
        continue;
      }
      member.seen = scrape;
      if (member.subject !== subject || member.stateVersion !== subject.stateVersion || member.specVersion !== subject.specVersion) {
        if (member.specVersion !== subject.specVersion || member.subject !== subject) {
          const dependsOn = dependencyIds(subject);
          rewired.push(...member.dependsOn, ...dependsOn);
          member.dependsOn = dependsOn;
        }
        member.subject = subject;
        member.stateVersion = subject.stateVersion;
        member.specVersion = subject.specVersion;
        member.chunk.dirty = true;
        changed.push(id);
      }
    }
    const removed = where.size > state.subjects.size;
    if (removed) {
      for (const [id, member] of where) if (member.seen !== scrape) rewired.push(...member.dependsOn, id);
    }
    if (state.dependents.size > 0 || rewired.length > 0) {
      for (const id of changed)
        for (const dependant of state.dependents.get(id) ?? []) {
          const member = where.get(dependant);
          if (member) member.chunk.dirty = true;
        }
      markUpwards(state, rewired, new Set());
    }
    if (!removed) return;
    for (const chunk of chunks) {
      const kept = chunk.members.filter((member) => member.seen === scrape);
      if (kept.length === chunk.members.length) continue;
      for (const member of chunk.members) {
        if (member.seen === scrape) continue;
        where.delete(member.subject.spec.id);
      }
      chunk.members = kept;
      chunk.dirty = true;
    }
  };

  /** The chunk's plain pieces and series, family by family. */
  const renderPieces = (chunk: Chunk): void => {
    const state = currentState!;
    const labels: SubjectLabels[] = chunk.members.map((member) => cache.subject(member.subject));
    for (let f = 0; f < families.length; f++) {
      scratch.reset();
      let series = 0;
      for (let i = 0; i < chunk.members.length; i++) series += families[f]!.emit(chunk.members[i]!.subject, labels[i]!, cache, scratch, state);
      chunk.pieces[f] = copyOut(scratch.bytes());
      chunk.series[f] = series;
    }
    generation++;
  };

  const renderChunk = (chunk: Chunk): void => {
    renderPieces(chunk);
    for (let f = 0; f < families.length; f++) {
      chunk.gzipped[f] = undefined;
      if (gzipWanted) compressLater(chunk, f);
    }
    chunk.dirty = false;
  };

  /** The gzip member of a piece: kept, compressed now within the budget, or stored now and compressed later. */
  const memberOf = (chunk: Chunk, f: number, budgetEnd: number): Buffer | Buffer[] => {
    const kept = chunk.gzipped[f];
    if (kept !== undefined) return kept;
    const piece = chunk.pieces[f]!;
    if (performance.now() < budgetEnd) return keepMember(chunk, f, gzipMember(piece));
    generation++;
    compressLater(chunk, f);
    return (chunk.gzipped[f] = storedMember(piece));
  };

  const warmSlices = async (state: EngineState, sliceMs: number): Promise<void> => {
    walk(state);
    // A storm (a whole fleet reporting) changes most chunks every second: rendering them ahead would be redone a
    // second later and would take the CPU the write path needs. Past a tenth of the chunks, the scrape renders.
    // The first pass after a start renders everything, so the first scrape finds it done.
    let dirty = 0;
    for (const chunk of chunks) if (chunk.dirty) dirty++;
    if (warmedOnce && dirty > Math.max(WARM_MAX_DIRTY_CHUNKS, chunks.length * WARM_MAX_DIRTY_SHARE)) return;
    warmedOnce = true;
    let until = performance.now() + sliceMs;
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!;
      if (!chunk.dirty) continue;
      renderChunk(chunk);
      if (performance.now() < until) continue;
      await new Promise((resolve) => setImmediate(resolve));
      until = performance.now() + sliceMs;
    }
  };

  /** One warm-up at a time; a caller arriving during one waits for it (it may then start its own). */
  const warmUp = (state: EngineState, sliceMs = 10): Promise<void> => {
    gzipWanted = true; // warming serves Prometheus, which always asks for gzip
    if (warming === undefined) warming = warmSlices(state, sliceMs).finally(() => (warming = undefined));
    return warming;
  };

  /** Every family's header and pieces, in order (the large part of a body). */
  const assemble = (gzip: boolean, budgetEnd: number): RenderedParts => {
    const parts: Buffer[] = [];
    let bytes = 0;
    let series = 0;
    const add = (part: Buffer | Buffer[]): void => {
      if (Array.isArray(part)) {
        for (const one of part) add(one);
        return;
      }
      if (part.length === 0) return;
      parts.push(part);
      bytes += part.length;
    };
    for (let f = 0; f < families.length; f++) {
      let familySeries = 0;
      for (const chunk of chunks) familySeries += chunk.series[f]!;
      if (familySeries === 0) continue; // an empty family has no header either
      series += familySeries;
      add(gzip ? gzippedHeaders[f]! : headers[f]!);
      for (const chunk of chunks) {
        if (chunk.series[f] === 0) continue;
        if (gzip) {
          add(memberOf(chunk, f, budgetEnd));
          continue;
        }
        if (chunk.pieces[f] === undefined) renderPieces(chunk); // its plain bytes were let go once compressed
        add(chunk.pieces[f]!);
      }
    }
    return { parts, bytes, series };
  };

  const renderParts = (state: EngineState, gzip: boolean): RenderedParts => {
    const budgetEnd = performance.now() + COMPRESS_BUDGET_MS;
    if (gzip) gzipWanted = true;
    walk(state);
    let dirty = 0;
    for (const chunk of chunks) {
      if (!chunk.dirty) continue;
      renderChunk(chunk);
      dirty++;
    }
    lastDirtyChunks = dirty;
    const kind = gzip ? 'gzip' : 'plain';
    let large = assembled[kind];
    if (large === undefined || large.generation !== generation) {
      large = { ...assemble(gzip, budgetEnd), generation };
      assembled[kind] = large;
    }
    const parts = [...large.parts];
    let { bytes, series } = large;
    sourceWriter.reset();
    const enabled = (name: string): boolean => selection.enabled(name);
    const sourceSeries = renderSources(state, cache, sourceWriter, enabled);
    if (sourceSeries > 0) {
      series += sourceSeries;
      const sources = copyOut(sourceWriter.bytes());
      const part = gzip ? gzipMember(sources) : sources;
      parts.push(part);
      bytes += part.length;
    }
    return { parts, bytes, series };
  };

  const renderBytes = (state: EngineState): RenderResult<Buffer> => {
    const { parts, bytes, series } = renderParts(state, false);
    return { body: Buffer.concat(parts, bytes), series };
  };

  return {
    renderParts,
    renderBytes,
    warmUp,
    render(state) {
      const { body, series } = renderBytes(state);
      return { body: body.toString('utf8'), series };
    },
    get lastDirtyChunks() {
      return lastDirtyChunks;
    },
    get pendingCompression() {
      return background.pending;
    },
  };
}

const EVERY_FAMILY = new MetricsSelection({ include: ['*'] });

/**
 * Every per-subject, per-check and per-source family of `state` as text exposition 0.0.4, from a fresh renderer
 * (nothing kept between calls): for tests and tools that look at one state.
 */
export function renderSubjectFamilies(state: EngineState, selection: MetricsSelection = EVERY_FAMILY): string {
  return createSubjectRenderer(selection).render(state).body;
}
