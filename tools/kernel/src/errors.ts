// Errors users can branch on: every Bulwark error has a stable `code` (as undici's do) and carries
// a brand registered with Symbol.for, so `isBulwarkError(e, code)` holds across the ESM and CJS
// copies of a package and across package versions, where `instanceof` cannot.

const BRAND: unique symbol = Symbol.for('bulwark.error') as never;

/** The base of every error a Bulwark package throws on purpose. */
export class BulwarkError extends Error {
  /** A stable code, e.g. `BULWARK_POOL_TIMEOUT`; never changes once published. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * True when `error` is an error thrown by any Bulwark package (any copy, any version), and, when
 * `code` is given, has that code.
 *
 * ```ts
 * if (isBulwarkError(err, 'BULWARK_CIRCUIT_OPEN')) reply.status(503);
 * ```
 */
export function isBulwarkError(error: unknown, code?: string): error is BulwarkError {
  if (
    typeof error !== 'object' ||
    error === null ||
    (error as Record<symbol, unknown>)[BRAND] !== true
  )
    return false;
  return code === undefined || (error as BulwarkError).code === code;
}

/**
 * A caller was turned away because the queue of callers allowed to wait (`maxWaiting`) was full.
 * One shape for every package that queues callers (the pool, the semaphore, the shaper).
 */
export class QueueFullError extends BulwarkError {
  /** The `maxWaiting` that was reached. */
  readonly maxWaiting: number;

  constructor(maxWaiting: number, what = 'queue') {
    super(
      'BULWARK_QUEUE_FULL',
      `${what} is full: ${maxWaiting} callers already waiting (maxWaiting)`,
    );
    this.maxWaiting = maxWaiting;
  }
}
