// vigil_subject_maintenance{subject,kind}: 1 while a maintenance window is open for the subject, 0 while a window
// that is not over covers it but is closed. Subjects no window covers have no series (a lean default: the rules
// only need the 1s). The generated alert rules read it to mute alerts of subjects in maintenance.
import type { EngineState } from '../../engine/types.js';
import type { Maintenance } from '../../maintenance/registry.js';
import { escapeLabelValue } from './text-format.js';

const HEADER =
  '# HELP vigil_subject_maintenance 1 while the subject is inside a maintenance window (its generated alerts are muted), ' +
  '0 while a window covers it but is closed.\n' +
  '# TYPE vigil_subject_maintenance gauge\n';

export function renderMaintenance(state: EngineState, maintenance: Maintenance, now: number): string {
  const windows = maintenance.current(now);
  if (windows.length === 0) return '';
  const openWindows = maintenance.openAt(now);
  let text = '';
  for (const subject of state.subjects.values()) {
    if (!maintenance.covers(subject.spec, now, windows)) continue;
    const open = maintenance.openFor(subject.spec, now, openWindows) !== undefined;
    const labels = `subject="${escapeLabelValue(subject.spec.id)}",kind="${escapeLabelValue(subject.spec.kind)}"`;
    text += `vigil_subject_maintenance{${labels}} ${open ? 1 : 0}\n`;
  }
  return text === '' ? '' : HEADER + text;
}
