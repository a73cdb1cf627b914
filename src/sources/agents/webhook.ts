// `agents.on_available`: one POST per transition of a machine to available, so a deployer can deploy on connect.
// Fed from committed events only (the transition is on disk before anyone is told), with a bounded queue that drops
// the oldest notification when full, a few POSTs in flight, and retries with exponential backoff and jitter.
// Delivery is at-most-once across a vigil restart: consumers that need every transition read the events API with after=SEQ.
import { setTimeout as sleep } from 'node:timers/promises';
import type { OnAvailableConfig } from './config.js';
import type { EngineEvent, SubjectState } from '../../engine/types.js';
import { Backoff } from '../../util/backoff.js';
import { httpReason, sourceErrorReason, type SourceReason } from '../reasons.js';

export interface AvailablePayload {
  seq: number;
  at: string;
  subject: string;
  kind: string;
  labels: Record<string, string>;
  from: string | null;
  to: 'available';
}

export interface WebhookStats {
  delivered: number;
  failed: number;
  dropped: number;
  queued: number;
}

export interface WebhookDeps {
  fetch?: typeof fetch;
  random?: () => number;
  /** Logs a delivery that was given up, without the secret or the body. */
  warn?: (fields: Record<string, unknown>, message: string) => void;
}

/** Answers worth another attempt: the receiver is busy or broken, not refusing this notification. */
const RETRYABLE = (status: number) => status >= 500 || status === 429 || status === 408;

export class AvailableWebhook {
  private readonly queue: AvailablePayload[] = [];
  private readonly kinds: Set<string>;
  private inFlight = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  private idle: (() => void) | undefined;
  readonly stats: WebhookStats = { delivered: 0, failed: 0, dropped: 0, queued: 0 };

  constructor(
    private readonly config: OnAvailableConfig,
    private readonly deps: WebhookDeps = {},
  ) {
    this.kinds = new Set(config.kinds);
  }

  /** Feed committed events; picks the connectivity transitions to available of the configured kinds. */
  offer(events: readonly EngineEvent[], subjectOf: (id: string) => Readonly<SubjectState> | undefined): void {
    for (const event of events) {
      if (event.type !== 'connectivity' || event.to !== 'available') continue;
      const subject = subjectOf(event.subject);
      if (!subject || !this.kinds.has(subject.spec.kind)) continue;
      this.push({
        seq: event.seq,
        at: new Date(event.at).toISOString(),
        subject: event.subject,
        kind: subject.spec.kind,
        labels: { ...subject.spec.labels },
        from: event.from,
        to: 'available',
      });
    }
  }

  /** Stops sending: waits for POSTs in flight (they are aborted), abandons the queue. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  private push(payload: AvailablePayload): void {
    if (this.stopped) return;
    if (this.queue.length >= this.config.queueSize) {
      this.queue.shift();
      this.stats.dropped++;
    }
    this.queue.push(payload);
    this.stats.queued = this.queue.length;
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < this.config.concurrency && this.queue.length > 0) {
      const payload = this.queue.shift()!;
      this.stats.queued = this.queue.length;
      this.inFlight++;
      void this.deliver(payload).finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) this.idle?.();
        this.pump();
      });
    }
  }

  private async deliver(payload: AvailablePayload): Promise<void> {
    const backoff = new Backoff({ min: this.config.backoff, max: this.config.maxBackoff, random: this.deps.random ?? Math.random });
    let lastProblem = '';
    for (let attempt = 0; attempt <= this.config.retries && !this.stopped; attempt++) {
      // The wait between attempts ends early when vigil stops (the abort), like the POST itself.
      if (attempt > 0) await sleep(backoff.next(), undefined, { signal: this.abort.signal }).catch(() => undefined);
      if (this.stopped) break;
      const outcome = await this.post(payload);
      if (outcome === 'ok') {
        this.stats.delivered++;
        return;
      }
      lastProblem = outcome.problem;
      if (!outcome.retry) break;
    }
    this.stats.failed++;
    this.deps.warn?.({ subject: payload.subject, seq: payload.seq, problem: lastProblem }, 'on_available webhook not delivered');
  }

  /** `problem` is a word of the shared reason vocabulary (sources/reasons.ts). */
  private async post(payload: AvailablePayload): Promise<'ok' | { retry: boolean; problem: SourceReason }> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-vigil-event-seq': String(payload.seq) };
    if (this.config.secret) headers[this.config.secret.header.toLowerCase()] = this.config.secret.value;
    try {
      const response = await (this.deps.fetch ?? fetch)(this.config.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(payload),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.config.timeout)]),
      });
      await response.body?.cancel();
      if (response.ok) return 'ok';
      return { retry: RETRYABLE(response.status), problem: httpReason(response.status) };
    } catch (error) {
      return { retry: true, problem: sourceErrorReason(error) };
    }
  }
}
