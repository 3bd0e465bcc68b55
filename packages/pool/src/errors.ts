import { BulwarkError } from '@bulwark/kernel';

export { QueueFullError } from '@bulwark/kernel';

/** An `acquire` waited `acquireTimeoutMs` without getting a resource or permit. Code `BULWARK_POOL_TIMEOUT`. */
export class PoolTimeoutError extends BulwarkError {
  /** How long the caller waited, in ms. */
  readonly waitedMs: number;
  /** @param waitedMs - How long the caller waited. @param options - `cause`: the last create error. */
  constructor(waitedMs: number, options?: { cause?: unknown }) {
    super('BULWARK_POOL_TIMEOUT', `acquire timed out after ${waitedMs} ms`, options);
    this.waitedMs = waitedMs;
  }
}

/**
 * The pool (or semaphore) is closing or closed, or the caller was waiting when `close()` began.
 * Code `BULWARK_POOL_CLOSED`.
 */
export class PoolClosedError extends BulwarkError {
  /** @param what - What is closed: `'the pool'` or a semaphore. */
  constructor(what = 'the pool') {
    super('BULWARK_POOL_CLOSED', `${what} is closed: close() was called`);
  }
}

/** `create` did not settle within `createTimeoutMs`. Code `BULWARK_POOL_CREATE_TIMEOUT`. */
export class CreateTimeoutError extends BulwarkError {
  /** The `createTimeoutMs` that passed. */
  readonly timeoutMs: number;
  /** @param timeoutMs - The `createTimeoutMs` that passed. */
  constructor(timeoutMs: number) {
    super('BULWARK_POOL_CREATE_TIMEOUT', `create did not settle within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * `release()` or `destroy()` was called on a lease or permit that was already given back. Code
 * `BULWARK_POOL_ALREADY_RELEASED`.
 */
export class AlreadyReleasedError extends BulwarkError {
  /** @param what - What was released twice, e.g. `'this lease'`. */
  constructor(what: string) {
    super('BULWARK_POOL_ALREADY_RELEASED', `${what} was already released`);
  }
}
