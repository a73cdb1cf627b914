// The demo fleet's configuration: an ordinary vigil config, so the demo runs through the same loader, sources,
// engine, API and generator as any installation. Every subject is labelled `demo: simulated` and named `demo-…`.
import { stringify } from 'yaml';
import { formatDuration } from '../util/duration.js';
import type { StoryTiming } from './story.js';

export const DEMO_LABELS = { demo: 'simulated' } as const;
/** The config's name in messages: there is no file. */
export const DEMO_FILE = '<demo>';
export const DEMO_TOKEN_NAME = 'demo-driver';
/** Where the generated Alertmanager config sends the demo's notifications unless told otherwise. */
export const DEFAULT_DEMO_WEBHOOK = 'http://127.0.0.1:5001/vigil-demo';
export const DEFAULT_DEMO_LISTEN = '127.0.0.1:9977';

export const DEMO_SUBJECTS = {
  web: 'demo-web',
  switch: 'demo-sw1',
  hosts: ['demo-host-1', 'demo-host-2', 'demo-host-3'],
  heartbeat: 'demo-backup',
  machines: ['demo-lab-pc-1', 'demo-lab-pc-2'],
  /** The machine that disconnects and reconnects. */
  roamingMachine: 'demo-lab-pc-2',
  experiment: 'demo-pend-01',
} as const;

export interface DemoPorts {
  web: number;
  switch: number;
  hosts: readonly number[];
}

export interface DemoConfigOptions {
  timing: StoryTiming;
  ports: DemoPorts;
  /** Bearer token of the demo's driver (pushes and agents), made up at start and never written anywhere. */
  token: string;
  statePath: string;
  listen?: string;
  webhookUrl?: string;
}

const ms = (value: number): string => formatDuration(Math.round(value));

export function demoConfigText(options: DemoConfigOptions): string {
  const { timing, ports } = options;
  const tick = ms(timing.tickMs);
  const labels = { ...DEMO_LABELS };
  const hostport = (name: string, subject: string, check: string, port: number) => ({
    name,
    subject,
    check,
    type: 'hostport',
    host: '127.0.0.1',
    port,
    interval: tick,
  });
  // Prometheus-side settings cannot go below a second.
  const evaluation = ms(Math.max(1_000, Math.round(timing.tickMs / 1_000) * 1_000));
  const config = {
    listen: options.listen ?? DEFAULT_DEMO_LISTEN,
    state: options.statePath,
    api: { tokens: [{ name: DEMO_TOKEN_NAME, token: options.token, scopes: ['admin'] }] },
    // Hosts count again two ticks after their switch is back (the default settle lag is 5m).
    defaults: { startup_grace: ms(2 * timing.tickMs), disconnect_grace: ms(2 * timing.tickMs), dependency_lag: ms(2 * timing.tickMs) },
    subjects: [
      { id: DEMO_SUBJECTS.switch, kind: 'switch', labels },
      ...DEMO_SUBJECTS.hosts.map((id) => ({
        id,
        kind: 'host',
        labels: { ...labels, switch: DEMO_SUBJECTS.switch },
        depends_on: [DEMO_SUBJECTS.switch],
      })),
      { id: DEMO_SUBJECTS.heartbeat, kind: 'job', labels },
      { id: DEMO_SUBJECTS.experiment, kind: 'experiment', labels: { ...labels, lab: 'pendulum' } },
    ],
    targets: [
      { name: DEMO_SUBJECTS.web, type: 'download', url: `http://127.0.0.1:${ports.web}/`, interval: tick, labels },
      hostport(`${DEMO_SUBJECTS.switch}-mgmt`, DEMO_SUBJECTS.switch, 'mgmt', ports.switch),
      ...DEMO_SUBJECTS.hosts.map((id, index) => hostport(`${id}-ssh`, id, 'ssh', ports.hosts[index]!)),
    ],
    agents: { kind: 'machine', labels, disconnect_grace: ms(2 * timing.tickMs) },
    // Every check's status on the dashboards (opt-in: docs/metrics.md, choosing families).
    metrics: { include: ['vigil_check_status'] },
    alerting: {
      evaluation_interval: evaluation,
      external_url: `http://${options.listen ?? DEFAULT_DEMO_LISTEN}/`,
      default_receiver: 'demo',
      group_wait: evaluation,
      group_interval: evaluation,
      receivers: { demo: { webhook: { url: options.webhookUrl ?? DEFAULT_DEMO_WEBHOOK } } },
      policies: [
        { name: 'demo-web', match: { kind: 'target' }, notify: 'failure', threshold: 3, recovery: 2, receiver: 'demo' },
        { name: 'demo-network', match: { kind: ['switch', 'host'] }, notify: 'failure', threshold: 2, receiver: 'demo' },
        { name: 'demo-labs', match: { kind: 'experiment' }, notify: 'failure', threshold: 2, receiver: 'demo' },
      ],
    },
  };
  return `# vigil serve --demo: a SIMULATED fleet on loopback (every subject is labelled demo: simulated).\n${stringify(config)}`;
}

/** The demo config as `vigil generate-rules --demo` sees it: the rules do not depend on ports, state or token. */
export function demoConfigForRules(timing: StoryTiming, webhookUrl = DEFAULT_DEMO_WEBHOOK): string {
  const ports = { web: 8080, switch: 2201, hosts: [2202, 2203, 2204] };
  return demoConfigText({ timing, token: 'not-used-by-the-rules', statePath: 'vigil-demo.db', webhookUrl, ports });
}
