// The three user callbacks a pool runs on a resource — create, validate, destroy — each bounded
// by its timeout, each reporting exactly once however it ends (value, throw, rejection, or the
// timeout first). Kept apart so pool.ts reads as the acquire/release algorithm alone.

import { type Clock, scheduleUnref } from './clock.js';
import { CreateTimeoutError } from './errors.js';
import type { PoolOptions } from './pool-types.js';

/**
 * Run `create`; its `signal` aborts at `timeoutMs`. Exactly one of `created(resource)` and
 * `failed(error)` is called. A resource that arrives after the timeout was given up on: it goes
 * to `late`, to be destroyed.
 */
export function runCreate<T>(
  create: PoolOptions<T>['create'],
  clock: Clock,
  timeoutMs: number,
  created: (resource: T) => void,
  failed: (error: unknown) => void,
  late: (resource: T) => void,
): void {
  const controller = new AbortController();
  let settled = false;
  const timer = scheduleUnref(
    clock,
    () => {
      if (settled) return;
      settled = true;
      const error = new CreateTimeoutError(timeoutMs);
      controller.abort(error);
      failed(error);
    },
    timeoutMs,
  );
  let attempt: Promise<T>;
  try {
    attempt = Promise.resolve(create({ signal: controller.signal }));
  } catch (error) {
    attempt = Promise.reject(error);
  }
  attempt.then(
    (resource) => {
      if (settled) return late(resource);
      settled = true;
      clock.clearTimeout(timer);
      created(resource);
    },
    (error: unknown) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      failed(error);
    },
  );
}

/**
 * Run `validate`; `done(ok)` is called once, `ok` only for an answer of exactly `true` before
 * `timeoutMs`. Returns a function that ends the check now as failed (for `close()`).
 */
export function runValidate<T>(
  validate: NonNullable<PoolOptions<T>['validate']>,
  resource: T,
  clock: Clock,
  timeoutMs: number,
  done: (ok: boolean) => void,
): () => void {
  let settled = false;
  const finish = (ok: boolean): void => {
    if (settled) return;
    settled = true;
    clock.clearTimeout(timer);
    done(ok);
  };
  const cut = (): void => finish(false);
  const timer = scheduleUnref(clock, cut, timeoutMs);
  Promise.resolve()
    .then(() => validate(resource))
    .then(
      (ok) => finish(ok === true),
      () => finish(false),
    );
  return cut;
}

/**
 * Run `destroy`; `done(false)` when it succeeds, `done(true, error)` when it throws, rejects
 * or outlives `timeoutMs` (then the slot is freed anyway). Called once.
 */
export function runDestroy<T>(
  destroy: PoolOptions<T>['destroy'],
  resource: T,
  clock: Clock,
  timeoutMs: number,
  done: (failed: boolean, error?: unknown) => void,
): void {
  let settled = false;
  const finish = (failed: boolean, error?: unknown): void => {
    if (settled) return;
    settled = true;
    clock.clearTimeout(timer);
    done(failed, error);
  };
  const timer = scheduleUnref(
    clock,
    () => finish(true, new Error(`destroy did not settle within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    Promise.resolve(destroy(resource)).then(
      () => finish(false),
      (error: unknown) => finish(true, error),
    );
  } catch (error) {
    finish(true, error);
  }
}
