// What the event-mesh chain reads from single Kyma 1.x objects: an Application's services, what an
// ApplicationMapping enables, which application a ServiceInstance provisions, a Trigger's source and subscriber.
// Pure field readers and the instance → application join, apart from chain.ts, which judges the links with them.
import type { KubeObject } from '../client/api.js';

/** Annotation (or label) a user puts on a ServiceInstance whose class name does not reveal its application. */
export const APPLICATION_ANNOTATION = 'vigil.io/application';

/** What an ApplicationMapping enables: every service (`spec.services` absent) or the listed service ids only. */
export type EnabledServices = 'all' | ReadonlySet<string>;

/** One service of an Application (`spec.services[]`): the application registry names its class after it. */
export interface ApplicationService {
  application: string;
  id: string;
  /** OSB service name = the class's external name, e.g. `sap-commerce-cloud-events-12367`. */
  name?: string;
  displayName?: string;
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

/** `spec.services[]` of an Application (application-operator `v1alpha1.Service`: id, name, displayName, …). */
export function applicationServices(application: KubeObject): ApplicationService[] {
  const list = application.spec?.['services'];
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry: unknown) => {
    const service = entry as { id?: unknown; name?: unknown; displayName?: unknown } | null;
    if (typeof service?.id !== 'string' || service.id === '') return [];
    const found: ApplicationService = { application: application.metadata.name, id: service.id };
    if (typeof service.name === 'string' && service.name !== '') found.name = service.name;
    if (typeof service.displayName === 'string' && service.displayName !== '') found.displayName = service.displayName;
    return [found];
  });
}

/** `spec.services` absent (Go nil) enables every service; a list, even empty, enables only the ids it names. */
export function enabledServices(mapping: KubeObject): EnabledServices {
  const list = mapping.spec?.['services'];
  if (!Array.isArray(list)) return 'all';
  return new Set(
    list.flatMap((entry: unknown) => {
      const id = (entry as { id?: unknown } | null)?.id;
      return typeof id === 'string' && id !== '' ? [id] : [];
    }),
  );
}

/** Every name by which a ServiceInstance refers to its class: external name or id, class ref, the user's class. */
function instanceClassNames(instance: KubeObject): string[] {
  const spec = instance.spec ?? {};
  const ref = (value: unknown) => (value as { name?: unknown } | undefined)?.name;
  const userClass = instance.status?.['userSpecifiedClassName'];
  return [
    spec['serviceClassExternalName'],
    spec['clusterServiceClassExternalName'],
    spec['serviceClassExternalID'],
    spec['clusterServiceClassExternalID'],
    ref(spec['serviceClassRef']),
    ref(spec['clusterServiceClassRef']),
    typeof userClass === 'string' ? userClass.replace(/^(Cluster)?ServiceClass\//, '') : undefined,
  ].filter((value): value is string => typeof value === 'string' && value !== '');
}

/**
 * The application (and, when known, its service) a ServiceInstance provisions:
 * 1. an explicit label or annotation `application-name` / `vigil.io/application` (the override);
 * 2. the class it refers to is one of an Application's services: the application broker (v1) publishes each
 *    service as a class whose external name is the service's `name` (display name + hash of its id, e.g.
 *    `sap-commerce-cloud-events-12367`) and whose id (the class's metadata.name) is the service's `id`;
 * 3. a class named like the application itself (`<app>`, `app-<app>-…`, `<app>-…`: the broker's v2 mode, which
 *    publishes one class per application).
 */
export function instanceApplication(
  instance: KubeObject,
  services: ReadonlyMap<string, ApplicationService>,
  applications: ReadonlySet<string>,
): { application: string; service: ApplicationService | undefined } | undefined {
  const marks = [
    instance.metadata.labels?.['application-name'],
    instance.metadata.annotations?.[APPLICATION_ANNOTATION],
    instance.metadata.labels?.[APPLICATION_ANNOTATION],
  ];
  const mark = marks.find((value): value is string => typeof value === 'string' && value !== '');
  const names = instanceClassNames(instance);
  const service = names.map((name) => services.get(name)).find((found) => found !== undefined);
  if (mark !== undefined) return { application: mark, service: service?.application === mark ? service : undefined };
  if (service) return { application: service.application, service };
  // The longest application name that fits wins (`shop-eu-…` belongs to `shop-eu`, not `shop`); among equally long
  // ones the earlier class name, then the earlier application.
  let best: string | undefined;
  for (const name of names) {
    let bestOfName: string | undefined;
    for (const application of applicationsFitting(name, applications)) {
      if (bestOfName === undefined || application.length > bestOfName.length) bestOfName = application;
      else if (application.length === bestOfName.length && application !== bestOfName) bestOfName = firstOf(applications, bestOfName, application);
    }
    if (bestOfName !== undefined && (best === undefined || bestOfName.length > best.length)) best = bestOfName;
  }
  return best === undefined ? undefined : { application: best, service: undefined };
}

/**
 * The applications a class name fits: `<app>` itself, `<app>-…` or `app-<app>-…`. Each is the name, or a part of it
 * ending before a dash, so the name's dashes are tried rather than every application (this runs for every
 * ServiceInstance on every evaluation, and clusters may hold thousands of applications).
 */
function applicationsFitting(name: string, applications: ReadonlySet<string>): string[] {
  const fitting = applications.has(name) ? [name] : [];
  const prefixed = name.startsWith('app-');
  for (let dash = name.indexOf('-'); dash !== -1; dash = name.indexOf('-', dash + 1)) {
    if (applications.has(name.slice(0, dash))) fitting.push(name.slice(0, dash));
    if (prefixed && dash >= 4 && applications.has(name.slice(4, dash))) fitting.push(name.slice(4, dash));
  }
  return fitting;
}

/** Whichever of two members comes first in the set (only asked for two equally long fitting names: rare). */
function firstOf(set: ReadonlySet<string>, a: string, b: string): string {
  for (const member of set) if (member === a || member === b) return member;
  return a;
}

/** Whether a ServiceInstance provisions a class of `application` (see instanceApplication). */
export function instanceBelongsTo(instance: KubeObject, application: string, services: ReadonlyMap<string, ApplicationService> = new Map()): boolean {
  const applications = new Set([application, ...[...services.values()].map((s) => s.application)]);
  return instanceApplication(instance, services, applications)?.application === application;
}
