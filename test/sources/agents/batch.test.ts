// The batch applier: quiet calls are applied on the next turn, a storm is gathered into one apply per window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchApplier } from '../../../src/sources/agents/batch.js';
import { untilTurns } from '../../helpers/until.js';

/** A batch target whose "sink" is the list of ids the calls of one batch touched. */
function recorder() {
  const applies: string[][] = [];
  const target = {
    batch(fill: (ids: string[]) => void): void {
      const ids: string[] = [];
      fill(ids);
      applies.push(ids);
    },
  };
  return { applies, target };
}

const call =
  (id: string) =>
  (ids: string[]): void =>
    void ids.push(id);

test('quiet calls are applied together on the next turn of the event loop, in order; a refused call is reported and skipped', async () => {
  const { applies, target } = recorder();
  const batch = new BatchApplier(target, { stormWindow: 1_000, stormThreshold: 100 });
  const refused: unknown[] = [];
  batch.enqueue(call('a'));
  batch.enqueue(
    () => {
      throw new Error('no such subject');
    },
    (error) => refused.push(error),
  );
  batch.enqueue(call('b'));
  assert.deepEqual(applies, []);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(applies, [['a', 'b']]);
  assert.equal(refused.length, 1);
});

test('past the threshold, the rest of the window and the windows after it are gathered into one apply each', async () => {
  const { applies, target } = recorder();
  let now = 0;
  const batch = new BatchApplier(target, { stormWindow: 20, stormThreshold: 3, clock: () => now });
  for (const id of ['1', '2', '3']) batch.enqueue(call(id));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(applies, [['1', '2', '3']]);
  // The threshold is reached: later calls in this window wait for its end.
  now = 5;
  for (const id of ['4', '5', '6', '7']) batch.enqueue(call(id));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(applies.length, 1, 'gathered, not applied yet');
  now = 20;
  await untilTurns(() => applies.length === 2, 'the window end');
  assert.deepEqual(applies[1], ['4', '5', '6', '7']);
  // The storm goes on into the next window: gathered from its start.
  now = 21;
  batch.enqueue(call('8'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(applies.length, 2);
  now = 41;
  await untilTurns(() => applies.length === 3, 'the next window end');
  // Quiet again two windows later: at once.
  now = 200;
  batch.enqueue(call('9'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(applies[3], ['9']);
});
