// Every Redis call of the tier goes through one guard, so that Redis failing costs callers
// nothing but the tier: a call that fails or does not answer within storeTimeoutMs counts as a
// store error, is reported, and makes the tier stop asking Redis for a while. "A while" is a
// built-in cooldown, or whatever a policy passed in decides (a circuit breaker's open state,
// say): the guard only needs its `execute(fn, { signal })`.

import { BulwarkError } from '@bulwark/kernel';
import type { Clock } from '../options.js';
import { TimeoutQueue, type Watched } from './timeout-queue.js';

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
  readonly #watch: TimeoutQueue;
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
    this.#watch = new TimeoutQueue(clock, (call) => this.#timedOut(call as StoreCall));
  }

  /** False after a store call failed, until one succeeds. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** True while the built-in cooldown keeps Redis out of the way. */
  get coolingDown(): boolean {
    return this.#policy === undefined && this.#clock.now() < this.#coolUntil;
  }

  /**
   * `call(arg)`'s result, or DOWN when Redis was skipped, failed or too slow (never rejects).
   * `now` is the clock's reading, for a caller that has just taken one.
   */
  run<T, A = undefined>(
    operation: string,
    call: (arg: A) => Promise<T>,
    arg?: A,
    now = this.#clock.now(),
  ): Promise<T | typeof DOWN> {
    if (this.#policy === undefined) {
      if (now < this.#coolUntil) return ANSWERED_DOWN;
      return new Promise((resolve) => {
        const started = new StoreCall(
          operation,
          now + this.#timeoutMs,
          resolve as Settle,
          undefined,
        );
        this.#start(started, call, arg);
      });
    }
    const attempt = this.#policy.execute(
      () =>
        new Promise<T>((resolve, reject) => {
          const deadline = this.#clock.now() + this.#timeoutMs;
          const started = new StoreCall(operation, deadline, resolve as Settle, reject);
          this.#start(started, call, arg);
        }),
    );
    return attempt.then(
      (result) => {
        this.#healthy = true;
        return result;
      },
      (error: unknown) => {
        this.#failed(operation, error);
        return DOWN;
      },
    );
  }

  // Sends the call and watches it: its answer or the timeout, whichever comes first, settles it.
  #start<T, A>(started: StoreCall, call: (arg: A) => Promise<T>, arg: A | undefined): void {
    this.#watch.add(started);
    let answer: Promise<T>;
    try {
      answer = call(arg as A);
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (value) => {
        if (started.done) return;
        this.#watch.settled(started);
        if (started.reject === undefined) this.#healthy = true;
        started.resolve(value);
      },
      (error: unknown) => {
        if (started.done) return;
        this.#watch.settled(started);
        this.#settleFailed(started, error);
      },
    );
  }

  #timedOut(call: StoreCall): void {
    this.#settleFailed(call, new StoreTimeoutError(call.operation, this.#timeoutMs));
  }

  // A call under a policy rejects (the policy counts it; `run` then books it); a direct one
  // is booked here and answers DOWN.
  #settleFailed(call: StoreCall, error: unknown): void {
    if (call.reject !== undefined) {
      call.reject(error);
    } else {
      this.#failed(call.operation, error);
      call.resolve(DOWN);
    }
  }

  #failed(operation: string, error: unknown): void {
    this.storeErrors++;
    this.#healthy = false;
    this.#coolUntil = this.#clock.now() + this.#cooldownMs;
    this.#onError(operation, error);
  }
}

type Settle = (value: unknown) => void;

const ANSWERED_DOWN: Promise<typeof DOWN> = Promise.resolve(DOWN);

// One store call in flight. `reject` is set under a policy, which must see failures as such.
class StoreCall implements Watched {
  done = false;
  next: Watched | undefined = undefined;
  readonly operation: string;
  readonly deadline: number;
  readonly resolve: Settle;
  readonly reject: ((error: unknown) => void) | undefined;

  constructor(
    operation: string,
    deadline: number,
    resolve: Settle,
    reject: ((error: unknown) => void) | undefined,
  ) {
    this.operation = operation;
    this.deadline = deadline;
    this.resolve = resolve;
    this.reject = reject;
  }
}
