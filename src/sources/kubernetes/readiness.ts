// Is an object ready? One rule per object family (docs/kubernetes.md; knative/pkg apis/condition_set.go):
//  - knative-style conditions (Trigger, Broker, HTTPSource, any custom resource): a deleting object is not ready,
//    conditions are trusted only when status.observedGeneration equals metadata.generation, and only Ready=True
//    is ready; Unknown is not (knative/specs error-signalling: Unknown = reconciliation not complete).
//  - Application: status.installationStatus.status is a Helm release status, UPPERCASE with Helm 2 (Kyma <= 1.13)
//    and lower-case with Helm 3, so it is compared case-insensitively with `_` and `-` treated alike.
//  - ServiceInstance: the conditions rule plus Failed=True and provisionStatus=Provisioned (judged by Ready alone
//    on service-catalog versions that write no provisionStatus).
//  - Conditions have a polarity: most are healthy when True (Ready, Succeeded, BrokerReady), some when False
//    (a Node's MemoryPressure, NetworkUnavailable; Failed, Degraded, Stalled). Only a condition in its unhealthy
//    polarity is named as the cause of not-ready.
import type { KubeObject } from './client/api.js';

export type ReadyState = 'true' | 'false' | 'unknown';

export interface Readiness {
  ready: ReadyState;
  /** One CamelCase word (the condition reason, or vigil's own such as NotReconciled). */
  reason: string;
  message?: string;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  severity?: string;
}

/** Condition types that are healthy when False ("abnormal-true"): Node pressures, Failed, Degraded, Stalled, … */
const ABNORMAL_TRUE = /(Pressure|Unavailable|Failed|Failure|Degraded|Stalled|Error|Errors)$/;

/** Whether a condition reports a problem: True for the abnormal-true types, False for every other type. */
export function conditionUnhealthy(condition: Condition): boolean {
  const type = condition.type ?? '';
  return ABNORMAL_TRUE.test(type) ? condition.status === 'True' : condition.status === 'False';
}

const conditionsOf = (object: KubeObject): Condition[] => {
  const conditions = object.status?.['conditions'];
  return Array.isArray(conditions) ? (conditions.filter((c) => typeof c === 'object' && c !== null) as Condition[]) : [];
};

/** Terminating, or conditions not yet written for this generation; undefined when the conditions can be trusted. */
function notSettled(object: KubeObject): Readiness | undefined {
  if (object.metadata.deletionTimestamp) return { ready: 'false', reason: 'Terminating', message: 'being deleted' };
  const observed = object.status?.['observedGeneration'];
  const generation = object.metadata.generation;
  if (typeof observed === 'number' && typeof generation === 'number' && observed !== generation) {
    return { ready: 'unknown', reason: 'Progressing', message: `observedGeneration ${observed} is behind generation ${generation}` };
  }
  return undefined;
}

export function conditionReadiness(object: KubeObject, conditionType = 'Ready'): Readiness {
  const unsettled = notSettled(object);
  if (unsettled) return unsettled;
  const conditions = conditionsOf(object);
  const ready = conditions.find((c) => c.type === conditionType);
  if (!ready) return { ready: 'unknown', reason: 'NotReconciled', message: `no ${conditionType} condition yet` };
  if (ready.status === 'True') return withMessage({ ready: 'true', reason: ready.reason || conditionType }, ready.message);
  const state: ReadyState = ready.status === 'False' ? 'false' : 'unknown';
  // knative's Ready copies reason and message from the failing dependent. Other controllers leave them out (a
  // Node) or keep the cause elsewhere (SAP btp-operator: Ready=False NotProvisioned, the error in Failed=True or
  // Succeeded=False): then name a condition that is in its unhealthy polarity, a terminal Failed first.
  const culprit =
    ready.reason && ready.message
      ? undefined
      : (conditions.find((c) => c !== ready && c.type === 'Failed' && c.status === 'True') ??
        conditions.find((c) => c !== ready && c.type !== conditionType && (c.severity ?? '') === '' && conditionUnhealthy(c)));
  const result: Readiness = { ready: state, reason: ready.reason || culprit?.reason || (state === 'false' ? 'NotReady' : 'Unknown') };
  const cause = culprit?.message ? `${culprit.type}: ${culprit.message}` : undefined;
  return withMessage(result, ready.message || cause);
}

const withMessage = (readiness: Readiness, message: string | undefined): Readiness => (message ? { ...readiness, message } : readiness);

/** `DEPLOYED`, `deployed`, `PENDING_INSTALL`, `pending-install` → `deployed`, `pending-install`. */
export const normalizeHelmStatus = (status: string): string => status.trim().toLowerCase().replace(/_/g, '-');

export interface ApplicationReadiness extends Readiness {
  /** `INSTALLATION_SKIPPED`: the application has no eventing resources by design. */
  skipped: boolean;
}

export function applicationReadiness(object: KubeObject): ApplicationReadiness {
  if (object.metadata.deletionTimestamp) return { ready: 'false', reason: 'Terminating', message: 'being deleted', skipped: false };
  const installation = object.status?.['installationStatus'] as { status?: unknown; description?: unknown } | undefined;
  const raw = typeof installation?.status === 'string' ? installation.status : '';
  const description = typeof installation?.description === 'string' && installation.description !== '' ? installation.description : undefined;
  const base = (ready: ReadyState, reason: string, skipped = false): ApplicationReadiness => {
    const readiness: ApplicationReadiness = { ready, reason, skipped };
    const message = description ? `${raw}: ${description}` : raw || undefined;
    if (message) readiness.message = message;
    return readiness;
  };
  if (raw === '') return { ready: 'unknown', reason: 'NotReconciled', message: 'no status.installationStatus yet', skipped: false };
  const status = normalizeHelmStatus(raw);
  if (status === 'deployed') return base('true', 'Deployed');
  if (status === 'installation-skipped') return base('true', 'InstallationSkipped', true);
  if (status.startsWith('pending-') || status === 'uninstalling' || status === 'deleting') return base('unknown', 'Progressing');
  return base('false', camel(status));
}

export function serviceInstanceReadiness(object: KubeObject): Readiness {
  const unsettled = notSettled(object);
  if (unsettled) return unsettled;
  const conditions = conditionsOf(object);
  const status = object.status ?? {};
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return withMessage({ ready: 'false', reason: failed.reason || 'Failed' }, failed.message);
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') {
    // Older service-catalog versions write no provisionStatus: Ready=True is the whole verdict there.
    const provision = status['provisionStatus'];
    if (provision === undefined || provision === null || provision === '' || provision === 'Provisioned') {
      return withMessage({ ready: 'true', reason: ready.reason || 'Ready' }, ready.message);
    }
    return { ready: 'unknown', reason: 'NotProvisioned', message: `provisionStatus is ${String(provision)}` };
  }
  const operation = typeof status['currentOperation'] === 'string' ? status['currentOperation'] : '';
  if (status['asyncOpInProgress'] === true || operation !== '') {
    return withMessage({ ready: 'unknown', reason: ready?.reason || (operation ? `${operation}InProgress` : 'InProgress') }, ready?.message);
  }
  if (!ready) return { ready: 'unknown', reason: 'NotReconciled', message: 'no Ready condition yet' };
  return withMessage({ ready: ready.status === 'False' ? 'false' : 'unknown', reason: ready.reason || 'NotReady' }, ready.message);
}

/** `failed` → `Failed`, `pending-install` → `PendingInstall`: Helm statuses as condition-style reasons. */
function camel(word: string): string {
  return word
    .split('-')
    .filter((part) => part !== '')
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** One line for a check message: `Ready=False BrokerNotConfigured: Broker has not yet been reconciled.` */
export function describeReadiness(readiness: Readiness): string {
  const state = { true: 'ready', false: 'not ready', unknown: 'not ready yet' }[readiness.ready];
  return `${state} (${readiness.reason})${readiness.message ? `: ${readiness.message}` : ''}`;
}
