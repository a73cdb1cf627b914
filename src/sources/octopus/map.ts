// One Octopus machine onto vigil's model (the Octopus proposal, reference §B.5): HealthStatus is health plus a
// warning, Unavailable is connectivity (health kept), HasLatestCalamari is metadata, IsDisabled is a label.
// Octopus's results are second-hand: observations carry contact=false, and connectivity is signalled explicitly.
import type { CheckStatus, ConnectivitySignal, Observation, SubjectSpec } from '../../engine/types.js';
import { idSchema } from '../../exporter/api/bodies.js';
import type { OctopusConfig } from '../../config/octopus.js';
import type { OctopusMachine } from './client.js';

export const SOURCE = 'octopus';
export const HEALTH_CHECK = 'octopus_health';
export const CALAMARI_KEY = 'HasLatestCalamari';
const MAX_MESSAGE = 1024;

/** HasWarnings is a warning on a healthy machine, never a health state of its own. */
const STATUS_OF: Record<string, CheckStatus> = { Healthy: 'ok', HasWarnings: 'warn', Unhealthy: 'crit', Unknown: 'unknown' };
/** Statuses that prove Octopus reached the machine during its last health check. */
const REACHED = new Set(['Healthy', 'HasWarnings', 'Unhealthy']);

export interface LastKnown {
  status: CheckStatus;
  message?: string;
}

export interface MachineReport {
  spec: SubjectSpec;
  observation?: Observation;
  connectivity?: ConnectivitySignal;
  calamari?: { level: 'info'; message: string; value: number };
}

/** The subject id of a machine: its Name, or its Id when configured so or when the name is not a usable id. */
export function machineSubjectId(machine: OctopusMachine, config: Pick<OctopusConfig, 'subjectId'>): string {
  if (config.subjectId === 'name' && idSchema.safeParse(machine.Name).success) return machine.Name;
  return machine.Id;
}

/**
 * What to report for `machine`. `lastKnown` is the health check's current result in vigil, re-sent while the machine
 * is Unavailable so the health it had stays fresh instead of going stale (a network failure never changes health).
 */
export function mapMachine(machine: OctopusMachine, config: OctopusConfig, lastKnown: LastKnown | undefined): MachineReport {
  const id = machineSubjectId(machine, config);
  const spec: SubjectSpec = {
    id,
    kind: config.kind,
    labels: { ...config.labels, disabled: machine.IsDisabled ? 'true' : 'false' },
    dependsOn: [],
    source: SOURCE,
  };
  const report: MachineReport = { spec };
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

  if (health === 'Unavailable') {
    report.connectivity = { subject: id, state: 'unavailable', reason: 'Octopus could not contact the machine', source: SOURCE };
    if (lastKnown) report.observation = observation(lastKnown.status, lastKnown.message);
  } else {
    const status = STATUS_OF[health];
    report.observation = observation(status ?? 'unknown', summary ?? (status ? health : `unknown HealthStatus ${health.slice(0, 64)}`));
    if (REACHED.has(health)) report.connectivity = { subject: id, state: 'available', source: SOURCE };
  }
  if (typeof machine.HasLatestCalamari === 'boolean') {
    report.calamari = machine.HasLatestCalamari
      ? { level: 'info', message: 'Calamari is the latest version', value: 1 }
      : { level: 'info', message: 'Calamari is not the latest version (Octopus updates it on the next deployment)', value: 0 };
  }
  return report;
}
