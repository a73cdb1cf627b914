// The Kyma 1.x event-mesh chain per application (Kyma 1.x, docs/kubernetes.md): Application installed →
// HTTPSource ready → per bound namespace: ApplicationMapping → ServiceInstance provisioned → Broker `default`
// ready → Triggers ready. One check per link; a pure function of the watched objects, so tests need no cluster.
import type { CheckStatus } from '../../../engine/types.js';
import type { KubeObject } from '../client/api.js';
import {
  applicationReadiness,
  conditionReadiness,
  describeReadiness,
  serviceInstanceReadiness,
  type Readiness,
} from '../readiness.js';

/** What the watch knows about one kind: its objects, not yet (or no longer) followed, or not served at all. */
export type KindView =
  | { state: 'known'; objects: readonly KubeObject[] }
  | { state: 'pending' }
  | { state: 'absent'; message: string };

export interface MeshInput {
  integrationNamespace: string;
  applications: KindView;
  mappings: KindView;
  instances: KindView;
  triggers: KindView;
  brokers: KindView;
  httpsources: KindView;
  /** Only these applications (config `event_mesh.applications`). */
  only?: ReadonlySet<string>;
}

export interface LinkCheck {
  check: string;
  status: CheckStatus;
  message: string;
}

export interface ApplicationChain {
  name: string;
  /** Namespaces the application is bound to (its ApplicationMappings). */
  namespaces: string[];
  checks: LinkCheck[];
}

export const BROKER_NAME = 'default';
/** Annotation (or label) a user puts on a ServiceInstance whose class name does not reveal its application. */
export const APPLICATION_ANNOTATION = 'vigil.io/application';

/** Check names; per-namespace links carry the namespace after a colon (`trigger:orders`). */
export const linkCheck = {
  installed: 'installed',
  httpsource: 'httpsource',
  mapping: (ns: string) => `mapping:${ns}`,
  serviceInstance: (ns: string) => `serviceinstance:${ns}`,
  broker: (ns: string) => `broker:${ns}`,
  trigger: (ns: string) => `trigger:${ns}`,
  heartbeat: (ns: string) => `heartbeat:${ns}`,
};

/** A KindView with its objects grouped by namespace, so each chain looks only at its own namespaces. */
type IndexedView = { state: 'known'; byNamespace: Map<string, KubeObject[]> } | { state: 'pending' } | { state: 'absent'; message: string };

function indexView(view: KindView): IndexedView {
  if (view.state !== 'known') return view;
  const byNamespace = new Map<string, KubeObject[]>();
  for (const object of view.objects) {
    const ns = object.metadata.namespace ?? '';
    const list = byNamespace.get(ns);
    if (list) list.push(object);
    else byNamespace.set(ns, [object]);
  }
  return { state: 'known', byNamespace };
}

interface Indexed {
  integrationNamespace: string;
  /** Application name → namespaces it is bound to; undefined while mappings are not followed. */
  bindings: Map<string, Set<string>> | undefined;
  instances: IndexedView;
  triggers: IndexedView;
  brokers: IndexedView;
  httpsources: IndexedView;
}

/** Returns undefined while the applications themselves are not known yet: the caller then reports nothing. */
export function evaluateChains(input: MeshInput): ApplicationChain[] | undefined {
  if (input.applications.state !== 'known') return undefined;
  let bindings: Map<string, Set<string>> | undefined;
  if (input.mappings.state === 'known') {
    bindings = new Map();
    for (const mapping of input.mappings.objects) {
      if (!mapping.metadata.namespace) continue;
      const set = bindings.get(mapping.metadata.name) ?? new Set<string>();
      set.add(mapping.metadata.namespace);
      bindings.set(mapping.metadata.name, set);
    }
  }
  const indexed: Indexed = {
    integrationNamespace: input.integrationNamespace,
    bindings,
    instances: indexView(input.instances),
    triggers: indexView(input.triggers),
    brokers: indexView(input.brokers),
    httpsources: indexView(input.httpsources),
  };
  const chains: ApplicationChain[] = [];
  for (const application of input.applications.objects) {
    const name = application.metadata.name;
    if (input.only && !input.only.has(name)) continue;
    chains.push(evaluateChain(application, indexed));
  }
  return chains.sort((a, b) => a.name.localeCompare(b.name));
}

function evaluateChain(application: KubeObject, input: Indexed): ApplicationChain {
  const name = application.metadata.name;
  const checks: LinkCheck[] = [];
  const installed = applicationReadiness(application);
  checks.push(
    installed.skipped
      ? { check: linkCheck.installed, status: 'warn', message: 'installation skipped: the application has no eventing resources' }
      : fromReadiness(linkCheck.installed, `Application ${name}`, installed),
  );
  const home = input.integrationNamespace;
  if (!installed.skipped) {
    const httpsource = linkFor(input.httpsources, home, linkCheck.httpsource, 'HTTPSource', (objects) => {
      const source = objects.find((o) => o.metadata.name === name);
      if (!source) return crit(linkCheck.httpsource, `HTTPSource ${home}/${name} does not exist`);
      return fromReadiness(linkCheck.httpsource, `HTTPSource ${home}/${name}`, conditionReadiness(source));
    });
    if (httpsource) checks.push(httpsource);
  }

  const namespaces = [...(input.bindings?.get(name) ?? [])].sort();
  for (const ns of namespaces) {
    checks.push({ check: linkCheck.mapping(ns), status: 'ok', message: `ApplicationMapping ${ns}/${name} binds the application to ${ns}` });
    const links = [
      linkFor(input.instances, ns, linkCheck.serviceInstance(ns), 'ServiceInstance', (objects) => instancesCheck(name, ns, objects)),
      linkFor(input.brokers, ns, linkCheck.broker(ns), 'Broker', (objects) => {
        const broker = objects.find((o) => o.metadata.name === BROKER_NAME);
        if (!broker) {
          return crit(linkCheck.broker(ns), `Broker ${ns}/${BROKER_NAME} does not exist (is the namespace labelled knative-eventing-injection=enabled?)`);
        }
        return fromReadiness(linkCheck.broker(ns), `Broker ${ns}/${BROKER_NAME}`, conditionReadiness(broker));
      }),
      linkFor(input.triggers, ns, linkCheck.trigger(ns), 'Trigger', (objects) => triggersCheck(name, ns, objects)),
    ];
    for (const link of links) if (link) checks.push(link);
  }
  return { name, namespaces, checks };
}

/** A link whose kind is known (judged on the objects of `ns`); crit when the kind is not served; nothing while it is not followed. */
function linkFor(view: IndexedView, ns: string, check: string, kind: string, evaluate: (objects: readonly KubeObject[]) => LinkCheck): LinkCheck | undefined {
  if (view.state === 'known') return evaluate(view.byNamespace.get(ns) ?? []);
  if (view.state === 'absent') return crit(check, `${kind}: ${view.message}`);
  return undefined;
}

const crit = (check: string, message: string): LinkCheck => ({ check, status: 'crit', message });

function fromReadiness(check: string, what: string, readiness: Readiness): LinkCheck {
  return { check, status: readiness.ready === 'true' ? 'ok' : 'crit', message: `${what} ${describeReadiness(readiness)}` };
}

function instancesCheck(application: string, ns: string, objects: readonly KubeObject[]): LinkCheck {
  const check = linkCheck.serviceInstance(ns);
  const mine = objects.filter((o) => o.metadata.namespace === ns && instanceBelongsTo(o, application));
  if (mine.length === 0) {
    return crit(check, `no ServiceInstance of ${application} in ${ns}: events do not reach the namespace until one is provisioned`);
  }
  const failing = mine.map((o) => ({ o, r: serviceInstanceReadiness(o) })).filter(({ r }) => r.ready !== 'true');
  if (failing.length === 0) return { check, status: 'ok', message: `${mine.length} ServiceInstance(s) provisioned and ready` };
  return crit(check, failing.map(({ o, r }) => `ServiceInstance ${ns}/${o.metadata.name} ${describeReadiness(r)}`).join('; '));
}

function triggersCheck(application: string, ns: string, objects: readonly KubeObject[]): LinkCheck {
  const check = linkCheck.trigger(ns);
  const mine = objects.filter((o) => o.metadata.namespace === ns && triggerSource(o) === application);
  if (mine.length === 0) return { check, status: 'warn', message: `no Trigger in ${ns} filters on source ${application}: its events are not consumed` };
  const failing = mine.map((o) => ({ o, r: conditionReadiness(o) })).filter(({ r }) => r.ready !== 'true');
  if (failing.length === 0) return { check, status: 'ok', message: `${mine.length} Trigger(s) ready` };
  return crit(check, failing.map(({ o, r }) => `Trigger ${ns}/${o.metadata.name} ${describeReadiness(r)}`).join('; '));
}

/** The `source` a Trigger filters on: `spec.filter.attributes.source` (v1alpha1 and v1) or the deprecated `sourceAndType`. */
export function triggerSource(trigger: KubeObject): string | undefined {
  const filter = trigger.spec?.['filter'] as { attributes?: Record<string, unknown>; sourceAndType?: { source?: unknown } } | undefined;
  const source = filter?.attributes?.['source'] ?? filter?.sourceAndType?.source;
  return typeof source === 'string' && source !== '' ? source : undefined;
}

/** The Trigger's subscriber: `status.subscriberURI` on v1alpha1, `status.subscriberUri` on v1. */
export function triggerSubscriber(trigger: KubeObject): string | undefined {
  const uri = trigger.status?.['subscriberURI'] ?? trigger.status?.['subscriberUri'];
  return typeof uri === 'string' ? uri : undefined;
}

/**
 * Whether a ServiceInstance provisions a class of `application`. The robust join (the knative Subscription the
 * application broker labels) is not watched, so: an explicit label or annotation `application-name` /
 * `vigil.io/application` first, else a service class whose name is the application's or starts with
 * `app-<application>-` or `<application>-` (the application broker's naming).
 */
export function instanceBelongsTo(instance: KubeObject, application: string): boolean {
  const marks = [instance.metadata.labels?.['application-name'], instance.metadata.annotations?.[APPLICATION_ANNOTATION], instance.metadata.labels?.[APPLICATION_ANNOTATION]];
  if (marks.some((mark) => mark !== undefined)) return marks.includes(application);
  const spec = instance.spec ?? {};
  const ref = (value: unknown) => (value as { name?: unknown } | undefined)?.name;
  const userClass = instance.status?.['userSpecifiedClassName'];
  const names = [
    spec['serviceClassExternalName'],
    spec['clusterServiceClassExternalName'],
    ref(spec['serviceClassRef']),
    ref(spec['clusterServiceClassRef']),
    typeof userClass === 'string' ? userClass.replace(/^(Cluster)?ServiceClass\//, '') : undefined,
  ].filter((value): value is string => typeof value === 'string' && value !== '');
  return names.some((name) => name === application || name.startsWith(`app-${application}-`) || name.startsWith(`${application}-`));
}
