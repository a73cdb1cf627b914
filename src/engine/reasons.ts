// Short human text for `healthReason`: which checks are crit, or why nothing counts. Bounded in length.
import { formatDuration } from '../util/duration.js';
import type { CheckState, Health, SubjectState } from './types.js';

const MAX_REASON = 240;
const MAX_MESSAGE = 80;
const MAX_LISTED = 5;

export interface ReasonInputs {
  subject: SubjectState;
  checks: CheckState[];
  startupGrace: number;
  appearanceTimeout: number;
  /** Why dependencies suppress the checks, when they do. */
  dependencyBlocker?: string;
}

export function healthReasonOf(health: Health, inputs: ReasonInputs): string {
  const { checks } = inputs;
  switch (health) {
    case 'pending':
      return `in start-up grace (${formatDuration(inputs.startupGrace)})`;
    case 'missing':
      return `no check counted within ${formatDuration(inputs.appearanceTimeout)} of ${appearanceCause(inputs.subject)}`;
    case 'unhealthy':
      return bound(`crit: ${listed(checks.filter((c) => c.counted && c.status === 'crit').map(describeCrit))}`);
    case 'healthy': {
      const counting = checks.filter((c) => c.counted).length;
      return `${counting} counting check${counting === 1 ? '' : 's'}, none crit`;
    }
    case 'unknown':
      if (checks.length === 0) return 'no checks reported';
      return bound(`no counting check: ${listed(checks.map((c) => `${c.name} ${describeNotCounted(c, inputs.dependencyBlocker)}`))}`);
  }
}

function appearanceCause(subject: SubjectState): string {
  if (subject.renamedAt === subject.appearanceSince) return 'rename';
  if (subject.createdAt === subject.appearanceSince) return 'creation';
  return 'assignment';
}

function describeCrit(check: CheckState): string {
  if (!check.message) return check.name;
  const message = check.message.length > MAX_MESSAGE ? `${check.message.slice(0, MAX_MESSAGE - 1)}…` : check.message;
  return `${check.name} (${message})`;
}

function describeNotCounted(check: CheckState, dependencyBlocker: string | undefined): string {
  switch (check.notCountedReason) {
    case 'dropped':
      return `dropped (source ${check.source} lost)`;
    case 'unknown':
      return 'reports unknown';
    case 'manipulation':
      return 'not observed since the last manipulation';
    case 'rename':
      return 'not observed since the rename';
    case 'dependency':
      return `suppressed (${dependencyBlocker ?? 'observed before a dependency changed'})`;
    default:
      return check.notCountedReason ?? 'not counted';
  }
}

function listed(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED).join('; ');
  return items.length > MAX_LISTED ? `${shown}; +${items.length - MAX_LISTED} more` : shown;
}

function bound(text: string): string {
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}
