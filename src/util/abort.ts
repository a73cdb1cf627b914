// Racing work that cannot be cancelled (a file system call, a probe that ignores its signal, a shutdown wait)
// against an AbortSignal: the caller gets an answer when the signal fires, and the work finishes in the background.

/**
 * Settles like `work`, unless `signal` aborts first (or already has): then with `onAbort()`'s value. A promise from
 * `onAbort` still loses to `work` if `work` settles before it does (a fallback deferred to let the work answer
 * itself). A rejection of `work` after the abort is swallowed: nobody is waiting for it any more.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      work.catch(() => {});
      const fallback = onAbort();
      if (fallback instanceof Promise) fallback.then(resolve, reject);
      else resolve(fallback);
    };
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}
