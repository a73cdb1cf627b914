// List + watch one resource into a local cache, the way client-go's Reflector does it (reference §5.1, §5.4):
// list page by page, watch from the list's resourceVersion with bookmarks and a random timeoutSeconds, follow
// the stream's resourceVersions, re-list on 410 Gone in either form, re-watch when the server ends the stream,
// back off with jitter on anything else, and restart a watch that went quiet for `stallAfterMs` (half-open TCP,
// kubernetes-client/javascript#364, #596, #958). A re-list replaces the cache by diff, so consumers see exactly
// the objects that appeared, changed or vanished in between: nothing lost, nothing twice.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Backoff } from '../../../util/backoff.js';
import { httpReason, sourceErrorReason, type SourceReason } from '../../reasons.js';
import { KubeApiError, resourcePath, type KubeClient, type KubeList, type KubeObject, type ResourceRef } from './api.js';

export interface InformerOptions {
  ref: ResourceRef & { labelSelector?: string };
  pageSize: number;
  /** Shortest server-side watch timeout; each watch asks for a random value in [this, 2 × this). */
  watchTimeoutMs: number;
  stallAfterMs: number;
  requestTimeoutMs: number;
  backoff: Backoff;
  random?: () => number;
  /** After the cache changed for one object. */
  onChange?: (type: 'upsert' | 'delete', object: KubeObject) => void;
  /** After a list completed, and after each failure or recovery. */
  onStatus?: (status: InformerStatus) => void;
}

export type InformerStatus =
  | { state: 'synced' }
  | { state: 'failed'; reason: SourceReason; message: string }
  /** The API server does not serve this resource (404: the CRD is not installed). */
  | { state: 'absent'; message: string };

export interface InformerStats {
  lists: number;
  watches: number;
  relistsAfterGone: number;
  stalls: number;
  failures: number;
}

class Gone extends Error {}
class Stalled extends Error {}

export const objectKey = (object: KubeObject): string =>
  object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name;

export class Informer {
  readonly objects = new Map<string, KubeObject>();
  readonly stats: InformerStats = { lists: 0, watches: 0, relistsAfterGone: 0, stalls: 0, failures: 0 };
  synced = false;
  status: InformerStatus | undefined;
  private resourceVersion: string | undefined;
  private stopper = new AbortController();
  private running: Promise<void> | undefined;
  private readonly path: string;
  private readonly random: () => number;

  constructor(
    private readonly client: KubeClient,
    private readonly options: InformerOptions,
  ) {
    this.path = resourcePath(options.ref);
    this.random = options.random ?? Math.random;
  }

  /** `group/version/plural` (and namespace), for messages. */
  get description(): string {
    const { group, version, plural, namespace } = this.options.ref;
    return `${plural}${group ? '.' + group : ''}/${version}${namespace ? ` in ${namespace}` : ''}`;
  }

  /** May be called again after stop() (a replica that takes the watch back): it lists afresh. */
  start(): void {
    if (this.running) return;
    if (this.stopper.signal.aborted) {
      this.stopper = new AbortController();
      this.resourceVersion = undefined;
    }
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
    this.running = undefined;
  }

  private async run(): Promise<void> {
    let gonesInARow = 0;
    while (!this.stopper.signal.aborted) {
      try {
        if (this.resourceVersion === undefined) await this.list();
        const delivered = await this.watchOnce();
        gonesInARow = 0;
        // A stream the server closed at once with nothing in it must not turn into a busy loop.
        if (delivered) this.options.backoff.reset();
        else await this.pause(this.options.backoff.next());
      } catch (error) {
        if (this.stopper.signal.aborted) return;
        if (error instanceof Gone) {
          this.resourceVersion = undefined;
          this.stats.relistsAfterGone++;
          // Re-list at once; only a second 410 in a row waits (a server that keeps expiring what it just listed).
          if (++gonesInARow > 1) await this.pause(this.options.backoff.next());
          continue;
        }
        if (error instanceof Stalled) {
          this.stats.stalls++;
          this.setStatus({
            state: 'failed',
            reason: 'stall',
            message: `watch of ${this.description} was silent for ${this.options.stallAfterMs / 1000}s; restarted`,
          });
          continue; // re-watch from the last resourceVersion at once
        }
        this.stats.failures++;
        if (error instanceof KubeApiError && error.status === 404) {
          this.setStatus({ state: 'absent', message: `${this.description} is not served by the API server (CRD not installed?)` });
        } else {
          this.setStatus({ state: 'failed', reason: failureReason(error), message: `${this.description}: ${(error as Error).message}` });
        }
        await this.pause(this.options.backoff.next());
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopper.signal }).catch(() => undefined);
  }

  private async list(): Promise<void> {
    const fresh = new Map<string, KubeObject>();
    let continueToken: string | undefined;
    let listVersion: string | undefined;
    do {
      const query: Record<string, string> = { limit: String(this.options.pageSize) };
      if (continueToken) query['continue'] = continueToken;
      if (this.options.ref.labelSelector) query['labelSelector'] = this.options.ref.labelSelector;
      const signal = AbortSignal.any([this.stopper.signal, AbortSignal.timeout(this.options.requestTimeoutMs)]);
      let page: KubeList;
      try {
        page = (await this.client.getJson(this.path, query, signal)) as KubeList;
      } catch (error) {
        // An expired continue token: start the list over.
        if (error instanceof KubeApiError && error.status === 410) throw new Gone();
        throw error;
      }
      for (const item of page.items ?? []) if (item?.metadata?.name) fresh.set(objectKey(item), item);
      listVersion = page.metadata?.resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    this.stats.lists++;
    this.replaceAll(fresh);
    this.resourceVersion = listVersion ?? '';
    this.synced = true;
    this.setStatus({ state: 'synced' });
  }

  /** Brings the cache to `fresh`, reporting only what differs. */
  private replaceAll(fresh: Map<string, KubeObject>): void {
    for (const [key, old] of this.objects) {
      if (!fresh.has(key)) {
        this.objects.delete(key);
        this.options.onChange?.('delete', old);
      }
    }
    for (const [key, object] of fresh) {
      const old = this.objects.get(key);
      if (old && old.metadata.resourceVersion !== undefined && old.metadata.resourceVersion === object.metadata.resourceVersion) continue;
      this.objects.set(key, object);
      this.options.onChange?.('upsert', object);
    }
  }

  /** One watch request. Resolves when the server ends the stream; true when it delivered anything. */
  private async watchOnce(): Promise<boolean> {
    const timeoutSeconds = Math.floor((this.options.watchTimeoutMs / 1000) * (1 + this.random()));
    const query: Record<string, string> = {
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(Math.max(1, timeoutSeconds)),
    };
    if (this.resourceVersion) query['resourceVersion'] = this.resourceVersion;
    if (this.options.ref.labelSelector) query['labelSelector'] = this.options.ref.labelSelector;
    const watchAbort = new AbortController();
    const signal = AbortSignal.any([this.stopper.signal, watchAbort.signal]);
    let stalled = false;
    let stallTimer: NodeJS.Timeout | undefined;
    const armStallTimer = () => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        stalled = true;
        watchAbort.abort();
      }, this.options.stallAfterMs);
    };
    this.stats.watches++;
    let delivered = false;
    armStallTimer();
    try {
      // A watch that opens after a failure means the cache is followed again.
      const opened = () => {
        if (this.status?.state !== 'synced') this.setStatus({ state: 'synced' });
      };
      for await (const event of this.client.watch(this.path, query, signal, opened)) {
        armStallTimer();
        delivered = true;
        this.apply(event.type, event.object);
      }
      return delivered;
    } catch (error) {
      if (stalled) throw new Stalled();
      if (error instanceof KubeApiError && error.status === 410) throw new Gone();
      throw error;
    } finally {
      clearTimeout(stallTimer);
    }
  }

  private apply(type: string, object: KubeObject & { code?: number; message?: string }): void {
    if (type === 'ERROR') {
      if (object.code === 410) throw new Gone();
      throw new KubeApiError(object.code ?? 500, undefined, `watch error: ${object.message ?? 'no message'}`);
    }
    const version = object.metadata?.resourceVersion;
    if (type === 'BOOKMARK') {
      if (version) this.resourceVersion = version;
      return;
    }
    if (!object.metadata?.name) return;
    if (version) this.resourceVersion = version;
    const key = objectKey(object);
    if (type === 'DELETED') {
      const old = this.objects.get(key);
      this.objects.delete(key);
      if (old) this.options.onChange?.('delete', object);
    } else if (type === 'ADDED' || type === 'MODIFIED') {
      this.objects.set(key, object);
      this.options.onChange?.('upsert', object);
    }
  }

  private setStatus(status: InformerStatus): void {
    this.status = status;
    this.options.onStatus?.(status);
  }
}

/** The word for `vigil_source_errors_total{reason}` (the shared vocabulary of sources/reasons.ts). */
export function failureReason(error: unknown): SourceReason {
  return error instanceof KubeApiError ? httpReason(error.status) : sourceErrorReason(error);
}
