// `kubernetes.objects`: any custom resource, by group/version/plural (optionally one namespace and a label
// selector), becomes one subject per object with a `ready` check — kube-state-metrics' custom-resource state
// metrics, but judged by vigil's health model (freshness, grace, events, alerts).
import type { KubernetesObjectConfig } from './config.js';
import type { Observation } from '../../engine/types.js';
import type { Source, SourceSink } from '../types.js';
import type { KubeObject } from './client/api.js';
import { conditionReadiness, describeReadiness } from './readiness.js';
import { guardWith, sourceWatchSet, type SourceWatchOptions, type WatchSet } from './watch-set.js';

export const OBJECTS_SOURCE = 'kubernetes-objects';

/** `certificates.cert-manager.io/default/web` (cluster-scoped: no namespace part); core group: `pods/default/web`. */
export function objectSubject(entry: KubernetesObjectConfig, object: KubeObject): string {
  const resource = entry.group === '' ? entry.plural : `${entry.plural}.${entry.group}`;
  return object.metadata.namespace ? `${resource}/${object.metadata.namespace}/${object.metadata.name}` : `${resource}/${object.metadata.name}`;
}

const kindOf = (entry: KubernetesObjectConfig, object: KubeObject): string => {
  const kind = (entry.kind ?? object.kind ?? entry.plural).toLowerCase();
  return /^[a-z][a-z0-9_-]{0,62}$/.test(kind) ? kind : 'kube-object';
};

export type ObjectsSourceOptions = SourceWatchOptions;

export class ObjectsSource implements Source {
  readonly name = OBJECTS_SOURCE;
  readonly watches: WatchSet;
  private readonly guard: (action: () => void) => void;
  private sink: SourceSink | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Subjects reported last round, to remove the ones whose object went away. */
  private reported = new Set<string>();
  private restoredCleaned = false;

  constructor(private readonly options: ObjectsSourceOptions) {
    this.guard = guardWith(options.onError, 'kubernetes objects');
    this.watches = sourceWatchSet(options, {
      onChange: () => this.evaluate(),
      onFailed: (status) => this.report((sink) => sink.sourceStatus(OBJECTS_SOURCE, false, status.reason)),
    });
    options.config.objects.forEach((entry, index) => {
      const ref: Parameters<WatchSet['add']>[1]['ref'] = { group: entry.group, version: entry.version, plural: entry.plural };
      if (entry.namespace) ref.namespace = entry.namespace;
      if (entry.label_selector) ref.labelSelector = entry.label_selector;
      this.watches.add(String(index), { ref, kind: entry.kind ?? entry.plural, readiness: (o) => conditionReadiness(o, entry.condition) });
    });
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    this.watches.start();
    this.timer = setInterval(() => this.evaluate(), this.options.config.resync);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.watches.stop();
  }

  evaluate(): void {
    if (!this.sink) return;
    const current = new Set<string>();
    let complete = true;
    this.options.config.objects.forEach((entry, index) => {
      const view = this.watches.view(String(index));
      if (view.state !== 'known') {
        complete = false;
        // Keep what this resource reported before: its checks go stale by themselves while the watch is down.
        for (const id of this.reported) if (id.startsWith(resourcePrefix(entry))) current.add(id);
        return;
      }
      for (const object of view.objects) {
        const id = objectSubject(entry, object);
        current.add(id);
        this.reportObject(entry, object, id);
      }
    });
    const sink = this.sink;
    // An object that went away takes its subject with it.
    for (const id of this.reported) if (!current.has(id)) this.guard(() => sink.removeSubject(id));
    if (complete && !this.restoredCleaned) {
      // Objects deleted while vigil was not running: their restored subjects go too.
      this.restoredCleaned = true;
      for (const id of sink.subjectsOf(OBJECTS_SOURCE)) if (!current.has(id) && !this.reported.has(id)) this.guard(() => sink.removeSubject(id));
    }
    this.reported = current;
    if (this.watches.healthy) this.report((sink) => sink.sourceStatus(OBJECTS_SOURCE, true));
  }

  private reportObject(entry: KubernetesObjectConfig, object: KubeObject, id: string): void {
    const readiness = conditionReadiness(object, entry.condition);
    const labels: Record<string, string> = { name: object.metadata.name, resource: entry.group ? `${entry.plural}.${entry.group}` : entry.plural };
    if (object.metadata.namespace) labels['namespace'] = object.metadata.namespace;
    const observation: Observation = {
      subject: id,
      check: 'ready',
      status: readiness.ready === 'true' ? 'ok' : 'crit',
      message: `${entry.condition} ${describeReadiness(readiness)}`,
      period: this.options.config.resync,
      source: OBJECTS_SOURCE,
    };
    this.report((sink) => {
      sink.defineSubject({ id, kind: kindOf(entry, object), labels, dependsOn: [], source: OBJECTS_SOURCE });
      sink.observe(observation);
    });
  }

  private report(action: (sink: SourceSink) => void): void {
    if (this.sink) this.guard(() => action(this.sink!));
  }
}

const resourcePrefix = (entry: KubernetesObjectConfig): string => `${entry.group === '' ? entry.plural : `${entry.plural}.${entry.group}`}/`;
