// Short human text for `healthReason`: which checks are crit, or why nothing counts. Bounded in length.
import { formatDuration } from '../util/duration.js';
import type { CheckState, Health, MetadataEntry, SubjectState } from './types.js';

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
      return bound(`crit: ${listed(checks.filter((c) => c.counted && c.status === 'crit').map(describeWithMessage))}`);
    case 'healthy': {
      const counting = checks.filter((c) => c.counted).length;
      return `${counting} counting check${counting === 1 ? '' : 's'}, none crit`;
    }
    case 'unknown':
      if (checks.length === 0) return 'no checks reported';
      return bound(`no counting check: ${listed(checks.map((c) => `${c.name} ${describeNotCounted(c, inputs.dependencyBlocker)}`))}`);
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
