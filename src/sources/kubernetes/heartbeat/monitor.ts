// What vigil knows about heartbeats per (application, namespace): what it sent, what came back, how late, and
// the `heartbeat:<ns>` check that follows from it. Heartbeats are signed with HMAC-SHA256 over the fields that
// matter (id, application, namespace, send time), carried in the `vigilsignature` extension attribute, because
// the mesh forwards CloudEvent attributes but not arbitrary HTTP headers such as Authorization.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { LinkCheck } from '../mesh/chain.js';
import { linkCheck } from '../mesh/chain.js';

export interface HeartbeatPair {
  application: string;
  namespace: string;
}

export interface HeartbeatPayload {
  id: string;
  application: string;
  /** Absent when sent through an HTTPSource (one event fans out to every bound namespace). */
  namespace?: string;
  /** Epoch ms at which vigil sent it. */
  sentAt: number;
}

export interface HeartbeatEntry extends HeartbeatPair {
  /** When vigil began expecting heartbeats for this pair. */
  since: number;
  sent: number;
  sendErrors: number;
  lastSendError?: string;
  received: number;
  receivedAt?: number;
  latencyMs?: number;
  /** Send time of the newest heartbeat received. */
  newestSentAt?: number;
}

export type RecordResult = 'accepted' | 'duplicate' | 'unknown';

const SIGNATURE_VERSION = 'v1';
/** Recent event ids kept for de-duplication (knative delivers at least once). */
const REMEMBERED_IDS = 4096;

export function signHeartbeat(key: string, payload: HeartbeatPayload): string {
  const text = [payload.id, payload.application, payload.namespace ?? '', String(payload.sentAt)].join('\n');
  return `${SIGNATURE_VERSION}=${createHmac('sha256', key).update(text).digest('hex')}`;
}

export function verifyHeartbeat(key: string, payload: HeartbeatPayload, signature: string | undefined): boolean {
  if (signature === undefined) return false;
  const expected = Buffer.from(signHeartbeat(key, payload));
  const presented = Buffer.from(signature);
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}

const pairKey = (application: string, namespace: string) => `${namespace}/${application}`;

export class HeartbeatMonitor {
  private readonly entries = new Map<string, HeartbeatEntry>();
  private readonly seenIds = new Set<string>();

  constructor(
    /** Interval between heartbeats, ms. */
    readonly intervalMs: number,
    /** Multiples of the interval after which a missing heartbeat is crit. */
    readonly freshness: number,
  ) {}

  get windowMs(): number {
    return this.intervalMs * this.freshness;
  }

  /** The pairs heartbeats are expected for now; new ones start their window at `now`, vanished ones are forgotten. */
  setPairs(pairs: readonly HeartbeatPair[], now: number): void {
    const wanted = new Set(pairs.map((p) => pairKey(p.application, p.namespace)));
    for (const key of this.entries.keys()) if (!wanted.has(key)) this.entries.delete(key);
    for (const pair of pairs) {
      const key = pairKey(pair.application, pair.namespace);
      if (!this.entries.has(key)) this.entries.set(key, { ...pair, since: now, sent: 0, sendErrors: 0, received: 0 });
    }
  }

  pairs(): HeartbeatEntry[] {
    return [...this.entries.values()];
  }

  get(application: string, namespace: string): HeartbeatEntry | undefined {
    return this.entries.get(pairKey(application, namespace));
  }

  recordSent(application: string, namespace: string, error?: string): void {
    const entry = this.get(application, namespace);
    if (!entry) return;
    entry.sent++;
    if (error === undefined) delete entry.lastSendError;
    else {
      entry.sendErrors++;
      entry.lastSendError = error;
    }
  }

  /** A verified heartbeat arrived at `now` for one namespace. */
  recordReceived(payload: HeartbeatPayload, namespace: string, now: number): RecordResult {
    const entry = this.get(payload.application, namespace);
    if (!entry) return 'unknown';
    const idKey = `${namespace}\n${payload.id}`;
    if (this.seenIds.has(idKey)) return 'duplicate';
    this.seenIds.add(idKey);
    if (this.seenIds.size > REMEMBERED_IDS) this.seenIds.delete(this.seenIds.values().next().value!);
    entry.received++;
    // A heartbeat older than the newest one we have (a late redelivery) is counted but does not move time back.
    if (entry.newestSentAt === undefined || payload.sentAt >= entry.newestSentAt) {
      entry.newestSentAt = payload.sentAt;
      entry.receivedAt = now;
      entry.latencyMs = Math.max(0, now - payload.sentAt);
    }
    return 'accepted';
  }

  /** The heartbeat check of a pair, or undefined while its first window has not passed and nothing arrived. */
  check(application: string, namespace: string, now: number): LinkCheck | undefined {
    const entry = this.get(application, namespace);
    if (!entry) return undefined;
    const check = linkCheck.heartbeat(namespace);
    const window = this.windowMs;
    if (entry.receivedAt !== undefined && now - entry.receivedAt <= window) {
      return { check, status: 'ok', message: `last heartbeat ${seconds(now - entry.receivedAt)} ago, latency ${seconds(entry.latencyMs ?? 0)}` };
    }
    if (entry.receivedAt === undefined && now - entry.since < window) return undefined;
    const last = entry.receivedAt === undefined ? 'none received yet' : `last one ${seconds(now - entry.receivedAt)} ago`;
    const send = entry.lastSendError ? `; last send failed: ${entry.lastSendError}` : entry.sent === 0 ? '; none sent yet' : '';
    return { check, status: 'crit', message: `no heartbeat within ${seconds(window)} (${last})${send}` };
  }
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}s`;
