// Every Redis call of the tier goes through one guard, so that Redis failing costs callers
// nothing but the tier: a call that fails or does not answer within storeTimeoutMs counts as a
// store error, is reported, and makes the tier stop asking Redis for a while. "A while" is a
// built-in cooldown, or whatever a policy passed in decides (a circuit breaker's open state,
// say): the guard only needs its `execute(fn, { signal })`.

import { BulwarkError } from '@bulwark/kernel';
import type { Clock } from '../options.js';

/** What the tier accepts as a policy: `@bulwark/circuit-breaker`, a retry, or your own. */
export interface StorePolicy {
  execute<T>(
    fn: (context: { readonly signal: AbortSignal }) => T | PromiseLike<T>,
    options?: { signal?: AbortSignal | undefined },
  ): Promise<T>;
}

/** The guard's answer when Redis was not asked or did not answer. @internal */
export const DOWN: unique symbol = Symbol('store down');

/**
 * A Redis call that did not answer within `storeTimeoutMs`. Never thrown to callers: it is what
 * `bulwark:cache:store-error` reports. Code `BULWARK_CACHE_STORE_TIMEOUT`.
 */
export class StoreTimeoutError extends BulwarkError {
  /** `operation` (e.g. `'get'`, `'lookup'`) that did not answer within `ms`. */
  constructor(operation: string, ms: number) {
    super('BULWARK_CACHE_STORE_TIMEOUT', `Redis ${operation} did not answer within ${ms} ms`);
  }
}

/** Runs store calls under a cooldown or a policy, and a timeout. @internal */
export class StoreGuard {
  storeErrors = 0;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #cooldownMs: number;
  readonly #policy: StorePolicy | undefined;
  readonly #onError: (operation: string, error: unknown) => void;
  #coolUntil = Number.NEGATIVE_INFINITY;
  #healthy = true;

  constructor(
    clock: Clock,
    timeoutMs: number,
    cooldownMs: number,
    policy: StorePolicy | undefined,
    onError: (operation: string, error: unknown) => void,
  ) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#cooldownMs = cooldownMs;
    this.#policy = policy;
    this.#onError = onError;
  }

  /** False after a store call failed, until one succeeds. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** True while the built-in cooldown keeps Redis out of the way. */
  get coolingDown(): boolean {
    return this.#policy === undefined && this.#clock.now() < this.#coolUntil;
  }

  /** `call()`'s result, or DOWN when Redis was skipped, failed or too slow (never rejects). */
  run<T>(operation: string, call: () => Promise<T>): Promise<T | typeof DOWN> {
    if (this.coolingDown) return Promise.resolve(DOWN);
    const attempt =
      this.#policy === undefined
        ? this.#bounded(operation, call)
        : this.#policy.execute(() => this.#bounded(operation, call));
    return attempt.then(
      (result) => {
        this.#healthy = true;
        return result;
      },
      (error: unknown) => {
        this.storeErrors++;
        this.#healthy = false;
        this.#coolUntil = this.#clock.now() + this.#cooldownMs;
        this.#onError(operation, error);
        return DOWN;
      },
    );
  }

  #bounded<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const clock = this.#clock;
    const ms = this.#timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = clock.setTimeout(() => reject(new StoreTimeoutError(operation, ms)), ms);
      (timer as { unref?: () => void } | undefined)?.unref?.();
      let pending: Promise<T>;
      try {
        pending = call();
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          clock.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
