/**
 * A {@link timeout} (or `timeoutPolicy`) ran out: the inner call's signal was aborted with this
 * error, and the call rejected with it.
 */
export class TimeoutError extends Error {
  /** The limit that was exceeded. */
  readonly timeoutMs: number;

  /** `timeoutMs`: the limit that was exceeded. */
  constructor(timeoutMs: number) {
    super(`operation timed out after ${timeoutMs} ms`);
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A retry was due but the shared {@link RetryBudget} had none left, so `retry` gave up. The error
 * of the last attempt is `cause`.
 */
export class RetryBudgetExhaustedError extends Error {
  /** Attempts made before giving up. */
  readonly attempts: number;

  /** `attempts` made before giving up; `cause`, the last attempt's error. */
  constructor(attempts: number, cause: unknown) {
    super(`retry budget exhausted after ${attempts} attempt${attempts === 1 ? '' : 's'}`, {
      cause,
    });
    this.name = 'RetryBudgetExhaustedError';
    this.attempts = attempts;
  }
}

/** True when `error` is a {@link TimeoutError} of this package, also across copies of it. */
export function isTimeoutError(error: unknown): error is TimeoutError {
  return (
    error instanceof TimeoutError ||
    (error instanceof Error &&
      error.name === 'TimeoutError' &&
      typeof (error as { timeoutMs?: unknown }).timeoutMs === 'number')
  );
}
