// A set of informers that one source follows together: it starts and stops them, tells the source when anything
// changed (debounced, so a re-list of 500 objects costs one evaluation), reports the source's own status, and
// answers "what is the readiness of every watched object" for vigil_kube_object_ready.
import { Backoff } from '../../util/backoff.js';
import type { KubernetesConfig } from './config.js';
import type { KubeClient, KubeObject, ResourceRef } from './client/api.js';
import { Informer, type InformerStatus } from './client/informer.js';
import type { KindView } from './mesh/chain.js';
import type { Readiness } from './readiness.js';

export interface WatchedKind {
  ref: ResourceRef & { labelSelector?: string };
  /** Kind name for metrics (`Trigger`); the object's own `kind` wins when it has one. */
  kind: string;
  readiness: (object: KubeObject) => Readiness;
}

export interface ObjectReadiness {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  ready: Readiness['ready'];
}

export interface WatchSetOptions {
  watch: KubernetesConfig['watch'];
  random?: () => number;
  /** Debounce of change notifications, milliseconds. */
  debounceMs?: number;
  onChange: () => void;
  /** A failure of one informer (`reason` is a short word), or undefined when an informer (re)synced. */
  onStatus: (name: string, status: InformerStatus) => void;
}

/** The options both kubernetes sources share: their config, test knobs and where informer errors go. */
export interface SourceWatchOptions {
  config: KubernetesConfig;
  client: KubeClient;
  random?: () => number;
  debounceMs?: number;
  onError?: (message: string) => void;
}

/** Runs an action from a watch callback: a failure goes to `onError`, prefixed with `label`, never into the informer. */
export function guardWith(onError: ((message: string) => void) | undefined, label: string): (action: () => void) => void {
  return (action) => {
    try {
      action();
    } catch (error) {
      onError?.(`${label}: ${(error as Error).message}`);
    }
  };
}

/** A watch set for a source: re-evaluate on any change, report a failed informer as the source being down. */
export function sourceWatchSet(
  options: SourceWatchOptions,
  handlers: { onChange: () => void; onFailed: (status: Extract<InformerStatus, { state: 'failed' }>) => void },
): WatchSet {
  const watchOptions: WatchSetOptions = {
    watch: options.config.watch,
    onChange: handlers.onChange,
    onStatus: (_name, status) => {
      if (status.state === 'failed') handlers.onFailed(status);
      if (status.state !== 'synced') options.onError?.(status.message);
    },
  };
  if (options.random) watchOptions.random = options.random;
  if (options.debounceMs !== undefined) watchOptions.debounceMs = options.debounceMs;
  return new WatchSet(options.client, watchOptions);
}

export class WatchSet {
  private readonly entries = new Map<string, { informer: Informer; kind: WatchedKind }>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly options: WatchSetOptions,
  ) {}

  add(name: string, kind: WatchedKind): Informer {
    const { watch } = this.options;
    const informerOptions: ConstructorParameters<typeof Informer>[1] = {
      ref: kind.ref,
      pageSize: watch.page_size,
      watchTimeoutMs: watch.timeout,
      stallAfterMs: watch.stall_after,
      requestTimeoutMs: watch.request_timeout,
      backoff: new Backoff({ min: watch.backoff_min, max: watch.backoff_max, ...(this.options.random ? { random: this.options.random } : {}) }),
      onChange: () => this.changed(),
      onStatus: (status) => {
        this.options.onStatus(name, status);
        this.changed();
      },
    };
    if (this.options.random) informerOptions.random = this.options.random;
    const informer = new Informer(this.client, informerOptions);
    this.entries.set(name, { informer, kind });
    return informer;
  }

  /** What is watched (for RBAC checks and docs). */
  kinds(): WatchedKind[] {
    return [...this.entries.values()].map(({ kind }) => kind);
  }

  informer(name: string): Informer {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`no informer ${name}`);
    return entry.informer;
  }

  start(): void {
    this.stopped = false;
    for (const { informer } of this.entries.values()) informer.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all([...this.entries.values()].map(({ informer }) => informer.stop()));
  }

  /** Objects of an informer while its watch is followed; pending before the first list and after a failure. */
  view(name: string): KindView {
    const informer = this.informer(name);
    const status = informer.status;
    if (status?.state === 'absent') return { state: 'absent', message: status.message };
    if (!informer.synced || status?.state !== 'synced') return { state: 'pending' };
    return { state: 'known', objects: [...informer.objects.values()] };
  }

  /** True when every informer has an answer from the API server (synced, or the resource is not served). */
  get healthy(): boolean {
    return [...this.entries.values()].every(({ informer }) => informer.status?.state === 'synced' || informer.status?.state === 'absent');
  }

  /** True once every informer has listed at least once or learned that its resource is not served. */
  get answered(): boolean {
    return [...this.entries.values()].every(({ informer }) => informer.synced || informer.status?.state === 'absent');
  }

  *objectReadiness(): Iterable<ObjectReadiness> {
    for (const { informer, kind } of this.entries.values()) {
      if (!informer.synced) continue;
      for (const object of informer.objects.values()) {
        yield {
          group: kind.ref.group,
          kind: object.kind ?? kind.kind,
          namespace: object.metadata.namespace ?? '',
          name: object.metadata.name,
          ready: kind.readiness(object).ready,
        };
      }
    }
  }

  private changed(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) this.options.onChange();
    }, this.options.debounceMs ?? 100);
  }
}
