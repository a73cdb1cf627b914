// The deadline schedule: a binary min-heap (util/heap.ts) of (at, subject), so a tick with nothing due touches no subject.
// Entries are never updated in place: a subject whose deadline moves gets a new entry, and an entry whose `at`
// no longer equals the subject's `nextDeadline` is skipped when it surfaces (lazy deletion).
import { heapPop, heapPush } from '../util/heap.js';
import type { DeadlineEntry, EngineState, SubjectState } from './types.js';

/** Rebuild the heap from scratch when stale entries outnumber live subjects by this factor. */
const COMPACT_FACTOR = 4;
const COMPACT_SLACK = 1024;

const earlier = (a: DeadlineEntry, b: DeadlineEntry): boolean => a.at < b.at;

export function heapOf(state: EngineState): DeadlineEntry[] {
  if (!state.deadlines) rebuildDeadlines(state);
  return state.deadlines!;
}

export function rebuildDeadlines(state: EngineState): void {
  const heap: DeadlineEntry[] = [];
  for (const [id, subject] of state.subjects) {
    if (subject.nextDeadline !== undefined) heap.push({ at: subject.nextDeadline, subject: id });
  }
  heap.sort((a, b) => a.at - b.at); // a sorted array is a valid min-heap
  state.deadlines = heap;
}

/** Sets the subject's nextDeadline and schedules it when it moved. */
export function setSubjectDeadline(state: EngineState, subject: SubjectState, at: number | undefined): void {
  if (subject.nextDeadline === at) return;
  if (at === undefined) delete subject.nextDeadline;
  else subject.nextDeadline = at;
  if (at === undefined) return;
  const heap = heapOf(state);
  heapPush(heap, { at, subject: subject.spec.id }, earlier);
  if (heap.length > COMPACT_FACTOR * state.subjects.size + COMPACT_SLACK) rebuildDeadlines(state);
}

function isLive(state: EngineState, entry: DeadlineEntry): boolean {
  return state.subjects.get(entry.subject)?.nextDeadline === entry.at;
}

/** Earliest live subject deadline, discarding stale entries on the way. */
export function peekDeadline(state: EngineState): number | undefined {
  const heap = heapOf(state);
  while (heap.length > 0 && !isLive(state, heap[0]!)) heapPop(heap, earlier);
  return heap[0]?.at;
}

/** Removes and returns the ids of subjects whose live deadline is at or before `now`. */
export function takeDue(state: EngineState, now: number): string[] {
  const heap = heapOf(state);
  const due = new Set<string>();
  while (heap.length > 0 && heap[0]!.at <= now) {
    const entry = heapPop(heap, earlier)!;
    if (isLive(state, entry)) due.add(entry.subject);
  }
  return [...due];
}
