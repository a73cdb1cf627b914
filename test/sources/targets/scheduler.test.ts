import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Scheduler, type ScheduledJob } from '../../../src/sources/targets/scheduler.js';
import { FakeTimers } from './fake-timers.js';

const T0 = 1_000_000;

function sleepJob(timers: FakeTimers, key: string, interval: number, timeout: number, takes: number, starts: number[]): ScheduledJob {
  return {
    key,
    interval,
    timeout,
    run: () => {
      starts.push(timers.now() - T0);
      return new Promise<void>((resolve) => timers.setTimeout(resolve, takes));
    },
  };
}

test('first run is jittered within the interval, then runs keep a fixed period whatever the run takes (no drift)', async () => {
  const timers = new FakeTimers(T0);
  const scheduler = new Scheduler({ timers, random: () => 0.25 });
  const starts: number[] = [];
  scheduler.add(sleepJob(timers, 'a', 10_000, 5_000, 3_000, starts));
  scheduler.start();
  await timers.advance(45_000);
  assert.deepEqual(starts, [2_500, 12_500, 22_500, 32_500, 42_500]);
  assert.equal(scheduler.getStats().skipped, 0);
  await scheduler.stop(0);
});

test('a run still going at its next slot makes that slot skipped and counted, never overlapping', async () => {
  const timers = new FakeTimers(T0);
  const scheduler = new Scheduler({ timers, random: () => 0 });
  const starts: number[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  scheduler.add({
    key: 'slow',
    interval: 1_000,
    timeout: 5_000,
    run: () => {
      starts.push(timers.now() - T0);
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      return new Promise<void>((resolve) =>
        timers.setTimeout(() => {
          concurrent--;
          resolve();
        }, 2_500),
      );
    },
  });
  scheduler.start();
  await timers.advance(3_500);
  assert.deepEqual(starts, [0, 3_000]);
  assert.equal(scheduler.getStats().skipped, 2);
  assert.equal(maxConcurrent, 1);
  await scheduler.stop(0);
});

test('the global concurrency limit holds and waiting runs start in order as slots free up', async () => {
  const timers = new FakeTimers(T0);
  const startsByJob = new Map<string, number>();
  const lateness: number[] = [];
  const scheduler = new Scheduler({
    timers,
    random: () => 0,
    concurrency: 2,
    onStart: (job, scheduledAt, startedAt) => {
      startsByJob.set(job.key, startedAt - T0);
      lateness.push(startedAt - scheduledAt);
    },
  });
  let active = 0;
  let peak = 0;
  for (const key of ['a', 'b', 'c', 'd', 'e']) {
    scheduler.add({
      key,
      interval: 10_000,
      timeout: 1_000,
      run: () => {
        active++;
        peak = Math.max(peak, active);
        return new Promise<void>((resolve) =>
          timers.setTimeout(() => {
            active--;
            resolve();
          }, 100),
        );
      },
    });
  }
  scheduler.start();
  await timers.advance(1_000);
  assert.equal(peak, 2);
  assert.deepEqual(
    [...startsByJob.entries()],
    [
      ['a', 0],
      ['b', 0],
      ['c', 100],
      ['d', 100],
      ['e', 200],
    ],
  );
  assert.deepEqual(lateness, [0, 0, 100, 100, 200]);
  await scheduler.stop(0);
});

test('a hung run is aborted at its timeout, frees its slot, and the next slot runs again', async () => {
  const timers = new FakeTimers(T0);
  const scheduler = new Scheduler({ timers, random: () => 0, concurrency: 1 });
  const signals: AbortSignal[] = [];
  scheduler.add({
    key: 'hung',
    interval: 1_000,
    timeout: 400,
    run: (signal) => {
      signals.push(signal);
      return new Promise<void>(() => {}); // ignores its signal entirely
    },
  });
  const otherStarts: number[] = [];
  scheduler.add(sleepJob(timers, 'other', 1_000, 400, 10, otherStarts));
  scheduler.start();
  await timers.advance(399);
  assert.equal(signals[0]?.aborted, false);
  assert.deepEqual(otherStarts, []); // concurrency 1: waiting behind the hung run
  await timers.advance(1);
  assert.equal(signals[0]?.aborted, true);
  assert.deepEqual(otherStarts, [400]);
  await timers.advance(1_000);
  assert.equal(signals.length, 2);
  const stats = scheduler.getStats();
  assert.equal(stats.timedOut, 2);
  assert.equal(stats.skipped, 0);
  await scheduler.stop(0);
});

test('slots missed while the event loop stalled are skipped, not run in a burst', async () => {
  const timers = new FakeTimers(T0);
  const scheduler = new Scheduler({ timers, random: () => 0 });
  const starts: number[] = [];
  scheduler.add(sleepJob(timers, 'a', 1_000, 500, 10, starts));
  scheduler.start();
  await timers.advance(0);
  assert.deepEqual(starts, [0]);
  // Jump the clock without firing timers in between, as a blocked event loop would.
  timers.jump(5_500);
  await timers.advance(0);
  assert.deepEqual(starts, [0, 1_000 + 4_500]); // ran once for the overdue slot
  await timers.advance(500);
  assert.deepEqual(starts, [0, 5_500, 6_000]);
  assert.equal(scheduler.getStats().skipped, 4);
  await scheduler.stop(0);
});

test('stop aborts runs in flight and no run starts afterwards', async () => {
  const timers = new FakeTimers(T0);
  const scheduler = new Scheduler({ timers, random: () => 0 });
  const signals: AbortSignal[] = [];
  scheduler.add({
    key: 'a',
    interval: 1_000,
    timeout: 900,
    run: (signal) => {
      signals.push(signal);
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    },
  });
  scheduler.start();
  await timers.advance(10);
  await scheduler.stop(0);
  assert.equal(signals[0]?.aborted, true);
  await timers.advance(5_000);
  assert.equal(signals.length, 1);
});
