// The Kyma 1.x event-mesh chain per application (Kyma 1.x, docs/kubernetes.md): Application installed →
// HTTPSource ready → per bound namespace: ApplicationMapping → ServiceInstance provisioned → Broker `default`
// ready → Triggers ready. One check per link; a pure function of the watched objects, so tests need no cluster.
// This file judges the links; what it reads from each single object (services, the instance → application join,
// a Trigger's source) is in objects.ts.
import type { CheckStatus } from '../../../engine/types.js';
import type { KubeObject } from '../client/api.js';
import { applicationReadiness, conditionReadiness, describeReadiness, serviceInstanceReadiness, type Readiness } from '../readiness.js';
import {
  type ApplicationService,
  type EnabledServices,
  applicationServices,
  enabledServices,
  instanceApplication,
  triggerSource,
} from './objects.js';

/** What the watch knows about one kind: its objects, not yet (or no longer) followed, or not served at all. */
export type KindView = { state: 'known'; objects: readonly KubeObject[] } | { state: 'pending' } | { state: 'absent'; message: string };

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

/** A ServiceInstance with the application service it provisions, when the join found one. */
interface JoinedInstance {
  instance: KubeObject;
  service: ApplicationService | undefined;
}

interface Indexed {
  integrationNamespace: string;
  /** Application name → namespace → services it enables there; undefined while mappings are not followed. */
  bindings: Map<string, Map<string, EnabledServices>> | undefined;
  /** Service id, and service name, → the application service; from every Application's `spec.services`. */
  services: Map<string, ApplicationService>;
  /** Namespace → application → its ServiceInstances there, in watch order; each instance joined once per evaluation. */
  instancesOf: Map<string, Map<string, JoinedInstance[]>>;
  instances: IndexedView;
  triggers: IndexedView;
  brokers: IndexedView;
  httpsources: IndexedView;
  /** HTTPSources of the integration namespace by name (every application's lives there: a scan per chain is quadratic). */
  httpsourceByName: Map<string, KubeObject>;
}

/** Returns undefined while the applications themselves are not known yet: the caller then reports nothing. */
export function evaluateChains(input: MeshInput): ApplicationChain[] | undefined {
  if (input.applications.state !== 'known') return undefined;
  let bindings: Map<string, Map<string, EnabledServices>> | undefined;
  if (input.mappings.state === 'known') {
    bindings = new Map();
    for (const mapping of input.mappings.objects) {
      if (!mapping.metadata.namespace) continue;
      const byNamespace = bindings.get(mapping.metadata.name) ?? new Map<string, EnabledServices>();
      byNamespace.set(mapping.metadata.namespace, enabledServices(mapping));
      bindings.set(mapping.metadata.name, byNamespace);
    }
  }
  const services = new Map<string, ApplicationService>();
  for (const application of input.applications.objects) {
    for (const service of applicationServices(application)) {
      services.set(service.id, service);
      if (service.name) services.set(service.name, service);
    }
  }
  const httpsources = indexView(input.httpsources);
  const applications = new Set(input.applications.objects.map((application) => application.metadata.name));
  const indexed: Indexed = {
    integrationNamespace: input.integrationNamespace,
    bindings,
    services,
    instancesOf: joinInstances(input.instances, services, applications),
    instances: indexView(input.instances),
    triggers: indexView(input.triggers),
    brokers: indexView(input.brokers),
    httpsources,
    httpsourceByName: byName(httpsources.state === 'known' ? (httpsources.byNamespace.get(input.integrationNamespace) ?? []) : []),
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
    const httpsource = linkFor(input.httpsources, home, linkCheck.httpsource, 'HTTPSource', () => {
      const source = input.httpsourceByName.get(name);
      if (!source) return crit(linkCheck.httpsource, `HTTPSource ${home}/${name} does not exist`);
      return fromReadiness(linkCheck.httpsource, `HTTPSource ${home}/${name}`, conditionReadiness(source));
    });
    if (httpsource) checks.push(httpsource);
  }

  const bound = input.bindings?.get(name) ?? new Map<string, EnabledServices>();
  const namespaces = [...bound.keys()].sort();
  for (const ns of namespaces) {
    const enabled = bound.get(ns)!;
    checks.push(mappingCheck(name, ns, enabled, input.services));
    let apiAccessOnly = false;
    // The namespace's instances were joined to their applications once for every chain (joinInstances).
    const instances = linkFor(input.instances, ns, linkCheck.serviceInstance(ns), 'ServiceInstance', () => {
      const mine = input.instancesOf.get(ns)?.get(name) ?? [];
      apiAccessOnly = mine.length === 0;
      return instancesCheck(name, ns, mine, enabled);
    });
    if (instances) checks.push(instances);
    // Without a ServiceInstance the namespace has API access only (a legitimate state): the application broker
    // makes no Broker and no event reaches the namespace, so Broker and Triggers are not expected there. They are
    // still reported (ok, saying why), so checks from before an instance was deprovisioned do not go stale.
    if (apiAccessOnly) {
      const notExpected = `not expected: ${ns} has API access only (no ServiceInstance of ${name})`;
      checks.push(
        { check: linkCheck.broker(ns), status: 'ok', message: notExpected },
        { check: linkCheck.trigger(ns), status: 'ok', message: notExpected },
      );
      continue;
    }
    const links = [
      linkFor(input.brokers, ns, linkCheck.broker(ns), 'Broker', (objects) => {
        const broker = objects.find((o) => o.metadata.name === BROKER_NAME);
        if (!broker) {
          return crit(
            linkCheck.broker(ns),
            `Broker ${ns}/${BROKER_NAME} does not exist (is the namespace labelled knative-eventing-injection=enabled?)`,
          );
        }
        return fromReadiness(linkCheck.broker(ns), `Broker ${ns}/${BROKER_NAME}`, conditionReadiness(broker));
      }),
      linkFor(input.triggers, ns, linkCheck.trigger(ns), 'Trigger', (objects) => triggersCheck(name, ns, objects)),
    ];
    for (const link of links) if (link) checks.push(link);
  }
  return { name, namespaces, checks };
}

/** Objects by name, the first of a name kept (as `find` would). */
function byName(objects: readonly KubeObject[]): Map<string, KubeObject> {
  const map = new Map<string, KubeObject>();
  for (const object of objects) if (!map.has(object.metadata.name)) map.set(object.metadata.name, object);
  return map;
}

/** Every known ServiceInstance joined to its application once, grouped by namespace and application. */
function joinInstances(
  view: KindView,
  services: ReadonlyMap<string, ApplicationService>,
  applications: ReadonlySet<string>,
): Map<string, Map<string, JoinedInstance[]>> {
  const byNamespace = new Map<string, Map<string, JoinedInstance[]>>();
  if (view.state !== 'known') return byNamespace;
  for (const instance of view.objects) {
    const join = instanceApplication(instance, services, applications);
    if (!join) continue;
    const ns = instance.metadata.namespace ?? '';
    const byApplication = byNamespace.get(ns) ?? new Map<string, JoinedInstance[]>();
    byNamespace.set(ns, byApplication);
    const list = byApplication.get(join.application);
    if (list) list.push({ instance, service: join.service });
    else byApplication.set(join.application, [{ instance, service: join.service }]);
  }
  return byNamespace;
}

/** A link whose kind is known (judged on the objects of `ns`); crit when the kind is not served; nothing while it is not followed. */
function linkFor(
  view: IndexedView,
  ns: string,
  check: string,
  kind: string,
  evaluate: (objects: readonly KubeObject[]) => LinkCheck,
): LinkCheck | undefined {
  if (view.state === 'known') return evaluate(view.byNamespace.get(ns) ?? []);
  if (view.state === 'absent') return crit(check, `${kind}: ${view.message}`);
  return undefined;
}

const crit = (check: string, message: string): LinkCheck => ({ check, status: 'crit', message });

function fromReadiness(check: string, what: string, readiness: Readiness): LinkCheck {
  return { check, status: readiness.ready === 'true' ? 'ok' : 'crit', message: `${what} ${describeReadiness(readiness)}` };
}

function mappingCheck(application: string, ns: string, enabled: EnabledServices, services: ReadonlyMap<string, ApplicationService>): LinkCheck {
  const check = linkCheck.mapping(ns);
  const what = `ApplicationMapping ${ns}/${application}`;
  if (enabled === 'all') return { check, status: 'ok', message: `${what} binds the application to ${ns} (all services)` };
  if (enabled.size === 0) return { check, status: 'warn', message: `${what} lists no service: nothing of the application is enabled in ${ns}` };
  const names = [...enabled].map((id) => services.get(id)?.name ?? id).sort();
  return { check, status: 'ok', message: `${what} binds the application to ${ns}, services: ${names.join(', ')}` };
}

function instancesCheck(application: string, ns: string, mine: readonly JoinedInstance[], enabled: EnabledServices): LinkCheck {
  const check = linkCheck.serviceInstance(ns);
  if (mine.length === 0) {
    return { check, status: 'ok', message: `no ServiceInstance of ${application} in ${ns}: API access only, events are not delivered to ${ns}` };
  }
  const problems: string[] = [];
  for (const { instance: o, service } of mine) {
    if (service && enabled !== 'all' && !enabled.has(service.id)) {
      problems.push(
        `ServiceInstance ${ns}/${o.metadata.name} uses service ${service.name ?? service.id}, ` +
          `which ApplicationMapping ${ns}/${application} does not enable`,
      );
      continue;
    }
    const readiness = serviceInstanceReadiness(o);
    if (readiness.ready !== 'true') problems.push(`ServiceInstance ${ns}/${o.metadata.name} ${describeReadiness(readiness)}`);
  }
  if (problems.length === 0) return { check, status: 'ok', message: `${mine.length} ServiceInstance(s) provisioned and ready` };
  return crit(check, problems.join('; '));
}

function triggersCheck(application: string, ns: string, objects: readonly KubeObject[]): LinkCheck {
  const check = linkCheck.trigger(ns);
  const mine = objects.filter((o) => o.metadata.namespace === ns && triggerSource(o) === application);
  if (mine.length === 0)
    return { check, status: 'warn', message: `no Trigger in ${ns} filters on source ${application}: its events are not consumed` };
  const failing = mine.map((o) => ({ o, r: conditionReadiness(o) })).filter(({ r }) => r.ready !== 'true');
  if (failing.length === 0) return { check, status: 'ok', message: `${mine.length} Trigger(s) ready` };
  return crit(check, failing.map(({ o, r }) => `Trigger ${ns}/${o.metadata.name} ${describeReadiness(r)}`).join('; '));
}
