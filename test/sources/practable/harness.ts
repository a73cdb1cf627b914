// A PractableSource wired to fake relay, jump and book peers and to a real engine through a recording sink,
// with a manual clock for everything the model and the engine judge (tokens use the real clock, as peers do).
import * as engine from '../../../src/engine/index.js';
import type { EngineEvent, EngineResult, EngineSettings, EngineState } from '../../../src/engine/types.js';
import type { PractableConfig } from '../../../src/sources/practable/config.js';
import { PractableSource, RELAY_SOURCE, JUMP_SOURCE } from '../../../src/sources/practable/source.js';
import { createSink } from '../../../src/sources/sink.js';
import type { SourceSink } from '../../../src/sources/types.js';
import { FakeBook, FakeStatsPeer, SECRET, type BookResourceFixture } from './fakes.js';

export const S = 1_000;
export const M = 60 * S;

/** Waits for `condition`, checking after each turn of the event loop; bounded, fails with `what`. */
export async function until(condition: () => boolean, what: string, limitMs = 5_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export class EngineSink implements SourceSink {
  readonly state: EngineState;
  readonly events: EngineEvent[] = [];
  /** vigil's own sink over this state, recording every event. */
  private readonly inner: SourceSink = createSink({
    state: () => this.state,
    apply: (change) => this.record(change(this.state, this.clock.now)),
    owns: () => true,
  });
  constructor(
    readonly clock: { now: number },
    settings: EngineSettings,
  ) {
    this.state = engine.createState(settings);
  }
  private record(result: EngineResult): EngineResult {
    this.events.push(...result.events);
    return result;
  }
  defineSubject: SourceSink['defineSubject'] = (spec) => this.inner.defineSubject(spec);
  removeSubject: SourceSink['removeSubject'] = (id) => this.inner.removeSubject(id);
  observe: SourceSink['observe'] = (obs) => this.inner.observe(obs);
  connectivity: SourceSink['connectivity'] = (signal) => this.inner.connectivity(signal);
  metadata: SourceSink['metadata'] = (subject, key, entry) => this.inner.metadata(subject, key, entry);
  recordSourceEvent: SourceSink['recordSourceEvent'] = (event) => this.inner.recordSourceEvent(event);
  sourceStatus: SourceSink['sourceStatus'] = (source, up, reason) => this.inner.sourceStatus(source, up, reason);
  subjectsOf: SourceSink['subjectsOf'] = (source) => this.inner.subjectsOf(source);
  owns: SourceSink['owns'] = (id) => this.inner.owns(id);
  refuseBeyondLimits: SourceSink['refuseBeyondLimits'] = (limits, writes) => this.inner.refuseBeyondLimits(limits, writes);
  batch: SourceSink['batch'] = (fill) => this.inner.batch(fill);
  tick(): void {
    this.record(engine.tick(this.state, this.clock.now));
  }
  subject(id: string) {
    const found = this.state.subjects.get(id);
    if (!found) throw new Error(`no subject ${id}`);
    return found;
  }
  ofType(type: EngineEvent['type'], subject?: string): EngineEvent[] {
    return this.events.filter((e) => e.type === type && (subject === undefined || e.subject === subject));
  }
}

export const ENGINE_SETTINGS: EngineSettings = {
  freshness: 2,
  startupGrace: 0,
  appearanceTimeout: 30 * M,
  sourceDropAfter: 15 * M,
  renameLag: 3 * 60 * M,
  disconnectGrace: 30 * S,
  eventsPerSubject: 100,
  dependencyLag: 0,
};

export const MANIFEST: Record<string, BookResourceFixture> = {
  'r-pend00': { topic_stub: 'pend00', streams: ['st-data', 'st-video'], description: 'd-r-pend00' },
};

export interface Rig {
  relay: FakeStatsPeer;
  jump: FakeStatsPeer;
  book: FakeBook;
  clock: { now: number };
  sink: EngineSink;
  source: PractableSource;
  config: PractableConfig;
  /** Sends a relay frame and waits until the source applied it (and any book update it caused). */
  relayFrame(frame: unknown[]): Promise<void>;
  jumpFrame(frame: unknown[]): Promise<void>;
  close(): Promise<void>;
}

export async function startRig(
  overrides: Partial<PractableConfig> = {},
  options: { secret?: string; waitConnected?: boolean; manifest?: Record<string, BookResourceFixture> } = {},
): Promise<Rig> {
  const relay = await FakeStatsPeer.start({ kind: 'relay' });
  const jump = await FakeStatsPeer.start({ kind: 'jump' });
  const book = await FakeBook.start(structuredClone(options.manifest ?? MANIFEST));
  const clock = { now: Date.now() };
  const secret = options.secret ?? SECRET;
  const config: PractableConfig = {
    relay: { url: relay.url, secret },
    jump: { url: jump.url, secret },
    book: { url: book.url, secret, audience: book.url, timeout: 1_000, setAvailability: true },
    healthLastActive: 10 * S,
    healthLastChecked: 60 * S,
    startupGrace: 0,
    queryBookEvery: 60 * M,
    reconnectEvery: 60 * M,
    ...overrides,
  };
  const sink = new EngineSink(clock, { ...ENGINE_SETTINGS, startupGrace: config.startupGrace ?? 0 });
  const source = new PractableSource({
    config,
    settings: { startupGrace: 0, eventsPerSubject: 100, disconnectGrace: 30 * S },
    log: { info: () => undefined, warn: () => undefined },
    clock: () => clock.now,
    backoff: { min: 20, max: 100 },
    statsTimeoutMs: 2_000,
  });
  source.start(sink);
  if (options.waitConnected !== false) {
    await until(() => relay.open === 1 && jump.open === 1, 'relay and jump stats connections');
    await source.settled();
  }
  const frames = (name: string) => source.counters.frames.get(name) ?? 0;
  return {
    relay,
    jump,
    book,
    clock,
    sink,
    source,
    config,
    async relayFrame(frame) {
      const before = frames(RELAY_SOURCE);
      relay.broadcast(frame);
      await until(() => frames(RELAY_SOURCE) > before, 'relay frame applied');
      await source.settled();
    },
    async jumpFrame(frame) {
      const before = frames(JUMP_SOURCE);
      jump.broadcast(frame);
      await until(() => frames(JUMP_SOURCE) > before, 'jump frame applied');
      await source.settled();
    },
    async close() {
      await source.stop();
      await Promise.all([relay.close(), jump.close(), book.close()]);
    },
  };
}
