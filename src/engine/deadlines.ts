// The deadline schedule: a binary min-heap of (at, subject) so that a tick with nothing due touches no subject.
// Entries are never updated in place: a subject whose deadline moves gets a new entry, and an entry whose `at`
// no longer equals the subject's `nextDeadline` is skipped when it surfaces (lazy deletion).
import type { DeadlineEntry, EngineState, SubjectState } from './types.js';

/** Rebuild the heap from scratch when stale entries outnumber live subjects by this factor. */
const COMPACT_FACTOR = 4;
const COMPACT_SLACK = 1024;

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
  push(heap, { at, subject: subject.spec.id });
  if (heap.length > COMPACT_FACTOR * state.subjects.size + COMPACT_SLACK) rebuildDeadlines(state);
}

function isLive(state: EngineState, entry: DeadlineEntry): boolean {
  return state.subjects.get(entry.subject)?.nextDeadline === entry.at;
}

/** Earliest live subject deadline, discarding stale entries on the way. */
export function peekDeadline(state: EngineState): number | undefined {
  const heap = heapOf(state);
  while (heap.length > 0 && !isLive(state, heap[0]!)) pop(heap);
  return heap[0]?.at;
}

/** Removes and returns the ids of subjects whose live deadline is at or before `now`. */
export function takeDue(state: EngineState, now: number): string[] {
  const heap = heapOf(state);
  const due = new Set<string>();
  while (heap.length > 0 && heap[0]!.at <= now) {
    const entry = pop(heap)!;
    if (isLive(state, entry)) due.add(entry.subject);
  }
  return [...due];
}

function push(heap: DeadlineEntry[], entry: DeadlineEntry): void {
  heap.push(entry);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]!.at <= entry.at) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = entry;
}

function pop(heap: DeadlineEntry[]): DeadlineEntry | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
    if (heap[child]!.at >= last.at) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = last;
  return top;
}
