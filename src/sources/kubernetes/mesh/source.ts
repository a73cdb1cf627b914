// The event-mesh source: watches the six kinds of the Kyma 1.x chain, turns each application into a subject
// (kind `application`) with one check per link, adds the heartbeat checks, and keeps the mesh-level subject
// `event-mesh`, which is healthy exactly when every application is. Checks are re-reported every `resync`
// (their period), so they go stale on their own when the watch is lost.
import type { KubernetesConfig } from '../config.js';
import type { Observation } from '../../../engine/types.js';
import type { Source, SourceSink } from '../../types.js';
import type { HeartbeatMonitor, HeartbeatPair } from '../heartbeat/monitor.js';
import type { HeartbeatSender } from '../heartbeat/sender.js';
import { applicationReadiness, conditionReadiness, serviceInstanceReadiness } from '../readiness.js';
import { guardWith, sourceWatchSet, type SourceWatchOptions, type WatchSet } from '../watch-set.js';
import { evaluateChains, type ApplicationChain, type LinkCheck } from './chain.js';

export const MESH_SOURCE = 'kubernetes-event-mesh';
export const EVENT_MESH_SUBJECT = 'event-mesh';
export const applicationSubject = (name: string): string => `application:${name}`;

const KYMA_GROUP = 'applicationconnector.kyma-project.io';
const KNATIVE_GROUP = 'eventing.knative.dev';

export interface EventMeshSourceOptions extends SourceWatchOptions {
  config: KubernetesConfig & { event_mesh: NonNullable<KubernetesConfig['event_mesh']> };
  heartbeat?: { monitor: HeartbeatMonitor; sender: HeartbeatSender };
  now?: () => number;
}

export class EventMeshSource implements Source {
  readonly name = MESH_SOURCE;
  readonly watches: WatchSet;
  private readonly guard: (action: () => void) => void;
  private sink: SourceSink | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly applications = new Set<string>();
  private readonly now: () => number;
  private readonly only: ReadonlySet<string> | undefined;
  private restoredCleaned = false;

  constructor(private readonly options: EventMeshSourceOptions) {
    this.now = options.now ?? Date.now;
    const mesh = options.config.event_mesh;
    if (mesh.applications) this.only = new Set(mesh.applications);
    this.guard = guardWith(options.onError, 'event mesh');
    this.watches = sourceWatchSet(options, {
      onChange: () => this.evaluate(),
      onFailed: (status) => this.report((sink) => sink.sourceStatus(MESH_SOURCE, false, status.reason)),
    });
    const v = mesh.knative_version;
    this.watches.add('applications', {
      ref: { group: KYMA_GROUP, version: 'v1alpha1', plural: 'applications' },
      kind: 'Application',
      readiness: applicationReadiness,
    });
    this.watches.add('mappings', {
      ref: { group: KYMA_GROUP, version: 'v1alpha1', plural: 'applicationmappings' },
      kind: 'ApplicationMapping',
      // No status at all: existing is all a mapping can be.
      readiness: () => ({ ready: 'true', reason: 'Exists' }),
    });
    this.watches.add('instances', {
      ref: { group: 'servicecatalog.k8s.io', version: 'v1beta1', plural: 'serviceinstances' },
      kind: 'ServiceInstance',
      readiness: serviceInstanceReadiness,
    });
    this.watches.add('triggers', {
      ref: { group: KNATIVE_GROUP, version: v, plural: 'triggers' },
      kind: 'Trigger',
      readiness: (o) => conditionReadiness(o),
    });
    this.watches.add('brokers', {
      ref: { group: KNATIVE_GROUP, version: v, plural: 'brokers' },
      kind: 'Broker',
      readiness: (o) => conditionReadiness(o),
    });
    this.watches.add('httpsources', {
      ref: { group: 'sources.kyma-project.io', version: 'v1alpha1', plural: 'httpsources', namespace: mesh.integration_namespace },
      kind: 'HTTPSource',
      readiness: (o) => conditionReadiness(o),
    });
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    this.watches.start();
    this.timers.push(setInterval(() => this.evaluate(), this.options.config.resync));
    const heartbeat = this.options.heartbeat;
    if (heartbeat) {
      this.timers.push(setInterval(() => void this.sendHeartbeats(), heartbeat.monitor.intervalMs));
    }
    for (const timer of this.timers) timer.unref();
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.watches.stop();
    await this.options.heartbeat?.sender.close();
  }

  /** The (application, namespace) pairs heartbeats are expected for. */
  pairs(): HeartbeatPair[] {
    return this.options.heartbeat?.monitor.pairs().map(({ application, namespace }) => ({ application, namespace })) ?? [];
  }

  async sendHeartbeats(): Promise<void> {
    const heartbeat = this.options.heartbeat;
    if (heartbeat) await heartbeat.sender.sendRound(this.pairs());
  }

  /** A heartbeat arrived: report its check at once rather than at the next resync. */
  heartbeatReceived(application: string, namespace: string): void {
    const check = this.options.heartbeat?.monitor.check(application, namespace, this.now());
    if (check && this.applications.has(application)) this.observe(application, check);
    this.reportMesh();
  }

  /** Recomputes every chain from the watched objects and reports it. Called on changes and every resync. */
  evaluate(): void {
    // Until every kind has answered once, a chain would look healthy for links not yet seen.
    if (!this.sink || !this.watches.answered) return;
    const input = {
      integrationNamespace: this.options.config.event_mesh.integration_namespace,
      applications: this.watches.view('applications'),
      mappings: this.watches.view('mappings'),
      instances: this.watches.view('instances'),
      triggers: this.watches.view('triggers'),
      brokers: this.watches.view('brokers'),
      httpsources: this.watches.view('httpsources'),
      ...(this.only ? { only: this.only } : {}),
    };
    if (input.applications.state === 'absent') {
      // Not a Kyma cluster (or the wrong API server): say so on the mesh subject rather than stay silent.
      this.reportMesh(`Application: ${input.applications.message}`);
      if (this.watches.healthy) this.report((sink) => sink.sourceStatus(MESH_SOURCE, true));
      return;
    }
    const chains = evaluateChains(input);
    if (chains === undefined) return; // the applications are not known yet (or not followed right now)
    const now = this.now();
    const monitor = this.options.heartbeat?.monitor;
    // Heartbeats are expected only where the mappings are known; otherwise the previous pairs stay.
    if (monitor && input.mappings.state === 'known') {
      monitor.setPairs(
        chains.flatMap((chain) => chain.namespaces.map((namespace) => ({ application: chain.name, namespace }))),
        now,
      );
    }
    const present = new Set(chains.map((chain) => chain.name));
    if (!this.restoredCleaned) {
      // Applications deleted while vigil was not running: their restored subjects go too.
      this.restoredCleaned = true;
      for (const id of this.sink.subjectsOf(MESH_SOURCE)) {
        if (id !== EVENT_MESH_SUBJECT && !present.has(id.replace(/^application:/, ''))) this.report((sink) => sink.removeSubject(id));
      }
    }
    for (const name of [...this.applications]) {
      if (present.has(name)) continue;
      this.applications.delete(name);
      this.report((sink) => sink.removeSubject(applicationSubject(name)));
    }
    for (const chain of chains) this.reportChain(chain, now);
    this.reportMesh();
    if (this.watches.healthy) this.report((sink) => sink.sourceStatus(MESH_SOURCE, true));
  }

  private reportChain(chain: ApplicationChain, now: number): void {
    if (!this.applications.has(chain.name)) {
      this.applications.add(chain.name);
      this.report((sink) =>
        sink.defineSubject({
          id: applicationSubject(chain.name),
          kind: 'application',
          labels: { application: chain.name },
          dependsOn: [],
          source: MESH_SOURCE,
        }),
      );
    }
    for (const check of chain.checks) this.observe(chain.name, check);
    const monitor = this.options.heartbeat?.monitor;
    if (!monitor) return;
    for (const namespace of chain.namespaces) {
      const check = monitor.check(chain.name, namespace, now);
      if (check) this.observe(chain.name, check);
    }
  }

  private observe(application: string, check: LinkCheck): void {
    const observation: Observation = {
      subject: applicationSubject(application),
      check: check.check,
      status: check.status,
      message: check.message,
      period: this.options.config.resync,
      source: MESH_SOURCE,
    };
    this.report((sink) => sink.observe(observation));
  }

  /** `event-mesh` is healthy exactly when every application is (and trivially so with none). */
  private reportMesh(problem?: string): void {
    const notHealthy: string[] = [];
    for (const name of [...this.applications].sort()) {
      // The engine's view of the application, for the `event-mesh` roll-up.
      const health = this.sink?.subject(applicationSubject(name))?.health ?? 'unknown';
      if (health !== 'healthy') notHealthy.push(`${name} ${health}`);
    }
    const total = this.applications.size;
    this.report((sink) => {
      sink.defineSubject({ id: EVENT_MESH_SUBJECT, kind: 'event-mesh', labels: {}, dependsOn: [], source: MESH_SOURCE });
      sink.observe({
        subject: EVENT_MESH_SUBJECT,
        check: 'applications',
        status: notHealthy.length === 0 && problem === undefined ? 'ok' : 'crit',
        message:
          problem ??
          (notHealthy.length === 0
            ? `all ${total} application(s) healthy`
            : `${notHealthy.length} of ${total} application(s) not healthy: ` +
              `${notHealthy.slice(0, 20).join(', ')}${notHealthy.length > 20 ? ', ...' : ''}`),
        period: this.options.config.resync,
        source: MESH_SOURCE,
      });
    });
  }

  private report(action: (sink: SourceSink) => void): void {
    if (this.sink) this.guard(() => action(this.sink!));
  }
}
