// practable experiments as vigil judges them (docs/health-model.md mapped from practable/status
// v0.1.3 internal/status/status.go): pure state that
// relay frames, jump frames and the book manifest update, and that answers with check results. No I/O, no clock:
// every call takes `now`. Differences from upstream status are deliberate and listed in docs/practable.md.
import { formatDuration } from '../../util/duration.js';
import { experimentOfStream, isExperimentStream, isJumpHost, type JumpReport, type RelayReport } from './reports.js';

export interface ModelSettings {
  healthLastActive: number;
  healthLastChecked: number;
  startupGrace: number;
  /** Bounded per-experiment history of status-style health events (the API's `/events`). */
  eventsPerExperiment: number;
}

export interface StreamState {
  topic: string;
  report: RelayReport;
  /** In the latest relay frame. */
  present: boolean;
  /** Time of the last frame it was present in. */
  lastSeenAt: number;
  /** Estimated time of its last transmission (frame time − `last`); undefined if it never transmitted. */
  lastTxAt?: number;
  /** The latest report said it never transmitted on this connection. */
  never: boolean;
  /** Result of the latest relay evaluation. */
  ok: boolean;
  message: string;
}

/** One status-style health event, as status's `/events` endpoint returns them. */
export interface HealthEvent {
  when: number;
  healthy: boolean;
  jumpOk: boolean;
  issues: string[];
  /** A copy (upstream aliases the live map, reference §9.5). */
  streamOk: Record<string, boolean>;
}

export interface Experiment {
  key: string;
  firstCheckedAt: number;
  resourceName?: string;
  lastFoundInManifestAt?: number;
  /** Full topics (`pend00-st-data`) the manifest requires. */
  required: string[];
  streams: Map<string, StreamState>;
  lastCheckedStreamsAt?: number;
  lastCheckedJumpAt?: number;
  jumpSeenAt?: number;
  jumpReport?: JumpReport;
  /** What the latest evaluation found. */
  healthy?: boolean;
  jumpOk?: boolean;
  issues: string[];
  /** All required streams healthy on fresh relay data; undefined while not known (grace, no or stale relay data). */
  available?: boolean;
  availabilityReason?: string;
  events: HealthEvent[];
}

export interface CheckResult {
  experiment: string;
  check: string;
  /** `unknown` for a stream that is not required and no longer on the relay: it no longer counts. */
  status: 'ok' | 'crit' | 'unknown';
  message: string;
}

/** Why an experiment that book does not list is never available (upstream never sets it either). */
export const NOT_IN_MANIFEST = 'not in the booking manifest';

export interface BookResource {
  topicStub: string;
  streams: string[];
}

/** Metadata keys the source sets on each experiment: jump is a warning that never changes health. */
export const JUMP_METADATA = 'jump';
export const MANIFEST_METADATA = 'manifest';

export class PractableModel {
  readonly experiments = new Map<string, Experiment>();
  lastRelayFrameAt?: number;
  lastJumpFrameAt?: number;
  /** When the latest manifest was read; undefined until book first answered. */
  manifestAt?: number;

  constructor(readonly settings: ModelSettings) {}

  private experiment(key: string, now: number, created: string[]): Experiment {
    let found = this.experiments.get(key);
    if (!found) {
      found = { key, firstCheckedAt: now, required: [], streams: new Map(), issues: [], events: [] };
      this.experiments.set(key, found);
      created.push(key);
    }
    return found;
  }

  inGrace(experiment: Experiment, now: number): boolean {
    return now < experiment.firstCheckedAt + this.settings.startupGrace;
  }

  /** The book manifest: resource name → resource. Returns experiments that are new or whose resource name changed. */
  applyManifest(resources: Map<string, BookResource>, now: number): string[] {
    const changed: string[] = [];
    for (const [name, resource] of resources) {
      const experiment = this.experiment(resource.topicStub, now, changed);
      if (experiment.resourceName !== name && !changed.includes(experiment.key)) changed.push(experiment.key);
      experiment.resourceName = name;
      experiment.required = [...new Set(resource.streams.map((stream) => `${resource.topicStub}-${stream}`))].sort();
      experiment.lastFoundInManifestAt = now;
    }
    this.manifestAt = now;
    return changed;
  }

  /** In the latest manifest; undefined until book first answered. */
  inManifest(experiment: Experiment): boolean | undefined {
    if (this.manifestAt === undefined) return undefined;
    return experiment.lastFoundInManifestAt === this.manifestAt;
  }

  /** A relay frame: one report per connected client. Returns new experiments and the stream checks to report. */
  applyRelayFrame(reports: RelayReport[], now: number): { created: string[]; results: CheckResult[]; present: Set<string> } {
    const created: string[] = [];
    const seen = new Set<string>();
    const present = new Set<string>();
    for (const report of reports) {
      if (!isExperimentStream(report)) continue;
      const key = experimentOfStream(report.topic)!;
      const experiment = this.experiment(key, now, created);
      experiment.lastCheckedStreamsAt = now;
      present.add(key);
      seen.add(report.topic);
      const tx = report.stats?.tx;
      const previous = experiment.streams.get(report.topic);
      const stream: StreamState = previous ?? { topic: report.topic, report, present: true, lastSeenAt: now, never: false, ok: false, message: '' };
      stream.report = report;
      stream.present = true;
      stream.lastSeenAt = now;
      if (tx === undefined) {
        // relay v0.8.0+ sends no stats: a connected experiment stream counts as transmitting (reference §3.5).
        stream.lastTxAt = now;
        stream.never = false;
      } else if (tx.never) {
        stream.never = true;
      } else {
        stream.lastTxAt = now - (tx.lastMs ?? 0);
        stream.never = false;
      }
      experiment.streams.set(report.topic, stream);
    }
    for (const experiment of this.experiments.values()) {
      for (const stream of experiment.streams.values()) if (!seen.has(stream.topic)) stream.present = false;
    }
    this.lastRelayFrameAt = now;
    const results: CheckResult[] = [];
    for (const experiment of this.experiments.values()) {
      for (const stream of experiment.streams.values()) {
        const verdict = this.judgeStream(stream, now);
        stream.ok = verdict.status === 'ok';
        stream.message = verdict.message;
      }
      for (const topic of experiment.required) {
        const stream = experiment.streams.get(topic);
        const verdict = stream
          ? { status: stream.ok ? ('ok' as const) : ('crit' as const), message: stream.message }
          : { status: 'crit' as const, message: 'missing: never seen on the relay' };
        results.push({ experiment: experiment.key, check: topic, ...verdict });
      }
      // Health needs every stream, required or not (upstream's rule); one that is not required stops counting
      // once it leaves the relay, as nothing says it should come back.
      for (const stream of experiment.streams.values()) {
        if (experiment.required.includes(stream.topic)) continue;
        const status = !stream.present ? ('unknown' as const) : stream.ok ? ('ok' as const) : ('crit' as const);
        results.push({
          experiment: experiment.key,
          check: stream.topic,
          status,
          message: stream.present ? stream.message : 'disconnected (not a required stream)',
        });
      }
    }
    return { created, results, present };
  }

  /** Judged at relay frame time, so a relay that reports once a minute never makes a stream look old in between. */
  private judgeStream(stream: StreamState, now: number): { status: 'ok' | 'crit'; message: string } {
    const window = formatDuration(this.settings.healthLastActive);
    if (stream.present && stream.never) return { status: 'crit', message: 'connected but never transmitted' };
    if (stream.lastTxAt === undefined) return { status: 'crit', message: 'disconnected, never transmitted' };
    // Upstream's boundary: last == HEALTH_LAST_ACTIVE is unhealthy (reference §9.8).
    if (now - stream.lastTxAt < this.settings.healthLastActive) return { status: 'ok', message: 'transmitting' };
    return { status: 'crit', message: stream.present ? `not transmitted within ${window}` : `disconnected, not transmitted within ${window}` };
  }

  /** A jump frame. Returns new experiments; jump is judged by `jumpOk` (a warning, never health). */
  applyJumpFrame(reports: JumpReport[], now: number): { created: string[] } {
    const created: string[] = [];
    for (const report of reports) {
      if (!isJumpHost(report) || report.topic === '') continue;
      const experiment = this.experiment(report.topic, now, created);
      experiment.jumpSeenAt = now;
      experiment.lastCheckedJumpAt = now;
      experiment.jumpReport = report;
    }
    this.lastJumpFrameAt = now;
    return { created };
  }

  jumpOk(experiment: Experiment, now: number): boolean {
    return experiment.jumpSeenAt !== undefined && now - experiment.jumpSeenAt < this.settings.healthLastChecked;
  }

  jumpFresh(now: number): boolean {
    return this.lastJumpFrameAt !== undefined && now - this.lastJumpFrameAt < this.settings.healthLastChecked;
  }

  /**
   * The jump verdict as metadata, or undefined while jump itself has no fresh reports: a jump outage changes no
   * verdict (it neither raises nor clears a warning; vigil_source_up says jump is lost).
   */
  jumpWarning(experiment: Experiment, now: number): { level: 'info' | 'warning'; message: string } | undefined {
    if (!this.jumpFresh(now)) return undefined;
    if (this.jumpOk(experiment, now)) return { level: 'info', message: 'jump host connected' };
    return { level: 'warning', message: `missing jump: no host connection within ${formatDuration(this.settings.healthLastChecked)}` };
  }

  relayFresh(now: number): boolean {
    return this.lastRelayFrameAt !== undefined && now - this.lastRelayFrameAt < this.settings.healthLastChecked;
  }

  /** Stream health as of now: the latest verdicts, all false once relay data is stale (upstream §6.5 step 5). */
  streamOk(experiment: Experiment, now: number): Record<string, boolean> {
    const fresh = this.relayFresh(now);
    const ok: Record<string, boolean> = {};
    for (const [topic, stream] of experiment.streams) ok[topic] = fresh && stream.ok;
    return ok;
  }

  /**
   * Status-style summary as of now. Healthy = every stream healthy on fresh relay data: the required ones (seen)
   * and any other stream on the relay (upstream's rule). Available looks at the required streams only.
   */
  summary(experiment: Experiment, now: number) {
    const streamOk = this.streamOk(experiment, now);
    const jumpOk = this.jumpOk(experiment, now);
    const issues: string[] = [];
    if (!jumpOk) issues.push('missing jump');
    const missing = experiment.required.filter((topic) => !experiment.streams.has(topic));
    const unhealthyRequired = experiment.required.filter((topic) => experiment.streams.has(topic) && !streamOk[topic]);
    const unhealthyOther = [...experiment.streams.values()]
      .filter((stream) => stream.present && !experiment.required.includes(stream.topic) && !streamOk[stream.topic])
      .map((stream) => stream.topic);
    const unhealthy = [...unhealthyRequired, ...unhealthyOther];
    for (const topic of missing) issues.push(`missing required ${topic}`);
    for (const topic of unhealthy) issues.push(`unhealthy ${topic}`);
    const healthy = missing.length === 0 && unhealthy.length === 0 && this.relayFresh(now);
    return { streamOk, jumpOk, issues, healthy, missing, unhealthyRequired };
  }

  /**
   * Re-evaluates an experiment's summary (healthy, issues, availability) and appends a health event when healthy
   * or jump changed. Returns the availability change, if any, for the caller to report and apply.
   */
  evaluate(experiment: Experiment, now: number): { from: boolean | undefined; to: boolean } | undefined {
    const { streamOk, jumpOk, issues, healthy, missing, unhealthyRequired } = this.summary(experiment, now);
    experiment.issues = issues;
    // Before the relay's first report nothing is known about the streams: no verdict, no event.
    if (this.inGrace(experiment, now) || this.lastRelayFrameAt === undefined) return undefined;

    if (experiment.events.length === 0 || experiment.healthy !== healthy || experiment.jumpOk !== jumpOk) {
      experiment.events.push({ when: now, healthy, jumpOk, issues: [...issues], streamOk: { ...streamOk } });
      const excess = experiment.events.length - this.settings.eventsPerExperiment;
      if (excess > 0) experiment.events.splice(0, excess);
    }
    experiment.healthy = healthy;
    experiment.jumpOk = jumpOk;

    let available: boolean;
    let reason: string;
    if (this.inManifest(experiment) === false) {
      // Upstream never sets availability of what book does not list; vigil says so instead of staying silent.
      available = false;
      reason = NOT_IN_MANIFEST;
    } else {
      // Availability needs fresh relay data: a monitoring outage must not take every experiment off the booking system.
      if (!this.relayFresh(now)) return undefined;
      available = missing.length === 0 && unhealthyRequired.length === 0;
      reason = available
        ? 'all required streams healthy'
        : [...missing.map((t) => `${t} missing`), ...unhealthyRequired.map((t) => `${t} ${experiment.streams.get(t)?.message ?? 'unhealthy'}`)].join(
            '; ',
          );
    }
    experiment.availabilityReason = reason;
    if (experiment.available === available) return undefined;
    const from = experiment.available;
    experiment.available = available;
    return { from, to: available };
  }
}
