// The demo story's outages as /metrics and the API show them: what "it happened" and "it is over" look like.
import { DEMO_SUBJECTS } from '../../src/demo/config.js';
import { sample, type OutageProbe, type Snapshot } from './watch.js';

const check = (snap: Snapshot, subject: string, name: string) => snap.subjects.get(subject)?.checks[name];
const health = (snap: Snapshot, subject: string) => snap.subjects.get(subject)?.health;
const status = (snap: Snapshot, subject: string, name: string, value: string) =>
  sample(snap, 'vigil_check_status', { subject, check: name, status: value }) === 1;

/** `slowSeconds`: the web target's delay while slow (a probe duration at least this long shows it). */
export function demoOutages(slowSeconds: number): OutageProbe[] {
  const { web, switch: sw, hosts, heartbeat, roamingMachine, experiment } = DEMO_SUBJECTS;
  return [
    {
      name: 'web slows',
      bad: (s) => (sample(s, 'vigil_probe_duration_seconds', { subject: web }) ?? 0) >= slowSeconds && status(s, web, 'download', 'ok'),
      good: (s) => (sample(s, 'vigil_probe_duration_seconds', { subject: web }) ?? 1) < slowSeconds,
    },
    {
      name: 'web fails',
      bad: (s) =>
        status(s, web, 'download', 'crit') && sample(s, 'vigil_probe_http_status_code', { subject: web }) === 503 && health(s, web) === 'unhealthy',
      good: (s) => status(s, web, 'download', 'ok') && health(s, web) === 'healthy',
    },
    {
      name: 'switch down, hosts suppressed',
      bad: (s) =>
        health(s, sw) === 'unhealthy' &&
        hosts.every((h) => check(s, h, 'ssh')?.reported_status === 'crit' && check(s, h, 'ssh')?.not_counted_reason === 'dependency') &&
        hosts.every((h) => sample(s, 'vigil_check_not_counted', { subject: h, check: 'ssh', reason: 'dependency' }) === 1),
      good: (s) => [sw, ...hosts].every((id) => health(s, id) === 'healthy'),
    },
    {
      name: 'heartbeat stops',
      bad: (s) => status(s, heartbeat, 'heartbeat', 'unknown') && check(s, heartbeat, 'heartbeat')?.not_counted_reason === 'stale',
      good: (s) => status(s, heartbeat, 'heartbeat', 'ok') && health(s, heartbeat) === 'healthy',
    },
    {
      name: 'machine disconnects',
      bad: (s) => sample(s, 'vigil_subject_connectivity', { subject: roamingMachine }) === 0 && sample(s, 'vigil_agents_connected', {}) === 1,
      good: (s) => sample(s, 'vigil_subject_connectivity', { subject: roamingMachine }) === 1 && sample(s, 'vigil_agents_connected', {}) === 2,
    },
    {
      name: 'video goes quiet',
      bad: (s) => status(s, experiment, 'stream-video', 'crit') && health(s, experiment) === 'unhealthy',
      good: (s) => status(s, experiment, 'stream-video', 'ok') && health(s, experiment) === 'healthy',
    },
  ];
}
