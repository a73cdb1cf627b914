// Short human text for `healthReason`: which checks are crit, or why nothing counts. Bounded in length.
import { formatDuration } from '../util/duration.js';
import { RULES } from './checks.js';
import type { CheckState, Health, MetadataEntry, NotCounted, SubjectState } from './types.js';

const MAX_REASON = 240;
const MAX_MESSAGE = 80;
const MAX_LISTED = 5;

export interface ReasonInputs {
  subject: SubjectState;
  checks: CheckState[];
  startupGrace: number;
  appearanceTimeout: number;
}

export function healthReasonOf(health: Health, inputs: ReasonInputs): string {
  const { checks } = inputs;
  switch (health) {
    case 'pending':
      return `in start-up grace (${formatDuration(inputs.startupGrace)})`;
    case 'missing':
      return `no check counted within ${formatDuration(inputs.appearanceTimeout)} of ${appearanceCause(inputs.subject)}`;
    case 'unhealthy':
      return bound(`crit: ${listed(checks.filter((c) => c.counted && c.status === 'crit').map(describeWithMessage))}`);
    case 'healthy': {
      const counting = checks.filter((c) => c.counted).length;
      return `${counting} counting check${counting === 1 ? '' : 's'}, none crit`;
    }
    case 'unknown':
      if (checks.length === 0) return 'no checks reported';
      return bound(`no counting check: ${listed(checks.map((c) => `${c.name} ${describeNotCounted(c)}`))}`);
  }
}

/** Names what the warnings are: warn checks (with their message) and warning metadata keys. */
export function warningsReasonOf(checks: CheckState[], metadata: Record<string, MetadataEntry>): string {
  const items = [
    ...checks.filter((c) => c.counted && c.status === 'warn').map(describeWithMessage),
    ...Object.entries(metadata)
      .filter(([, entry]) => entry.level === 'warning')
      .map(([key, entry]) => (entry.message ? `${key} (${truncate(entry.message)})` : key)),
  ];
  return items.length === 0 ? 'no warnings' : bound(listed(items));
}

function appearanceCause(subject: SubjectState): string {
  if (subject.renamedAt === subject.appearanceSince) return 'rename';
  if (subject.createdAt === subject.appearanceSince) return 'creation';
  return 'assignment';
}

/** A check and its message, for crit and warn lists. */
function describeWithMessage(check: CheckState): string {
  return check.message ? `${check.name} (${truncate(check.message)})` : check.name;
}

function truncate(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

function describeNotCounted(check: CheckState): string {
  const detail = check.notCounted;
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
      return `suppressed (${detail ? describeDependencyWait(check, detail) : 'by a dependency'})`;
    default:
      return check.notCountedReason ?? 'not counted';
  }
}

function describeDependencyWait(check: CheckState, detail: NotCounted): string {
  const id = detail.dependency ?? 'a dependency';
  const lag = detail.lag === undefined ? '' : ` ${formatDuration(detail.lag)}`;
  switch (detail.rule) {
    case RULES.dependencyExists:
      return `${id} does not exist`;
    case RULES.dependencyHealthy:
      return `${id} is ${detail.dependencyHealth ?? 'not healthy'}`;
    case RULES.dependencyChange:
      return `observed before ${id} changed`;
    case RULES.dependencySettled:
      return `${id} settling after recovery, lag${lag}`;
    case RULES.ownStatusSettled:
      return `${check.reported} for less than ${id}'s lag${lag}`;
    default:
      return detail.rule;
  }
}

function listed(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED).join('; ');
  return items.length > MAX_LISTED ? `${shown}; +${items.length - MAX_LISTED} more` : shown;
}

function bound(text: string): string {
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}
