// Agents and machines: connected polling agents, connection rate, machine connectivity apart from health, metadata.
import {
  dashboard,
  HEALTH_CODES,
  healthExpr,
  queryVariable,
  stat,
  stateTimeline,
  target,
  timeseries,
  valueMappings,
  type Dashboard,
} from './common.js';

const SEL = 'kind="machine", subject=~"$machine"';

export function agentsDashboard(header: string): Dashboard {
  return dashboard({
    uid: 'vigil-agents',
    title: 'vigil / Agents and machines',
    header,
    about: 'Polling agents and the machines behind them: connections, connectivity, health and metadata',
    variables: [queryVariable('machine', 'Machine', 'label_values(vigil_subject_info{kind="machine"}, subject)')],
    panels: [
      stat('Agents connected', 'Agents holding a websocket connection now.', [target('vigil_agents_connected')], {}, 6, 4),
      timeseries(
        'Connections',
        'New agent connections per second.',
        [target('rate(vigil_agent_connections_total[$__rate_interval])', 'connections')],
        'ops',
        18,
        4,
      ),
      stateTimeline(
        'Connectivity',
        'available / unavailable per machine (a network error never changes health).',
        [target(`max by (subject) (vigil_subject_connectivity{${SEL}})`, '{{subject}}')],
        valueMappings([
          [1, 'available', 'green'],
          [0, 'unavailable', 'red'],
        ]),
      ),
      stateTimeline('Health', 'Health per machine.', [target(healthExpr(SEL), '{{subject}}')], valueMappings(HEALTH_CODES)),
      timeseries(
        'Time since last contact',
        'Seconds since each machine last communicated.',
        [target(`time() - vigil_subject_last_seen_timestamp_seconds{${SEL}}`, '{{subject}}')],
        's',
      ),
      timeseries('Warnings', 'Active warnings per machine.', [target(`vigil_subject_warnings{${SEL}}`, '{{subject}}')], 'short'),
      timeseries(
        'Metadata values',
        'Numeric metadata entries (FreeDiskSpace, ...).',
        [target(`vigil_subject_metadata_value{${SEL}}`, '{{subject}} {{key}}')],
        'short',
        24,
      ),
    ],
  });
}
