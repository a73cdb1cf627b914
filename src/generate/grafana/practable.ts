// practable: remote-lab experiments, their availability in the booking system and their relay streams.
import { dashboard, HEALTH_CODES, healthExpr, queryVariable, stateTimeline, target, timeseries, valueMappings, type Dashboard } from './common.js';

export function practableDashboard(header: string): Dashboard {
  return dashboard({
    uid: 'vigil-practable',
    title: 'vigil / practable experiments',
    header,
    about: 'practable experiments: health, availability and relay streams',
    variables: [queryVariable('experiment', 'Experiment', 'label_values(vigil_practable_experiment_available, experiment)')],
    panels: [
      stateTimeline(
        'Experiment health',
        'Health of each experiment (from its streams; a missing jump is a warning).',
        [target(healthExpr('kind="experiment", subject=~"$experiment"'), '{{subject}}')],
        valueMappings(HEALTH_CODES),
      ),
      stateTimeline(
        'Availability',
        'Whether each experiment is available for booking: all required streams healthy.',
        [target('vigil_practable_experiment_available{experiment=~"$experiment"}', '{{experiment}}')],
        valueMappings([
          [1, 'available', 'green'],
          [0, 'unavailable', 'red'],
        ]),
      ),
      timeseries(
        'Time since last transmission',
        'Seconds since each stream last transmitted on the relay.',
        [target('time() - vigil_practable_stream_last_tx_timestamp_seconds{experiment=~"$experiment"}', '{{experiment}} {{stream}}')],
        's',
      ),
      timeseries(
        'Stream frame rate',
        'Frames per second transmitted by each stream.',
        [target('vigil_practable_stream_tx_fps{experiment=~"$experiment"}', '{{experiment}} {{stream}}')],
        'short',
      ),
    ],
  });
}
