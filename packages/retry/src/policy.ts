/** What a policy hands the function it runs: a signal to honour (it may be aborted by a timeout, the caller, ...). */
export interface PolicyContext {
  readonly signal: AbortSignal;
}

/** Options of one `execute` call. */
export interface PolicyExecuteOptions {
  /** The caller's signal: aborting it aborts the call (and any wait) with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/**
 * Anything that runs a function under a policy: `retryPolicy(...)`, `timeoutPolicy(...)`, a
 * `CircuitBreaker` from `@bulwark/circuit-breaker`, a `Bulkhead` from `@bulwark/pool`, or your own.
 * {@link wrap} composes them by this shape alone.
 */
export interface Policy {
  execute<T>(
    fn: (context: PolicyContext) => T | PromiseLike<T>,
    options?: PolicyExecuteOptions,
  ): Promise<T>;
}
