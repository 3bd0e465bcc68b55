import { BulwarkError, isBulwarkError } from '@bulwark/kernel';

/**
 * A {@link timeout} (or `timeoutPolicy`) ran out: the inner call's signal was aborted with this
 * error, and the call rejected with it. Its `code` is `BULWARK_RETRY_TIMEOUT`.
 */
export class TimeoutError extends BulwarkError {
  /** The limit that was exceeded. */
  readonly timeoutMs: number;

  /** `timeoutMs`: the limit that was exceeded. */
  constructor(timeoutMs: number) {
    super('BULWARK_RETRY_TIMEOUT', `operation timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A retry was due but the shared {@link RetryBudget} had none left, so `retry` gave up. The error
 * of the last attempt is `cause`. Its `code` is `BULWARK_RETRY_BUDGET_EXHAUSTED`.
 */
export class RetryBudgetExhaustedError extends BulwarkError {
  /** Attempts made before giving up. */
  readonly attempts: number;

  /** `attempts` made before giving up; `cause`, the last attempt's error. */
  constructor(attempts: number, cause: unknown) {
    super(
      'BULWARK_RETRY_BUDGET_EXHAUSTED',
      `retry budget exhausted after ${attempts} attempt${attempts === 1 ? '' : 's'}`,
      { cause },
    );
    this.attempts = attempts;
  }
}

/**
 * True when `error` is a {@link TimeoutError} of this package, also across copies and versions of
 * it (it checks the `BULWARK_RETRY_TIMEOUT` code, not the class).
 */
export function isTimeoutError(error: unknown): error is TimeoutError {
  return isBulwarkError(error, 'BULWARK_RETRY_TIMEOUT');
}
