// The `kubernetes:` section: where the API server is, how list+watch behaves, the Kyma event mesh with
// its heartbeats, and generic custom resources. Durations are parsed here, so the output carries milliseconds.
import { z } from 'zod';
import { durationMs, durationSchema as durationInput } from '../../config/fields.js';
import { requireSecret } from '../../config/secrets.js';
import { defineSection, type SectionContext } from '../../config/section.js';

const duration = durationInput.transform(durationMs);
const positiveDuration = (fallback: string) => duration.prefault(fallback).refine((ms) => ms > 0, { message: 'must be greater than 0' });

// DNS-1123 subdomain (group), label (plural, version, namespace), as the API server validates them.
const dnsSubdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'a DNS subdomain such as cert-manager.io');
const dnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'lower-case letters, digits and - (a DNS label)');
const kindWord = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,62}$/, 'one word: a letter, then letters, digits, _ or -');

const watchSchema = z.strictObject({
  timeout: positiveDuration('5m').meta({
    description: 'Shortest watch request; each one asks for a random timeoutSeconds between this and twice this (like client-go).',
  }),
  stall_after: positiveDuration('15m').meta({
    description: 'A watch that brought no event and no bookmark for this long is restarted (half-open connections).',
  }),
  backoff_min: positiveDuration('1s').meta({ description: 'First retry delay after a failed list or watch.' }),
  backoff_max: positiveDuration('1m').meta({ description: 'Longest retry delay; delays double up to it, with jitter.' }),
  page_size: z.int().min(1).max(10_000).default(500).meta({ description: 'Objects per list page (limit/continue).' }),
  request_timeout: positiveDuration('30s').meta({ description: 'Time limit of a list request.' }),
});

const heartbeatSchema = z.strictObject({
  interval: positiveDuration('30s').meta({ description: 'A heartbeat CloudEvent is sent per application and namespace this often.' }),
  freshness: z.number().min(1).max(100).default(3).meta({
    description: 'The heartbeat check goes crit when nothing arrived within freshness × interval.',
  }),
  via: z
    .enum(['httpsource', 'broker'])
    .default('broker')
    .meta({
      description:
        'httpsource: one event per application into its HTTPSource (the path real applications use; reaches every bound namespace). ' +
        'broker: one event per application and namespace straight into the namespace broker.',
    }),
  httpsource_url: z
    .string()
    .default('http://{application}.{integration_namespace}.svc.cluster.local/')
    .meta({ description: 'URL of an application HTTPSource adapter; {application} and {integration_namespace} are replaced.' }),
  broker_url: z
    .string()
    .default('http://default-broker.{namespace}.svc.cluster.local/')
    .meta({ description: 'URL of a namespace broker ingress; {namespace} and {application} are replaced.' }),
  type: z
    .string()
    .regex(/^[A-Za-z0-9._:/-]{1,128}$/, 'letters, digits and . _ : / -')
    .default('io.vigil.heartbeat')
    .meta({ description: 'CloudEvent type of heartbeats (the Trigger filters on it).' }),
  event_type_version: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,32}$/)
    .default('v1')
    .meta({ description: 'Kyma eventtypeversion extension.' }),
  timeout: positiveDuration('5s').meta({ description: 'Time limit of one heartbeat send.' }),
  secret_file: z
    .string()
    .min(1)
    .optional()
    .meta({
      description:
        'File with the key that signs heartbeats (HMAC-SHA256 in the vigilsignature extension). ' +
        'Without it vigil signs with a random key of its own, which suffices for one replica.',
    }),
});

const eventMeshSchema = z.strictObject({
  integration_namespace: dnsLabel.default('kyma-integration').meta({ description: 'Where Kyma keeps HTTPSources.' }),
  knative_version: z.enum(['v1alpha1', 'v1']).default('v1alpha1').meta({
    description: 'API version of Trigger and Broker: v1alpha1 on Kyma 1.11-1.22 (knative 0.12), v1 on knative >= 0.16.',
  }),
  applications: z.array(dnsSubdomain).optional().meta({ description: 'Watch only these applications (default: all).' }),
  heartbeat: heartbeatSchema.optional().meta({ description: 'Data-plane heartbeats through the mesh; absent = off.' }),
});

const objectSchema = z.strictObject({
  group: z.union([z.literal(''), dnsSubdomain]).meta({ description: 'API group ("" for the core group).' }),
  version: dnsLabel,
  plural: dnsLabel,
  namespace: dnsLabel.optional().meta({ description: 'Only this namespace (default: all, or the cluster scope).' }),
  label_selector: z.string().min(1).max(1024).optional().meta({ description: 'Kubernetes label selector, e.g. app=web,tier!=cache.' }),
  kind: kindWord.optional().meta({ description: 'Subject kind (default: the object kind in lower case).' }),
  condition: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/)
    .default('Ready')
    .meta({ description: 'Condition type that means ready.' }),
});

export const kubernetesSchema = z
  .strictObject({
    kubeconfig: z.string().min(1).optional().meta({
      description: 'Path of a kubeconfig file; else $KUBECONFIG, else the in-cluster service account.',
    }),
    context: z.string().min(1).optional().meta({ description: 'Kubeconfig context (default: current-context).' }),
    resync: positiveDuration('30s').meta({ description: 'Object checks are re-reported this often (their period).' }),
    watch: watchSchema.prefault({}),
    event_mesh: eventMeshSchema.optional().meta({ description: 'Kyma 1.x event mesh: per-application chain health.' }),
    objects: z.array(objectSchema).default([]).meta({ description: 'Custom resources that become subjects with a Ready check.' }),
  })
  .superRefine((section, ctx) => {
    if (section.watch.backoff_max < section.watch.backoff_min) {
      ctx.addIssue({ code: 'custom', path: ['watch', 'backoff_max'], message: 'must not be smaller than backoff_min' });
    }
    const seen = new Map<string, number>();
    section.objects.forEach((object, index) => {
      const key = `${object.group}/${object.version}/${object.plural}/${object.namespace ?? ''}/${object.label_selector ?? ''}`;
      const first = seen.get(key);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['objects', index], message: `same resource as objects[${first}]` });
      seen.set(key, index);
    });
  })
  .meta({ description: 'Kubernetes objects, the Kyma event mesh and its heartbeats.' });

export type KubernetesRawConfig = z.output<typeof kubernetesSchema>;
export type KubernetesObjectConfig = KubernetesRawConfig['objects'][number];
export type HeartbeatRawConfig = z.output<typeof heartbeatSchema>;

export interface HeartbeatConfig extends Omit<HeartbeatRawConfig, 'secret_file'> {
  /** The signing key from `secret_file`, when one is configured. */
  secret?: string;
}

export interface KubernetesConfig extends Omit<KubernetesRawConfig, 'event_mesh' | 'kubeconfig'> {
  /** Absolute path, when configured. */
  kubeconfig?: string;
  event_mesh?: Omit<z.output<typeof eventMeshSchema>, 'heartbeat'> & { heartbeat?: HeartbeatConfig };
}

/** Resolves paths against the config file and takes the heartbeat key out of the loader's secrets. */
export function normalizeKubernetes(raw: KubernetesRawConfig, { resolvePath, secrets }: SectionContext): KubernetesConfig {
  const { event_mesh: mesh, kubeconfig, ...rest } = raw;
  const config: KubernetesConfig = { ...rest };
  if (kubeconfig !== undefined) config.kubeconfig = resolvePath(kubeconfig);
  if (mesh !== undefined) {
    const { heartbeat, ...meshRest } = mesh;
    config.event_mesh = { ...meshRest };
    if (heartbeat !== undefined) {
      const { secret_file, ...beat } = heartbeat;
      const normalized: HeartbeatConfig = { ...beat };
      if (secret_file !== undefined) {
        normalized.secret = requireSecret(secrets, ['kubernetes', 'event_mesh', 'heartbeat', 'secret_file']).replace(/(\r?\n)+$/, '');
      }
      config.event_mesh.heartbeat = normalized;
    }
  }
  return config;
}

export const kubernetesSection = defineSection({ key: 'kubernetes', schema: kubernetesSchema, normalize: normalizeKubernetes });
