// wrap(a, b, c): one policy that runs a(b(c(fn))). The first policy given is the outermost: in
// wrap(retry, breaker, timeout), each retry attempt goes through the breaker, and each call the
// breaker lets through gets its own timeout. Policies meet only through their shape,
// `execute(fn, { signal })`, so anything with it composes (a CircuitBreaker, a Bulkhead, ...).

import { NEVER_ABORTED, typeError } from '@bulwark/kernel';
import type { Policy, PolicyContext, PolicyExecuteOptions } from './policy.js';

/** What {@link wrap} returns: a {@link Policy} that also lists its parts. */
export interface WrappedPolicy extends Policy {
  /** The composed policies, outermost first. */
  readonly policies: readonly Policy[];
}

class Wrapped implements WrappedPolicy {
  readonly policies: readonly Policy[];

  constructor(policies: readonly Policy[]) {
    this.policies = policies;
  }

  execute<T>(
    fn: (context: PolicyContext) => T | PromiseLike<T>,
    options?: PolicyExecuteOptions,
  ): Promise<T> {
    const signal = options === undefined ? undefined : options.signal;
    if (this.policies.length === 0) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      try {
        return Promise.resolve(fn({ signal: signal ?? NEVER_ABORTED }));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#run(0, fn, signal);
  }

  #run<T>(
    index: number,
    fn: (context: PolicyContext) => T | PromiseLike<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const policy = this.policies[index]!;
    const options = signal === undefined ? undefined : { signal };
    if (index === this.policies.length - 1) return policy.execute(fn, options);
    return policy.execute(
      // Each layer passes the signal it was given (or made, as a timeout does) to the next.
      (context) =>
        this.#run(index + 1, fn, context.signal === NEVER_ABORTED ? undefined : context.signal),
      options,
    );
  }
}

/**
 * Compose policies into one, outermost first: `wrap(retryPolicy({ attempts: 3 }), breaker,
 * timeoutPolicy(1_000))` retries calls that go through the breaker, each with a 1 s timeout.
 * Accepts anything with `execute(fn, { signal })`: this package's policies, a `CircuitBreaker`
 * (`@bulwark/circuit-breaker`), a `Bulkhead` or `Semaphore` (`@bulwark/pool`), or your own. The
 * signal each layer hands its function reaches the next layer, so an abort or a timeout anywhere
 * outside reaches the innermost call.
 *
 * Throws a TypeError naming the position of an argument that has no `execute` method.
 */
export function wrap(...policies: Policy[]): WrappedPolicy {
  policies.forEach((policy, i) => {
    if (
      policy === null ||
      (typeof policy !== 'object' && typeof policy !== 'function') ||
      typeof (policy as { execute?: unknown }).execute !== 'function'
    )
      typeError(`policies[${i}]`, 'an object with an execute(fn, { signal }) method', policy);
  });
  return new Wrapped(Object.freeze([...policies]));
}
