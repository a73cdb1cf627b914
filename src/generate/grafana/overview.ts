// Overview: every subject's health over time, connectivity, warnings, recent changes, checks and sources.
import {
  dashboard,
  HEALTH_CODES,
  healthExpr,
  queryVariable,
  row,
  stat,
  stateTimeline,
  table,
  target,
  timeseries,
  valueMappings,
  type Dashboard,
} from './common.js';

const SEL = 'kind=~"$kind", subject=~"$subject"';

export function overviewDashboard(header: string): Dashboard {
  return dashboard({
    uid: 'vigil-overview',
    title: 'vigil / Overview',
    header,
    about: 'Health, connectivity and warnings of every subject vigil watches',
    variables: [
      queryVariable('kind', 'Kind', 'label_values(vigil_subject_info, kind)'),
      queryVariable('subject', 'Subject', 'label_values(vigil_subject_info{kind=~"$kind"}, subject)'),
    ],
    panels: [
      ...HEALTH_CODES.slice()
        .reverse()
        .map(([, state, color]) =>
          stat(
            `${state[0]!.toUpperCase()}${state.slice(1)}`,
            `Subjects whose health is ${state}.`,
            [target(`sum(vigil_subject_health{state="${state}", ${SEL}}) or vector(0)`)],
            {
              thresholds: {
                mode: 'absolute',
                steps: [
                  { value: null, color: 'green' },
                  { value: 1, color },
                ],
              },
            },
            4,
            4,
          ),
        ),
      stat(
        'Unavailable',
        'Subjects whose connectivity is unavailable (health unchanged).',
        [target(`count(vigil_subject_connectivity{${SEL}} == 0) or vector(0)`)],
        {
          thresholds: {
            mode: 'absolute',
            steps: [
              { value: null, color: 'green' },
              { value: 1, color: 'red' },
            ],
          },
        },
        4,
        4,
      ),
      row('Health'),
      stateTimeline(
        'Health per subject',
        'Health state timeline: healthy, pending, unknown, missing, unhealthy.',
        [target(healthExpr(SEL), '{{subject}}')],
        valueMappings(HEALTH_CODES),
      ),
      stateTimeline(
        'Connectivity per subject',
        'available / unavailable, kept apart from health; absent when never known.',
        [target(`max by (subject) (vigil_subject_connectivity{${SEL}})`, '{{subject}}')],
        valueMappings([
          [1, 'available', 'green'],
          [0, 'unavailable', 'red'],
        ]),
      ),
      timeseries(
        'Warnings',
        'Active warnings per subject: they never change health.',
        [target(`vigil_subject_warnings{${SEL}} > 0`, '{{subject}}')],
        'short',
      ),
      timeseries(
        'Health and connectivity changes',
        'Changes per subject in the selected interval.',
        [
          target(`sum by (subject) (increase(vigil_subject_health_changes_total{${SEL}}[$__rate_interval])) > 0`, 'health {{subject}}'),
          target(`sum by (subject) (increase(vigil_subject_connectivity_changes_total{${SEL}}[$__rate_interval])) > 0`, 'connectivity {{subject}}', {
            refId: 'B',
          }),
        ],
        'short',
      ),
      row('Recent changes'),
      table(
        'Recent changes',
        'Subjects whose health changed in the selected time range, latest first.',
        [
          target(`sort_desc(max by (subject, kind) (vigil_subject_health_changed_timestamp_seconds{${SEL}}) * 1000 > ($__to - $__range_ms))`, '', {
            instant: true,
          }),
        ],
        24,
        8,
        { unit: 'dateTimeAsIso' },
      ),
      table(
        'Checks',
        'Failing checks (consecutive failures), checks that do not count toward health (with the reason) and, ' +
          "when vigil_check_status is exposed, every check's status.",
        [
          target('vigil_check_consecutive_failures{subject=~"$subject"} > 0', '', { instant: true }),
          target('vigil_check_not_counted{subject=~"$subject"}', '', { instant: true, refId: 'B' }),
          target('vigil_check_status * on (subject) group_left (kind) vigil_subject_info{kind=~"$kind", subject=~"$subject"} == 1', '', {
            instant: true,
            refId: 'C',
          }),
        ],
      ),
      row('vigil'),
      stateTimeline(
        'Sources',
        'Whether each source instance reaches its peer.',
        [target('vigil_source_up', '{{source}}')],
        valueMappings([
          [1, 'up', 'green'],
          [0, 'down', 'red'],
        ]),
        12,
        6,
      ),
      timeseries(
        'Source errors',
        'Errors per source and reason.',
        [target('sum by (source, reason) (rate(vigil_source_errors_total[$__rate_interval]))', '{{source}} {{reason}}')],
        'ops',
        12,
        6,
      ),
      table('Build', 'Running vigil version.', [target('vigil_build_info', '', { instant: true })], 24, 4),
    ],
  });
}
