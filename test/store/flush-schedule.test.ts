import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FlushSchedule, type FlushTimers, type IntervalTimer } from '../../src/store/flush-schedule.js';

const INTERVAL_MS = 200;

class FakeTimer implements IntervalTimer {
  refed = true; // as Node's: a new timer holds the process until unref'd
  cancelled = false;
  fired = false;
  constructor(
    readonly ms: number,
    readonly run: () => void,
  ) {}
  ref(): void {
    this.refed = true;
  }
  unref(): void {
    this.refed = false;
  }
  cancel(): void {
    this.cancelled = true;
  }
}

interface FakeTurn {
  run: () => void;
  cancelled: boolean;
}

/** Timers that run only when the test says so: `fire()` the interval, `endTurn()` the event-loop turn. */
class FakeTimers implements FlushTimers {
  readonly created: FakeTimer[] = [];
  readonly turns: FakeTurn[] = [];

  after(ms: number, run: () => void): IntervalTimer {
    const timer = new FakeTimer(ms, run);
    this.created.push(timer);
    return timer;
  }

  afterThisTurn(run: () => void): () => void {
    const turn = { run, cancelled: false };
    this.turns.push(turn);
    return () => {
      turn.cancelled = true;
    };
  }

  get armed(): FakeTimer[] {
    return this.created.filter((timer) => !timer.fired && !timer.cancelled);
  }

  /** The one armed timer's interval is up. */
  fire(): void {
    const armed = this.armed;
    assert.equal(armed.length, 1, 'exactly one timer armed');
    armed[0]!.fired = true;
    armed[0]!.run();
  }

  endTurn(): void {
    for (const turn of this.turns.splice(0)) if (!turn.cancelled) turn.run();
  }
}

/** A store in miniature: `dirty` until a flush that succeeds; every flush settles the waiters it took. */
function harness(options: { failures?: number } = {}) {
  const timers = new FakeTimers();
  let failures = options.failures ?? 0;
  const store = { dirty: false, flushes: 0 };
  const schedule: FlushSchedule = new FlushSchedule({
    intervalMs: INTERVAL_MS,
    timers,
    dirty: () => store.dirty,
    flushDue: () => {
      store.flushes += 1;
      const waiters = schedule.takeWaiters();
      if (failures > 0) {
        failures -= 1;
        waiters.reject(new Error('disk full'));
        return undefined;
      }
      store.dirty = false;
      waiters.resolve();
      return undefined;
    },
  });
  return { timers, store, schedule };
}

/** Where a promise stands after the microtasks queued so far have run. */
async function stateOf(promise: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return state;
}

describe('FlushSchedule', () => {
  it('arms one timer at a time, for the interval, unref’d while nobody waits', () => {
    const { timers, schedule } = harness();
    schedule.arm();
    schedule.arm();
    schedule.arm();
    assert.equal(timers.created.length, 1);
    assert.equal(timers.created[0]!.ms, INTERVAL_MS);
    assert.equal(timers.created[0]!.refed, false, 'a merely dirty store must not hold the process open');
  });

  it('refs the timer while someone awaits a commit, and the next timer is unref’d once a flush took the waiters', async () => {
    const { timers, store, schedule } = harness();
    store.dirty = true;
    schedule.arm();
    const committed = schedule.wait();
    assert.equal(timers.created.length, 1, 'the waiter joins the armed timer');
    assert.equal(timers.created[0]!.refed, true, 'a pending acknowledgement must reach the disk');
    // Changed again after the flush took the waiter: armed anew, but nobody waits for it.
    const flushDue = store.flushes;
    timers.fire();
    assert.equal(store.flushes, flushDue + 1);
    await committed;
    store.dirty = true;
    schedule.arm();
    assert.equal(timers.armed.length, 1);
    assert.equal(timers.armed[0]!.refed, false);
  });

  it('arms again after the interval only while something is still dirty', async () => {
    const { timers, store, schedule } = harness({ failures: 1 });
    store.dirty = true;
    const first = schedule.wait();
    timers.fire();
    await assert.rejects(first, /disk full/);
    assert.equal(timers.armed.length, 1, 'the failed flush left it dirty: retried at the next interval');
    assert.equal(timers.armed[0]!.refed, false, 'nobody waits any more');
    timers.fire();
    assert.equal(store.dirty, false);
    assert.equal(timers.armed.length, 0, 'nothing dirty, no timer: an idle store does nothing');
    assert.equal(store.flushes, 2);
  });

  it('a soon flush runs after the current turn, once for every waiter of that turn', async () => {
    const { timers, store, schedule } = harness();
    store.dirty = true;
    const waits = [schedule.wait(true), schedule.wait(true), schedule.wait()];
    assert.equal(timers.turns.length, 1, 'one early flush per turn');
    assert.equal(store.flushes, 0, 'not within the turn: later writes of the turn share the transaction');
    timers.endTurn();
    assert.equal(store.flushes, 1);
    await Promise.all(waits);
    store.dirty = true;
    const next = schedule.wait(true);
    assert.equal(timers.turns.length, 1, 'the next turn gets its own early flush');
    timers.endTurn();
    await next;
    assert.equal(store.flushes, 2);
  });

  it('without soon, a waiter waits for the interval', async () => {
    const { timers, store, schedule } = harness();
    store.dirty = true;
    const committed = schedule.wait();
    assert.equal(timers.turns.length, 0);
    assert.equal(await stateOf(committed), 'pending');
    timers.fire();
    assert.equal(await stateOf(committed), 'resolved');
  });

  it('callers after a flush took the waiters wait for the next flush', async () => {
    const { schedule } = harness();
    const before = schedule.wait();
    const taken = schedule.takeWaiters();
    const after = schedule.wait();
    taken.resolve();
    assert.equal(await stateOf(before), 'resolved');
    assert.equal(await stateOf(after), 'pending');
    schedule.takeWaiters().reject(new Error('dropped'));
    await assert.rejects(after, /dropped/);
  });

  it('an asynchronous flush: arms again once it settled, also when it failed', async () => {
    const timers = new FakeTimers();
    let dirty = true;
    let fail: (error: Error) => void = () => undefined;
    const schedule = new FlushSchedule({
      intervalMs: INTERVAL_MS,
      timers,
      dirty: () => dirty,
      flushDue: () =>
        new Promise<void>((_resolve, reject) => {
          fail = reject;
        }),
    });
    schedule.arm();
    timers.fire();
    assert.equal(timers.armed.length, 0, 'no second timer while the flush is in flight');
    fail(new Error('connection lost')); // the schedule must not leave this rejection unhandled
    for (let i = 0; i < 5; i++) await Promise.resolve();
    assert.equal(timers.armed.length, 1, 'still dirty: retried at the next interval');
    dirty = false;
    timers.fire();
    fail(new Error('again'));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    assert.equal(timers.armed.length, 0);
  });

  it('stop cancels the timer and the soon flush, and nothing is armed or flushed afterwards', () => {
    const { timers, store, schedule } = harness();
    store.dirty = true;
    void schedule.wait(true).catch(() => undefined);
    const [timer] = timers.created;
    const [turn] = timers.turns;
    schedule.stop();
    assert.equal(timer!.cancelled, true);
    assert.equal(turn!.cancelled, true);
    schedule.arm();
    assert.equal(timers.created.length, 1);
    turn!.run(); // had it raced the cancel
    assert.equal(store.flushes, 0, "the store's close() writes what is left itself");
  });

  it('with Node’s timers, a waiting commit keeps the process alive until its flush; a dirty store alone does not', async () => {
    const run = promisify(execFile);
    const module = new URL('../../src/store/flush-schedule.js', import.meta.url).href;
    const script = (call: string): string =>
      `import { FlushSchedule } from ${JSON.stringify(module)};
       const schedule = new FlushSchedule({ intervalMs: 20, dirty: () => true, flushDue: () => {
         console.log('flushed'); schedule.takeWaiters().resolve(); schedule.stop(); } });
       ${call}`;
    const waiting = await run(process.execPath, ['--input-type=module', '-e', script("schedule.wait().then(() => console.log('acknowledged'));")], {
      timeout: 10_000,
    });
    assert.equal(waiting.stdout, 'flushed\nacknowledged\n');
    const idle = await run(process.execPath, ['--input-type=module', '-e', script('schedule.arm();')], { timeout: 10_000 });
    assert.equal(idle.stdout, '', 'the process ended before the interval: an unref’d timer');
  });
});
