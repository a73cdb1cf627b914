// One Octopus machine onto vigil's model (the Octopus proposal, reference §B.5): HealthStatus is health plus a
// warning, Unavailable is connectivity (health kept), machine details (Calamari, Tentacle, OS, shell, endpoint)
// are metadata, IsDisabled is "disabled" (not judged). Octopus's results are second-hand: observations carry
// contact=false, and connectivity is signalled explicitly.
import type { CheckStatus, ConnectivitySignal, MetadataLevel, Observation, SubjectSpec } from '../../engine/types.js';
import { idSchema } from '../../exporter/api/bodies.js';
import type { OctopusConfig } from './config.js';
import type { OctopusMachine } from './client.js';

export const SOURCE = 'octopus';
export const HEALTH_CHECK = 'octopus_health';
export const CALAMARI_KEY = 'HasLatestCalamari';
export const DISABLED_KEY = 'IsDisabled';
/** Prefix of a worker's subject id, so a worker and a deployment target with one name stay two subjects. */
export const WORKER_PREFIX = 'worker:';
const MAX_MESSAGE = 1024;
/**
 * A disabled machine is not judged, so it never "appears"; this keeps it from being reported missing (and
 * alerted on) while it stays disabled. About a century.
 */
const DISABLED_APPEARANCE_TIMEOUT = 100 * 365 * 24 * 3600_000;

/** HasWarnings is a warning on a healthy machine, never a health state of its own. */
const STATUS_OF: Record<string, CheckStatus> = { Healthy: 'ok', HasWarnings: 'warn', Unhealthy: 'crit', Unknown: 'unknown' };
/** Statuses that prove Octopus reached the machine during its last health check. */
const REACHED = new Set(['Healthy', 'HasWarnings', 'Unhealthy']);
/** Endpoint.CommunicationStyle in words (OctopusClients Model/CommunicationStyle.cs). */
const ENDPOINT_WORDS: Record<string, string> = {
  TentaclePassive: 'listening Tentacle',
  TentacleActive: 'polling Tentacle',
  Ssh: 'SSH',
  OfflineDrop: 'offline package drop',
  Kubernetes: 'Kubernetes cluster',
  KubernetesTentacle: 'Kubernetes agent',
  None: 'cloud region',
};

export interface LastKnown {
  status: CheckStatus;
  message?: string;
}

export interface MetadataUpdate {
  key: string;
  /** null deletes the entry. */
  entry: { level: MetadataLevel; message: string; value?: number } | null;
}

export interface MachineReport {
  spec: SubjectSpec;
  observation?: Observation;
  connectivity?: ConnectivitySignal;
  metadata: MetadataUpdate[];
}

/**
 * The subject id of a machine: its Name (a worker's prefixed with `worker:`), or its Id when configured so or when
 * the name is not a usable id. Ids (`Machines-1`, `Workers-1`) are distinct across the two collections already.
 */
export function machineSubjectId(machine: OctopusMachine, config: Pick<OctopusConfig, 'subjectId'>): string {
  if (config.subjectId === 'name') {
    const id = machine.collection === 'workers' ? `${WORKER_PREFIX}${machine.Name}` : machine.Name;
    if (idSchema.safeParse(id).success) return id;
  }
  return machine.Id;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/** Tentacle version and upgrade, OS, shell and endpoint type: the details Octopus's full health check collects. */
function detailsMetadata(machine: OctopusMachine): MetadataUpdate[] {
  const updates: MetadataUpdate[] = [];
  if (typeof machine.HasLatestCalamari === 'boolean') {
    updates.push({
      key: CALAMARI_KEY,
      entry: machine.HasLatestCalamari
        ? { level: 'info', message: 'Calamari is the latest version', value: 1 }
        : { level: 'info', message: 'Calamari is not the latest version (Octopus updates it on the next deployment)', value: 0 },
    });
  }
  const tentacle = machine.Endpoint?.TentacleVersionDetails;
  const version = text(tentacle?.Version);
  if (version) updates.push({ key: 'TentacleVersion', entry: { level: 'info', message: version } });
  if (typeof tentacle?.UpgradeRequired === 'boolean') {
    // Required (the server can no longer work with it) is a warning; merely suggested is not (Octopus issue #4374).
    const entry = tentacle.UpgradeRequired
      ? { level: 'warning' as const, message: 'Tentacle upgrade required', value: 1 }
      : { level: 'info' as const, message: tentacle.UpgradeSuggested ? 'Tentacle upgrade suggested' : 'Tentacle is up to date', value: 0 };
    updates.push({ key: 'TentacleUpgradeRequired', entry });
  }
  const os = [text(machine.OperatingSystem), text(machine.OperatingSystemVersion)].filter(Boolean).join(' ');
  if (os) updates.push({ key: 'OperatingSystem', entry: { level: 'info', message: os.slice(0, MAX_MESSAGE) } });
  const shell = [text(machine.ShellName), text(machine.ShellVersion)].filter(Boolean).join(' ');
  if (shell) updates.push({ key: 'Shell', entry: { level: 'info', message: shell.slice(0, MAX_MESSAGE) } });
  const style = text(machine.Endpoint?.CommunicationStyle);
  if (style)
    updates.push({
      key: 'EndpointType',
      entry: { level: 'info', message: ENDPOINT_WORDS[style] ? `${style} (${ENDPOINT_WORDS[style]})` : style.slice(0, 64) },
    });
  return updates;
}

/**
 * What to report for `machine`. `lastKnown` is the health check's current result in vigil, re-sent while the machine
 * is Unavailable so the health it had stays fresh instead of going stale (a network failure never changes health).
 */
export function mapMachine(machine: OctopusMachine, config: OctopusConfig, lastKnown: LastKnown | undefined): MachineReport {
  const id = machineSubjectId(machine, config);
  const disabled = machine.IsDisabled === true;
  const spec: SubjectSpec = {
    id,
    kind: config.kind,
    labels: {
      ...config.labels,
      disabled: disabled ? 'true' : 'false',
      machine_type: machine.collection === 'workers' ? 'worker' : 'deployment-target',
    },
    dependsOn: [],
    source: SOURCE,
  };
  if (disabled) spec.appearanceTimeout = DISABLED_APPEARANCE_TIMEOUT;
  const report: MachineReport = { spec, metadata: detailsMetadata(machine) };
  const health = machine.HealthStatus ?? 'Unknown';
  const summary = typeof machine.StatusSummary === 'string' && machine.StatusSummary !== '' ? machine.StatusSummary : undefined;
  const observation = (status: CheckStatus, message: string | undefined): Observation => ({
    subject: id,
    check: HEALTH_CHECK,
    status,
    period: config.interval,
    source: SOURCE,
    contact: false,
    ...(message !== undefined && { message: message.slice(0, MAX_MESSAGE) }),
  });

  report.metadata.push({ key: DISABLED_KEY, entry: disabled ? { level: 'info', message: 'disabled in Octopus: not judged' } : null });
  if (disabled) {
    // Octopus skips disabled machines; so does vigil: no verdict (not crit, no alert) and no connectivity claim.
    report.observation = observation('unknown', `disabled in Octopus (last HealthStatus ${health.slice(0, 64)})`);
  } else if (health === 'Unavailable') {
    report.connectivity = { subject: id, state: 'unavailable', reason: 'Octopus could not contact the machine', source: SOURCE };
    if (lastKnown) report.observation = observation(lastKnown.status, lastKnown.message);
  } else {
    const status = STATUS_OF[health];
    report.observation = observation(status ?? 'unknown', summary ?? (status ? health : `unknown HealthStatus ${health.slice(0, 64)}`));
    if (REACHED.has(health)) report.connectivity = { subject: id, state: 'available', source: SOURCE };
  }
  return report;
}
