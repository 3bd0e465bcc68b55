// The two races of a load against time. Each settles its promise once, clears its timer either
// way, and leaves the work it raced to go on (or stop) by itself.

import type { Clock } from './options.js';

/**
 * `result`, unless `ms` pass first: then `onTimeout()` runs and the promise resolves with
 * `fallback` (the stale value of a soft timeout); `result` settling later changes nothing.
 */
export function orAfter<T>(
  clock: Clock,
  ms: number,
  result: Promise<T>,
  fallback: T,
  onTimeout: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      onTimeout();
      resolve(fallback);
    }, ms);
    result.then(
      (value) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Runs `work()` with `controller`'s signal, which also aborts when `outer` does. If `ms` pass
 * first, `timeout()` makes the error, the controller aborts with it (so the work may stop) and
 * the promise rejects with it (a hard timeout).
 */
export function within<T>(
  clock: Clock,
  ms: number,
  work: () => T | PromiseLike<T>,
  controller: AbortController,
  outer: AbortSignal,
  timeout: () => unknown,
): Promise<T> {
  const forward = (): void => controller.abort(outer.reason);
  if (outer.aborted) forward();
  else outer.addEventListener('abort', forward, { once: true });
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      const error = timeout();
      controller.abort(error);
      reject(error);
    }, ms);
    const done = (): void => {
      clock.clearTimeout(timer);
      outer.removeEventListener('abort', forward);
    };
    new Promise<T>((run) => run(work())).then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}
