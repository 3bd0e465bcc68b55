/** An `acquire` waited `acquireTimeoutMs` without getting a resource or permit. */
export class PoolTimeoutError extends Error {
  override readonly name = 'PoolTimeoutError';
  /** How long the caller waited, in ms. */
  readonly waitedMs: number;
  /** @param waitedMs - How long the caller waited. @param options - `cause`: the last create error. */
  constructor(waitedMs: number, options?: { cause?: unknown }) {
    super(`acquire timed out after ${waitedMs} ms`, options);
    this.waitedMs = waitedMs;
  }
}

/** The pool is draining or drained, or the caller was queued when `drain()` began. */
export class PoolClosedError extends Error {
  override readonly name = 'PoolClosedError';
  /** Made by the pool when it turns a caller away after `drain()`. */
  constructor() {
    super('the pool is closed: drain() was called');
  }
}

/** The wait queue already holds `maxWaiting` (pool) or `maxQueue` (bulkhead) callers. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  /** The queue limit that was reached. */
  readonly limit: number;
  /** @param limit - The queue limit that was reached. */
  constructor(limit: number) {
    super(`the wait queue is full (limit ${limit})`);
    this.limit = limit;
  }
}

/** `create` did not settle within `createTimeoutMs`. */
export class CreateTimeoutError extends Error {
  override readonly name = 'CreateTimeoutError';
  /** @param timeoutMs - The `createTimeoutMs` that passed. */
  constructor(timeoutMs: number) {
    super(`create did not settle within ${timeoutMs} ms`);
  }
}

/** `release()` or `destroy()` was called on a lease or permit that was already given back. */
export class AlreadyReleasedError extends Error {
  override readonly name = 'AlreadyReleasedError';
  /** @param what - What was released twice, e.g. `'this lease'`. */
  constructor(what: string) {
    super(`${what} was already released`);
  }
}
