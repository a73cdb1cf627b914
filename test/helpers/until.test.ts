// The tests' bounded waits: they return what they found, give up with an error naming what was awaited, never
// before their bound, and treat a throwing check as the caller asked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { until, untilTurns } from './until.js';

/** A check that answers `undefined` until its `n`-th look, then `value`; counts its looks. */
function ready<T>(n: number, value: T) {
  const probe = { looks: 0, check: () => (++probe.looks >= n ? value : undefined) };
  return probe;
}

describe('until', () => {
  it('returns the value a sync or an async check found, and true for a condition', async () => {
    const sync = ready(3, { id: 'a' });
    assert.deepEqual(await until(sync.check, 'a value', { intervalMs: 1 }), { id: 'a' });
    assert.equal(sync.looks, 3);
    const later = ready(2, 'found');
    assert.equal(await until(async () => later.check(), 'a value', { intervalMs: 1 }), 'found');
    let flag = false;
    setTimeout(() => (flag = true), 5);
    assert.equal(await until(() => flag, 'the flag', { intervalMs: 1 }), true);
  });

  it('counts false and undefined as "not yet", any other answer (0, empty text) as found', async () => {
    assert.equal(await until(() => 0, 'zero'), 0);
    assert.equal(await until(() => '', 'empty text'), '');
  });

  it('gives up no earlier than its bound, naming what it awaited; a described wait is described only then', async () => {
    let described = 0;
    const started = Date.now();
    await assert.rejects(
      until(
        () => false,
        () => `the moon (asked ${++described} time)`,
        { timeoutMs: 30, intervalMs: 5 },
      ),
      { message: 'timed out after 30 ms waiting for the moon (asked 1 time)' },
    );
    assert.ok(Date.now() - started >= 30, 'not before the bound');
    assert.equal(described, 1);
  });

  it('fails at once when the check throws, unless told to retry: then the last error is named', async () => {
    let looks = 0;
    const failing = () => {
      looks += 1;
      throw new Error(`refused ${looks}`);
    };
    await assert.rejects(until(failing, 'a failing check'), { message: 'refused 1' });
    assert.equal(looks, 1);
    looks = 0;
    await assert.rejects(until(failing, 'a failing check', { timeoutMs: 20, intervalMs: 2, retryErrors: true }), (error: Error) => {
      assert.match(error.message, /^timed out after 20 ms waiting for a failing check \(last error: refused \d+\)$/);
      return true;
    });
    assert.ok(looks > 1, 'retried');
    const flaky = ready(3, 'up');
    const check = () => {
      const answer = flaky.check();
      if (answer === undefined) throw new Error('connection refused');
      return answer;
    };
    assert.equal(await until(check, 'a process to start', { intervalMs: 1, retryErrors: true }), 'up');
  });
});

describe('untilTurns', () => {
  it('looks once per event-loop turn until the condition holds', async () => {
    const probe = ready(4, true);
    await untilTurns(() => probe.check() === true, 'the fourth look');
    assert.equal(probe.looks, 4);
  });

  it('gives up after its turns, naming what it awaited', async () => {
    const probe = ready(Number.POSITIVE_INFINITY, true);
    await assert.rejects(
      untilTurns(() => probe.check() === true, 'never', 5),
      { message: 'timed out after 5 event-loop turns waiting for never' },
    );
    assert.equal(probe.looks, 6, 'one look per turn and a last one');
  });
});
