// The practable source: relay and jump stats listeners and the book client feeding one PractableModel, whose
// verdicts become vigil observations (subject = experiment, one check per required stream, a `jump` check),
// connectivity signals and — with `set_availability` — availability in book.
import type { PractableConfig } from './config.js';
import type { Observation, SubjectSpec } from '../../engine/types.js';
import { Backoff, type BackoffOptions } from '../../util/backoff.js';
import type { Source, SourceSink } from '../types.js';
import { AvailabilitySync } from './availability.js';
import { BookClient } from './book.js';
import { sourceErrorReason } from '../reasons.js';
import { PeerError } from './http.js';
import { JUMP_METADATA, MANIFEST_METADATA, NOT_IN_MANIFEST, PractableModel, type CheckResult, type Experiment } from './model.js';
import { decodeJumpFrame, decodeRelayFrame } from './reports.js';
import { StatsClient } from './stats-client.js';
import { jumpStatsToken, relayStatsToken } from './tokens.js';

export const RELAY_SOURCE = 'practable-relay';
export const JUMP_SOURCE = 'practable-jump';
export const BOOK_SOURCE = 'practable-book';
/** Owner of the experiment subjects. */
export const PRACTABLE_SOURCE = 'practable';
export const EXPERIMENT_KIND = 'experiment';

/** Upstream's access POST timeout (relay `reconws`). */
const STATS_HTTP_TIMEOUT_MS = 10_000;
/** The token outlives the renewal a little, so the peer never drops the connection first. */
const TOKEN_MARGIN_MS = 60_000;

export interface PractableLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface PractableSourceOptions {
  config: PractableConfig;
  /** Engine defaults that apply to experiments. */
  settings: { startupGrace: number; eventsPerSubject: number; disconnectGrace: number };
  log: PractableLogger;
  clock?: () => number;
  /** Tests shorten the reconnect backoff; the default is upstream's 1 s → 10 s, with jitter. */
  backoff?: Partial<BackoffOptions>;
  /** Deadline of the stats access POST and websocket handshake. */
  statsTimeoutMs?: number;
}

/** Counters kept beside the model for vigil_practable_* families. */
export interface PractableCounters {
  frames: Map<string, number>;
  /** `${source}\0${reason}` → count. */
  malformed: Map<string, number>;
  availabilityUpdates: { ok: number; error: number };
}

export class PractableSource implements Source {
  readonly name = PRACTABLE_SOURCE;
  readonly model: PractableModel;
  readonly counters: PractableCounters = { frames: new Map(), malformed: new Map(), availabilityUpdates: { ok: 0, error: 0 } };
  private readonly relay: StatsClient;
  private readonly jump: StatsClient;
  private readonly book: BookClient;
  private readonly clock: () => number;
  private sink: SourceSink | undefined;
  private bookTimer: NodeJS.Timeout | undefined;
  private evaluateTimer: NodeJS.Timeout | undefined;
  private readonly availability: AvailabilitySync;
  private bookQuery: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: PractableSourceOptions) {
    const { config } = options;
    this.clock = options.clock ?? Date.now;
    this.model = new PractableModel({
      healthLastActive: config.healthLastActive,
      healthLastChecked: config.healthLastChecked,
      startupGrace: config.startupGrace ?? options.settings.startupGrace,
      eventsPerExperiment: options.settings.eventsPerSubject,
    });
    const backoff = (): Backoff => new Backoff({ min: 1_000, max: 10_000, factor: 2, jitter: 0.5, ...options.backoff });
    const stats = (source: string, accessUrl: string, token: (now: number) => string, onFrame: (text: string) => void): StatsClient =>
      new StatsClient({
        source,
        accessUrl,
        token,
        reconnectEvery: config.reconnectEvery,
        silenceLimit: config.healthLastChecked,
        timeoutMs: options.statsTimeoutMs ?? STATS_HTTP_TIMEOUT_MS,
        backoff: backoff(),
        // Tokens are judged by the peer's real clock, whatever clock the model runs on.
        clock: Date.now,
        onFrame,
        onStatus: (up, reason) => this.sink?.sourceStatus(source, up, reason),
        onMalformed: (reason) => this.countMalformed(source, reason),
        log: options.log,
      });
    const lifetime = config.reconnectEvery + TOKEN_MARGIN_MS;
    this.relay = stats(
      RELAY_SOURCE,
      `${config.relay.url}/session/stats`,
      (now) => relayStatsToken(config.relay.url, config.relay.secret, now, lifetime),
      (text) => this.onRelayFrame(text),
    );
    this.jump = stats(
      JUMP_SOURCE,
      `${config.jump.url}/api/v1/connect/stats`,
      (now) => jumpStatsToken(config.jump.url, config.jump.secret, now, lifetime),
      (text) => this.onJumpFrame(text),
    );
    this.book = new BookClient({
      url: config.book.url,
      audience: config.book.audience,
      secret: config.book.secret,
      timeoutMs: config.book.timeout,
      clock: Date.now,
    });
    this.availability = new AvailabilitySync(this.book, {
      enabled: config.book.setAvailability,
      clock: this.clock,
      inGrace: (experiment, now) => this.model.inGrace(experiment, now),
      onBookStatus: (up, error) => (up ? this.sink?.sourceStatus(BOOK_SOURCE, true) : this.bookFailed(error, 'book availability update failed')),
      counters: this.counters.availabilityUpdates,
      log: options.log,
    });
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    this.stopped = false;
    this.availability.stopped = false; // started again after stop: a replica taking the source back
    this.relay.start();
    this.jump.start();
    void this.queryBook();
    this.bookTimer = setInterval(() => void this.queryBook(), Math.min(this.options.config.queryBookEvery, 2 ** 31 - 1));
    // Staleness shows even when both relay and jump fall silent.
    this.evaluateTimer = setInterval(() => this.evaluateAll(), Math.min(this.options.config.healthLastChecked, 2 ** 31 - 1));
    this.bookTimer.unref();
    this.evaluateTimer.unref();
  }

  /** book's availability per experiment, as vigil last read or set it. */
  get bookAvailable(): ReadonlyMap<string, boolean> {
    return this.availability.known;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.bookTimer);
    clearInterval(this.evaluateTimer);
    this.availability.stopped = true;
    await Promise.allSettled([this.relay.stop(), this.jump.stop(), this.bookQuery, this.availability.settled()]);
  }

  /** Resolves when the running book query and availability updates are done (tests). */
  async settled(): Promise<void> {
    while (this.bookQuery) await Promise.allSettled([this.bookQuery]);
    await this.availability.settled();
  }

  private countMalformed(source: string, reason: string): void {
    const key = `${source}\u0000${reason}`;
    this.counters.malformed.set(key, (this.counters.malformed.get(key) ?? 0) + 1);
  }

  private countFrame(source: string): void {
    this.counters.frames.set(source, (this.counters.frames.get(source) ?? 0) + 1);
  }

  onRelayFrame(text: string): void {
    const decoded = decodeRelayFrame(text);
    if (!decoded.ok) return this.countMalformed(RELAY_SOURCE, decoded.reason);
    this.countFrame(RELAY_SOURCE);
    const now = this.clock();
    const { created, results, present } = this.model.applyRelayFrame(decoded.reports, now);
    this.defineSubjects(created);
    const sink = this.sink;
    if (sink) {
      for (const result of results) sink.observe(this.observation(result, RELAY_SOURCE, present.has(result.experiment)));
      for (const experiment of this.model.experiments.values()) {
        // Connectivity is stream presence: one connected stream proves the experiment is on the network.
        if (present.has(experiment.key)) sink.connectivity({ subject: experiment.key, state: 'available', source: RELAY_SOURCE });
        else {
          sink.connectivity({
            subject: experiment.key,
            state: 'unavailable',
            reason: 'no stream connected to the relay',
            grace: this.options.settings.disconnectGrace,
            source: RELAY_SOURCE,
          });
        }
      }
    }
    this.evaluateAll();
  }

  onJumpFrame(text: string): void {
    const decoded = decodeJumpFrame(text);
    if (!decoded.ok) return this.countMalformed(JUMP_SOURCE, decoded.reason);
    this.countFrame(JUMP_SOURCE);
    const { created } = this.model.applyJumpFrame(decoded.reports, this.clock());
    this.defineSubjects(created);
    // Jump is not a check: a check that counts would make an experiment healthy while the relay (its only
    // evidence of health) is lost. It is metadata (a warning when missing), set by evaluateAll.
    this.evaluateAll();
  }

  /** Jump and manifest facts as metadata: warnings that never change health. */
  private annotate(experiment: Experiment, now: number): void {
    const sink = this.sink;
    if (!sink) return;
    try {
      const jump = this.model.jumpWarning(experiment, now);
      if (jump) sink.metadata(experiment.key, JUMP_METADATA, jump);
      sink.metadata(
        experiment.key,
        MANIFEST_METADATA,
        this.model.inManifest(experiment) === false ? { level: 'warning', message: NOT_IN_MANIFEST } : null,
      );
    } catch {
      // The subject was removed through the API; the next relay frame brings it back and annotates it again.
    }
  }

  private observation(result: CheckResult, source: string, contact: boolean): Observation {
    return {
      subject: result.experiment,
      check: result.check,
      status: result.status,
      message: result.message,
      // Fresh for one health_last_checked window: a silent relay or jump makes its checks stale (unknown).
      period: this.options.config.healthLastChecked,
      timing: { freshness: 1 },
      source,
      kind: EXPERIMENT_KIND,
      contact,
    };
  }

  private subjectSpec(experiment: Experiment): SubjectSpec {
    const spec: SubjectSpec = {
      id: experiment.key,
      kind: EXPERIMENT_KIND,
      labels: experiment.resourceName ? { resource: experiment.resourceName } : {},
      dependsOn: [],
      source: PRACTABLE_SOURCE,
    };
    if (this.options.config.startupGrace !== undefined) spec.startupGrace = this.options.config.startupGrace;
    return spec;
  }

  private defineSubjects(keys: string[]): void {
    for (const key of keys) {
      const experiment = this.model.experiments.get(key);
      if (experiment) this.sink?.defineSubject(this.subjectSpec(experiment));
    }
  }

  /** Re-evaluates every experiment; availability changes become events and, when enabled, book updates. */
  evaluateAll(): void {
    const now = this.clock();
    for (const experiment of this.model.experiments.values()) {
      this.annotate(experiment, now);
      const change = this.model.evaluate(experiment, now);
      if (change) {
        this.recordAvailability(experiment.key, change.from, change.to, experiment.availabilityReason ?? '');
        this.availability.reconcile(experiment);
      }
    }
  }

  /** Reads the manifest, then reconciles every experiment's availability with book. */
  queryBook(): Promise<void> {
    if (this.bookQuery) return this.bookQuery;
    this.bookQuery = (async () => {
      try {
        const resources = await this.book.resources();
        if (this.stopped) return;
        this.sink?.sourceStatus(BOOK_SOURCE, true);
        this.defineSubjects(this.model.applyManifest(resources, this.clock()));
        this.availability.forget();
        this.evaluateAll();
        for (const experiment of this.model.experiments.values()) this.availability.reconcile(experiment);
      } catch (error) {
        this.bookFailed(error, 'book manifest query failed');
      } finally {
        this.bookQuery = undefined;
      }
    })();
    return this.bookQuery;
  }

  /** An availability transition of an experiment, as an event on its subject. */
  private recordAvailability(subject: string, from: boolean | undefined, to: boolean, reason: string): void {
    try {
      this.sink?.recordSourceEvent({
        subject,
        type: 'availability',
        from: from === undefined ? null : availabilityWord(from),
        to: availabilityWord(to),
        reason,
      });
    } catch (error) {
      this.options.log.warn({ subject, err: error instanceof Error ? error.message : String(error) }, 'practable availability event not recorded');
    }
  }

  private bookFailed(error: unknown, what: string): void {
    const reason = error instanceof PeerError ? error.reason : sourceErrorReason(error);
    if (!this.stopped) this.sink?.sourceStatus(BOOK_SOURCE, false, reason);
    this.options.log.warn({ source: BOOK_SOURCE, reason, err: error instanceof Error ? error.message : String(error) }, what);
  }
}

const availabilityWord = (available: boolean): string => (available ? 'available' : 'unavailable');
