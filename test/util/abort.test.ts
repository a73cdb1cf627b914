// The shared abort race: the work's own answer when it comes first, the fallback once the signal fires, and no
// unhandled rejection from work abandoned after the abort.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { raceAbort } from '../../src/util/abort.js';

/** A promise settled by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('raceAbort', () => {
  it('answers with the work when it settles before the signal fires, and unhooks its listener', async () => {
    const controller = new AbortController();
    const work = deferred<string>();
    const raced = raceAbort(work.promise, controller.signal, () => 'aborted');
    work.resolve('done');
    assert.equal(await raced, 'done');
    let fallbacks = 0;
    controller.signal.addEventListener('abort', () => fallbacks++);
    controller.abort();
    assert.equal(fallbacks, 1, 'only the test listener was left');
  });

  it('passes the rejection of work that fails before the abort', async () => {
    const work = deferred<string>();
    const raced = raceAbort(work.promise, new AbortController().signal, () => 'aborted');
    work.reject(new Error('EIO'));
    await assert.rejects(raced, /EIO/);
  });

  it('answers with the fallback once the signal fires, and swallows the late rejection of the work', async () => {
    const controller = new AbortController();
    const work = deferred<string>();
    const raced = raceAbort(work.promise, controller.signal, () => 'aborted');
    controller.abort();
    assert.equal(await raced, 'aborted');
    let unhandled = 0;
    const count = (): void => {
      unhandled++;
    };
    process.on('unhandledRejection', count);
    work.reject(new Error('late'));
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', count);
    assert.equal(unhandled, 0);
  });

  it('answers with the fallback at once when the signal had already fired', async () => {
    const work = new Promise<string>(() => {});
    assert.equal(await raceAbort(work, AbortSignal.abort(), () => 'aborted'), 'aborted');
  });

  it('lets the work win over a deferred fallback when it settles before the fallback does', async () => {
    const controller = new AbortController();
    const work = deferred<string>();
    const raced = raceAbort(work.promise, controller.signal, () => new Promise<string>((resolve) => setImmediate(() => resolve('aborted'))));
    controller.abort();
    work.resolve('own answer');
    assert.equal(await raced, 'own answer');
  });
});
