// The Grafana side of generate-rules: one file per dashboard, plus provisioning for the data source and folder.
import type { AlertingConfig } from '../../config/alerting.js';
import { agentsDashboard } from './agents.js';
import type { Dashboard } from './common.js';
import { eventMeshDashboard } from './eventmesh.js';
import { overviewDashboard } from './overview.js';
import { practableDashboard } from './practable.js';
import { targetsDashboard } from './targets.js';

export type { Dashboard, Panel } from './common.js';

/** Fixed uid of the provisioned data source, so its reference survives re-provisioning. */
export const DATASOURCE_UID = 'vigil-prometheus';

export function dashboards(header: string): Dashboard[] {
  return [overviewDashboard(header), targetsDashboard(header), practableDashboard(header), eventMeshDashboard(header), agentsDashboard(header)];
}

/** Provisioning files, by path under grafana/provisioning/. */
export function grafanaProvisioning(grafana: AlertingConfig['grafana']): Map<string, object> {
  return new Map<string, object>([
    [
      'datasources/vigil.yml',
      {
        apiVersion: 1,
        datasources: [
          {
            name: 'Prometheus',
            type: 'prometheus',
            uid: DATASOURCE_UID,
            access: 'proxy',
            url: grafana.prometheus_url,
            isDefault: true,
            editable: false,
            jsonData: { httpMethod: 'POST' },
          },
        ],
      },
    ],
    [
      'dashboards/vigil.yml',
      {
        apiVersion: 1,
        providers: [
          {
            name: 'vigil',
            folder: 'vigil',
            type: 'file',
            disableDeletion: false,
            allowUiUpdates: false,
            updateIntervalSeconds: 30,
            options: { path: grafana.dashboards_path, foldersFromFilesStructure: false },
          },
        ],
      },
    ],
  ]);
}
