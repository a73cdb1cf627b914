// The shared binary min-heap: order by the caller's `before`, ties in the order the caller's rule gives, and the
// array stays a valid heap through any mix of pushes and pops.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heapPop, heapPush, type Before } from '../../src/util/heap.js';

const ascending: Before<number> = (a, b) => a < b;

/** A deterministic sequence in [0, 1): tests must not depend on Math.random. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function isHeap<T>(heap: readonly T[], before: Before<T>): boolean {
  return heap.every((item, index) => index === 0 || !before(item, heap[(index - 1) >> 1]!));
}

describe('heap', () => {
  it('pops nothing from an empty heap', () => {
    assert.equal(heapPop<number>([], ascending), undefined);
  });

  it('pops items smallest first, duplicates included', () => {
    const heap: number[] = [];
    for (const value of [5, 3, 8, 3, 1, 9, 0, 5]) heapPush(heap, value, ascending);
    const out: number[] = [];
    for (let value = heapPop(heap, ascending); value !== undefined; value = heapPop(heap, ascending)) out.push(value);
    assert.deepEqual(out, [0, 1, 3, 3, 5, 5, 8, 9]);
    assert.equal(heap.length, 0);
  });

  it('breaks ties by the rule given: equal times come out in insertion order with a sequence tie-break', () => {
    type Job = { at: number; seq: number };
    const before: Before<Job> = (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
    const heap: Job[] = [];
    for (const [seq, at] of [10, 10, 5, 10, 5].entries()) heapPush(heap, { at, seq }, before);
    const order: number[] = [];
    for (let job = heapPop(heap, before); job; job = heapPop(heap, before)) order.push(job.seq);
    assert.deepEqual(order, [2, 4, 0, 1, 3]);
  });

  it('accepts a sorted array as a heap (how the engine rebuilds its deadlines)', () => {
    const heap = [1, 2, 3, 4, 5, 6, 7];
    assert.ok(isHeap(heap, ascending));
    heapPush(heap, 0, ascending);
    assert.equal(heapPop(heap, ascending), 0);
    assert.equal(heapPop(heap, ascending), 1);
  });

  it('stays a valid heap and agrees with a sorted copy through interleaved pushes and pops', () => {
    const random = lcg(42);
    const heap: number[] = [];
    const model: number[] = [];
    for (let step = 0; step < 5_000; step++) {
      if (model.length === 0 || random() < 0.6) {
        const value = Math.floor(random() * 1_000);
        heapPush(heap, value, ascending);
        model.push(value);
        model.sort((a, b) => a - b);
      } else {
        assert.equal(heapPop(heap, ascending), model.shift());
      }
      assert.equal(heap.length, model.length);
    }
    assert.ok(isHeap(heap, ascending));
  });
});
