// Kubernetes event mesh (Kyma): object readiness, heartbeats sent through the mesh, their latency.
import {
  dashboard,
  HEALTH_CODES,
  healthExpr,
  queryVariable,
  stateTimeline,
  table,
  target,
  timeseries,
  valueMappings,
  type Dashboard,
} from './common.js';

export function eventMeshDashboard(header: string): Dashboard {
  return dashboard({
    uid: 'vigil-eventmesh',
    title: 'vigil / Event mesh',
    header,
    about: 'Kubernetes event mesh: application health, object readiness and heartbeats',
    variables: [
      queryVariable('namespace', 'Namespace', 'label_values(vigil_kube_object_ready, namespace)'),
      queryVariable('application', 'Application', 'label_values(vigil_eventmesh_heartbeat_received_timestamp_seconds, application)'),
    ],
    panels: [
      stateTimeline(
        'Application health',
        'Health of each application from its object chain and heartbeats.',
        [target(healthExpr('kind="application", subject=~"$application"'), '{{subject}}')],
        valueMappings(HEALTH_CODES),
      ),
      table('Objects not ready', 'Objects whose Ready condition is not true.', [
        target('vigil_kube_object_ready{namespace=~"$namespace", status!="true"} == 1', '', { instant: true }),
      ]),
      stateTimeline(
        'Object readiness',
        'Ready condition per object.',
        [
          target(
            'max by (kind, namespace, name) (vigil_kube_object_ready{namespace=~"$namespace", status="true"} * 1 ' +
              'or vigil_kube_object_ready{namespace=~"$namespace", status="false"} * 2 ' +
              'or vigil_kube_object_ready{namespace=~"$namespace", status="unknown"} * 3)',
            '{{kind}} {{namespace}}/{{name}}',
          ),
        ],
        valueMappings([
          [1, 'ready', 'green'],
          [2, 'not ready', 'red'],
          [3, 'unknown', 'text'],
        ]),
      ),
      timeseries(
        'Time since last heartbeat',
        'Seconds since a test event sent through the mesh came back.',
        [
          target(
            'time() - vigil_eventmesh_heartbeat_received_timestamp_seconds{application=~"$application", namespace=~"$namespace"}',
            '{{namespace}}/{{application}}',
          ),
        ],
        's',
      ),
      timeseries(
        'Heartbeat latency',
        'Round trip of the last heartbeat through the mesh.',
        [target('vigil_eventmesh_heartbeat_latency_seconds{application=~"$application", namespace=~"$namespace"}', '{{namespace}}/{{application}}')],
        's',
      ),
    ],
  });
}
