// Targets: active probes (ping, hostport, filewrite, download): results, duration, bytes, HTTP status, ICMP loss.
import { dashboard, queryVariable, stateTimeline, target, timeseries, valueMappings, type Dashboard } from './common.js';

const SEL = 'subject=~"$target"';

export function targetsDashboard(header: string): Dashboard {
  return dashboard({
    uid: 'vigil-targets',
    title: 'vigil / Targets',
    header,
    about: 'Active probes: status, duration, response size, HTTP status codes and ICMP loss',
    variables: [queryVariable('target', 'Target', 'label_values(vigil_subject_info{kind="target"}, subject)')],
    panels: [
      stateTimeline(
        'Probe status',
        'Status of each probe check: ok, warn, crit, unknown (stale).',
        [
          target(
            `max by (subject, check) (vigil_check_status{status="ok", ${SEL}} * 1 or vigil_check_status{status="warn", ${SEL}} * 2 ` +
              `or vigil_check_status{status="crit", ${SEL}} * 3 or vigil_check_status{status="unknown", ${SEL}} * 4)`,
            '{{subject}} {{check}}',
          ),
        ],
        valueMappings([
          [1, 'ok', 'green'],
          [2, 'warn', 'yellow'],
          [3, 'crit', 'red'],
          [4, 'unknown', 'text'],
        ]),
      ),
      timeseries('Probe duration', 'How long each probe took.', [target(`vigil_probe_duration_seconds{${SEL}}`, '{{subject}} {{check}}')], 's'),
      timeseries('Response size', 'Bytes read by download probes.', [target(`vigil_probe_response_bytes{${SEL}}`, '{{subject}} {{check}}')], 'bytes'),
      timeseries(
        'HTTP status code',
        'Last HTTP status of download probes.',
        [target(`vigil_probe_http_status_code{${SEL}}`, '{{subject}} {{check}}')],
        'none',
      ),
      timeseries(
        'ICMP packet loss',
        'Share of ping packets lost.',
        [target(`vigil_probe_icmp_packet_loss_ratio{${SEL}}`, '{{subject}} {{check}}')],
        'percentunit',
      ),
      timeseries(
        'ICMP round trip',
        'Ping round-trip times (min, avg, max).',
        [target(`vigil_probe_icmp_rtt_seconds{${SEL}}`, '{{subject}} {{stat}}')],
        's',
        24,
      ),
      timeseries(
        'Consecutive failures',
        'Exact consecutive failed results: what the failure and change policies count.',
        [target(`vigil_check_consecutive_failures{${SEL}} > 0`, '{{subject}} {{check}}')],
        'short',
        24,
      ),
    ],
  });
}
