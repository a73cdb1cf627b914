// `probe:` — the blackbox_exporter-compatible `GET /probe?target=…&module=…`. A module is a target without the
// thing to probe: its `type` and options, exactly as under `targets:`; the request's `target` parameter supplies
// the URL, host:port, host or DNS server. blackbox_exporter's example module names are built in with the same
// meaning (example.yml of prometheus/blackbox_exporter: http_2xx, http_post_2xx, tcp_connect, icmp).
import { z } from 'zod';
import { parseDuration } from '../util/duration.js';
import { targetSchema, type TargetConfig, type TargetType } from './targets.js';

const MODULE_NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Keys a module may not set: the request's target parameter or the probe endpoint decides them. */
const TARGET_KEYS = ['name', 'subject', 'check', 'labels', 'interval', 'url', 'host', 'port', 'server', 'directory'];

/** The target types /probe serves (filewrite has no remote target), in blackbox_exporter's order. */
export const PROBE_MODULE_TYPES = ['download', 'tcp', 'hostport', 'ping', 'dns', 'grpc'] as const satisfies readonly TargetType[];
type ModuleType = (typeof PROBE_MODULE_TYPES)[number];

type TargetKeys = Record<string, unknown> & { problem?: string };

/** How a module type takes the request's `target` parameter. */
interface ModuleTypeRules {
  /** The target keys the parameter fills, or what is wrong with it. */
  targetKeys(target: string, type: ModuleType): TargetKeys;
  /** What fills those keys for validation at load time; replaced by the real target per request. */
  placeholder: Record<string, unknown>;
  /** Defaults that follow from the request's timeout. */
  fitTimeout?(fields: Record<string, unknown>, module: ProbeModule, timeoutMs: number): void;
}

const HOST_PORT_RE = /^(\[[0-9a-fA-F:.]+\]|[^\s/:[\]]+):(\d{1,5})$/;

const HOST_PORT: ModuleTypeRules = {
  targetKeys: (target, type) => {
    const match = HOST_PORT_RE.exec(target);
    if (!match) return { problem: `target must be host:port for a ${type} module` };
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) };
  },
  placeholder: { host: 'module.invalid', port: 1 },
};

const MODULE_TYPE_RULES: Record<ModuleType, ModuleTypeRules> = {
  // blackbox_exporter prepends http:// to a target without a scheme.
  download: {
    targetKeys: (target) => ({ url: /^https?:\/\//i.test(target) ? target : `http://${target}` }),
    placeholder: { url: 'http://module.invalid/' },
  },
  tcp: HOST_PORT,
  hostport: HOST_PORT,
  grpc: HOST_PORT,
  ping: {
    targetKeys: (target) => ({ host: target }),
    placeholder: { host: 'module.invalid' },
    // The echo requests must fit in the timeout; blackbox's icmp prober waits the whole timeout for its reply.
    fitTimeout: (fields, module, timeoutMs) => {
      const count = typeof module['count'] === 'number' ? module['count'] : 1;
      fields['packet_timeout'] ??= `${Math.max(1, Math.floor((moduleTimeoutMs(module) ?? timeoutMs) / 1000 / count))}s`;
    },
  },
  dns: { targetKeys: (target) => ({ server: target }), placeholder: { server: '127.0.0.1' } },
};

export type ProbeModule = Record<string, unknown> & { type: ModuleType };

export const BUILTIN_MODULES: Record<string, ProbeModule> = {
  http_2xx: { type: 'download' },
  http_post_2xx: { type: 'download', method: 'POST' },
  tcp_connect: { type: 'tcp' },
  icmp: { type: 'ping', count: 1 },
};

/** The fields of a target for one request: the module's options, the target parameter's keys, a fixed name. */
export function moduleTarget(module: ProbeModule, target: Record<string, unknown>, timeoutMs: number): Record<string, unknown> {
  const timeout = `${Math.max(1, Math.round(timeoutMs))}ms`;
  const fields: Record<string, unknown> = { name: 'probe', interval: timeout, timeout, ...module, ...target };
  const moduleTimeout = moduleTimeoutMs(module);
  if (moduleTimeout !== undefined) fields['interval'] = module['timeout'];
  MODULE_TYPE_RULES[module.type].fitTimeout?.(fields, module, timeoutMs);
  return fields;
}

function moduleTimeoutMs(module: ProbeModule): number | undefined {
  const timeout = module['timeout'];
  if (typeof timeout !== 'string') return undefined;
  try {
    return parseDuration(timeout);
  } catch {
    return undefined; // the schema reports it
  }
}

/** Validates a module as a target with placeholder values; issues keep their key paths under the module. */
function checkModule(name: string, module: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const type = module['type'];
  if (!PROBE_MODULE_TYPES.includes(type as ModuleType)) {
    ctx.addIssue({ code: 'custom', path: [name, 'type'], message: `a probe module type is one of ${PROBE_MODULE_TYPES.join(', ')}` });
    return;
  }
  for (const key of TARGET_KEYS) {
    if (key in module)
      ctx.addIssue({ code: 'custom', path: [name, key], message: `${key} comes from the request's target parameter (or is not used by /probe)` });
  }
  const fields = moduleTarget(module as ProbeModule, MODULE_TYPE_RULES[type as ModuleType].placeholder, 10_000);
  const parsed = targetSchema.safeParse(fields);
  if (parsed.success) return;
  for (const issue of parsed.error.issues) {
    const path = issue.path.filter((step): step is string | number => typeof step !== 'symbol');
    if (TARGET_KEYS.includes(String(path[0]))) continue; // reported above, or filled by the placeholder
    ctx.addIssue({ code: 'custom', path: [name, ...path], message: issue.message });
  }
}

export const probeSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .meta({ description: 'Serve GET /probe (it makes vigil connect wherever a caller says: protect it or turn it off).' }),
    max_concurrent: z.int().min(1).max(1024).default(32).meta({ description: 'Probes of /probe in flight at once; more answer 503.' }),
    modules: z
      .record(z.string().regex(MODULE_NAME_RE, 'a module name is letters, digits, _ . - (at most 64)'), z.record(z.string(), z.unknown()))
      .superRefine((modules, ctx) => {
        for (const [name, module] of Object.entries(modules)) checkModule(name, module, ctx);
      })
      .default({})
      .meta({ description: 'Modules by name: a type and its options, as under targets (without the thing to probe).' }),
  })
  .meta({ description: 'The blackbox_exporter-compatible /probe endpoint.' });

export type ProbeEndpointConfig = z.output<typeof probeSchema>;

/** Parses a request's target into a validated target, or says what is wrong with it. */
export function requestTarget(module: ProbeModule, target: string, timeoutMs: number): { target: TargetConfig } | { problem: string } {
  const keys = MODULE_TYPE_RULES[module.type].targetKeys(target, module.type);
  if (typeof keys.problem === 'string') return { problem: keys.problem };
  const parsed = targetSchema.safeParse(moduleTarget(module, keys, timeoutMs));
  if (parsed.success) return { target: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { problem: `${issue.path.join('.') || 'target'}: ${issue.message}` };
}
