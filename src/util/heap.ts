// A binary min-heap over a plain array, ordered by a caller's `before`. Plain functions over an array (not a class)
// so the engine can keep its heap inside its state as data, and the probe scheduler can keep one of its own.
// Items are never updated in place: callers push a new item and skip stale ones as they surface (lazy deletion).

/** True when `a` must come out of the heap before `b`. */
export type Before<T> = (a: T, b: T) => boolean;

export function heapPush<T>(heap: T[], item: T, before: Before<T>): void {
  heap.push(item);
  let index = heap.length - 1;
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (!before(item, heap[parent]!)) break;
    heap[index] = heap[parent]!;
    index = parent;
  }
  heap[index] = item;
}

/** Removes and returns the first item, or undefined when the heap is empty. */
export function heapPop<T>(heap: T[], before: Before<T>): T | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  let index = 0;
  for (;;) {
    const left = 2 * index + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
    if (!before(heap[child]!, last)) break;
    heap[index] = heap[child]!;
    index = child;
  }
  heap[index] = last;
  return top;
}
