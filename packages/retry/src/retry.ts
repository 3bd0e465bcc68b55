// retry(fn, options): call fn; if it fails and the failure is worth retrying, wait (backoff,
// or longer if the error carries a Retry-After), then call it again, up to `attempts` calls.
//
// The first attempt is the hot path: when it succeeds the policy reads no clock, arms no timer and
// allocates nothing beyond one rejection handler for fn's promise. Everything about waiting lives
// in the slow path, entered only after a failure.

import {
  callListener,
  checkBoolean,
  checkKnownKeys,
  checkNumber,
  checkObject,
  checkSignal,
  checkString,
  NEVER_ABORTED,
  typeError,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import {
  type Backoff,
  type BackoffFunction,
  type BackoffOptions,
  checkBackoff,
  resolveBackoff,
} from './backoff.js';
import type { RetryBudget } from './budget.js';
import { channels } from './channels.js';
import { RetryBudgetExhaustedError } from './errors.js';
import { type HedgeSettings, hedge } from './hedge.js';
import {
  type Clock,
  checkClock,
  checkCount,
  checkDuration,
  checkOptionalFunction,
  MAX_TIMER_MS,
  notAFunction,
  systemClock,
} from './options.js';
import type { Policy, PolicyExecuteOptions } from './policy.js';
import { retriesError, retriesResult } from './predicates.js';
import { retryAfterOf } from './retry-after.js';

/** What each attempt receives. */
export interface AttemptContext {
  /** The caller's signal (or one that never aborts); honour it to stop work nobody waits for. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
}

/** The argument of `onRetry` and of the `bulwark:retry:retry` channel: a retry is about to wait. */
export interface RetryEvent {
  /** The `name` of the policy. */
  name: string;
  /** The attempt that just failed (1 = the first); the next one is `attempt + 1`. */
  attempt: number;
  /** How long the policy waits before the next attempt. */
  delayMs: number;
  /** What the failed attempt threw; `undefined` when `retryOnResult` turned down its value. */
  error: unknown;
  /** The value `retryOnResult` turned down; `undefined` when the attempt threw. */
  result: unknown;
  /** The server's Retry-After carried by the error (or the turned-down value), in ms, if any. */
  retryAfterMs: number | undefined;
}

/** Why `retry` stopped retrying. */
export type GiveUpReason =
  | 'not-retryable'
  | 'attempts-exhausted'
  | 'retry-after-too-long'
  | 'budget-exhausted';

/** The argument of `onGiveUp` and of the `bulwark:retry:give-up` channel. */
export interface GiveUpEvent {
  /** The `name` of the policy. */
  name: string;
  /** Attempts made. */
  attempts: number;
  /** The last attempt's error; `undefined` when it returned a value `retryOnResult` turned down. */
  error: unknown;
  /** The last attempt's value when `retryOnResult` turned it down; `undefined` when it threw. */
  result: unknown;
  /** Why the policy stopped. */
  reason: GiveUpReason;
}

/** Options of a retry policy (everything but `signal`, which each call brings). */
export interface RetryPolicyOptions {
  /** The policy's label in events (`onRetry`, `onGiveUp`, the channels). Default `'default'`. */
  name?: string;
  /** Calls in all, the first included (so 3 = up to 2 retries). `Infinity` allowed. Default 3. */
  attempts?: number;
  /** A named strategy with its parameters, or a function. Default `{ strategy: 'full-jitter', baseMs: 100, maxDelayMs: 30_000 }`. */
  backoff?: BackoffOptions | BackoffFunction;
  /**
   * Whether an error is worth another attempt. Default: every error. Only `true` means yes: a
   * predicate that throws or returns anything else (a promise from an async predicate included)
   * means no.
   */
  retryOn?: (error: unknown, attempt: number) => boolean;
  /**
   * Whether a value an attempt returned is worth another attempt, as if it had failed (a response
   * with status 503 from a client that does not throw, say). Default: no value is retried. Only
   * `true` means yes; a predicate that throws means no. When the policy gives up on such a value
   * (attempts or budget run out, its Retry-After is too long) it resolves with that value, as a
   * caller without retries would have got it; a budget refusal does not turn it into an error.
   */
  retryOnResult?: (value: unknown, attempt: number) => boolean;
  /**
   * Hedge instead of retrying in sequence (Polly's hedging): when the attempts running have not
   * answered within this many ms, start another beside them (up to `attempts` in all, each after
   * the first paid for by the `budget`); a failure worth retrying starts the next one at once. The
   * first value (or error `retryOn` does not want retried) wins and the other attempts' signals
   * are aborted. `backoff` and Retry-After do not apply. Default: no hedging.
   */
  hedgeAfterMs?: number;
  /**
   * A Retry-After the error carries (see `retryAfterOf`) longer than this makes the policy give up
   * at once rather than retry early. At most 2^31 − 1 ms, or `Infinity`; either way a Retry-After
   * longer than 2^31 − 1 ms (about 24.8 days, the longest timer) gives up. Default 60 000 ms.
   */
  maxRetryAfterMs?: number;
  /** Honour a Retry-After carried by the error. Default true. */
  respectRetryAfter?: boolean;
  /** A budget shared with other calls; a retry it cannot pay for is not made. */
  budget?: RetryBudget;
  /** Called before each wait. A listener that throws does not break the retry. */
  onRetry?: (event: RetryEvent) => void;
  /**
   * Called when the policy stops retrying a failed call: attempts ran out, the budget refused, the
   * Retry-After was too long, or a retry's error is not retryable. Not on abort, and not when the
   * very first error is not retryable (nothing was retried).
   */
  onGiveUp?: (event: GiveUpEvent) => void;
  /** Time source and timers. Default the kernel's `systemClock` and the global timers. */
  clock?: Clock;
  /** Random numbers in [0, 1) for jitter. Default `Math.random`. */
  random?: () => number;
}

/** Options of {@link retry}. */
export interface RetryOptions extends RetryPolicyOptions {
  /** Aborting it stops the call at any point (during an attempt or a wait) with the signal's reason. */
  signal?: AbortSignal | undefined;
}

const FIRST_ATTEMPT: AttemptContext = Object.freeze({ signal: NEVER_ABORTED, attempt: 1 });
const NO_OPTIONS: RetryOptions = Object.freeze({});

/** The option names of {@link RetryPolicyOptions}. */
export const POLICY_OPTION_KEYS: ReadonlySet<string> = new Set([
  'name',
  'attempts',
  'backoff',
  'retryOn',
  'retryOnResult',
  'hedgeAfterMs',
  'maxRetryAfterMs',
  'respectRetryAfter',
  'budget',
  'onRetry',
  'onGiveUp',
  'clock',
  'random',
]);
const RETRY_OPTION_KEYS: ReadonlySet<string> = new Set([...POLICY_OPTION_KEYS, 'signal']);

/** Wait `ms` on `clock`; an abort of `signal` ends the wait with its reason. */
function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal === undefined) {
      clock.setTimeout(resolve, ms);
      return;
    }
    // Aborted already (an onRetry listener may abort): its 'abort' event will not fire again.
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal.reason);
    };
    const handle = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settle with `value`, or with `signal.reason` as soon as the signal aborts, whichever is first. */
export function raceAbort<T>(value: T | PromiseLike<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(value).then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

// The options object whose keys were checked last, and the names they were checked against.
let keysChecked: object | undefined;
let keysCheckedAgainst: ReadonlySet<string> | undefined;

/**
 * Check every retry option without building anything (so `retry()` can run a first attempt that
 * succeeds without allocating a policy). Throws a TypeError or RangeError naming the option.
 */
function checkRetryOptions(
  options: RetryPolicyOptions,
  known: ReadonlySet<string>,
  where: string,
): void {
  checkObject('options', options);
  // The key check walks every key, a fifth of a whole `retry()` call: done once for the options
  // object last seen, since hot paths pass the same object each time. Values are checked always.
  if (options !== keysChecked || known !== keysCheckedAgainst) {
    checkKnownKeys(options, known, where, VOCABULARY_RENAMES);
    keysChecked = options;
    keysCheckedAgainst = known;
  }
  if (options.name !== undefined) checkString('name', options.name);
  if (options.attempts !== undefined) checkCount('attempts', options.attempts, 1, true);
  checkBackoff(options.backoff);
  checkOptionalFunction('retryOn', options.retryOn);
  checkOptionalFunction('retryOnResult', options.retryOnResult);
  if (options.hedgeAfterMs !== undefined) checkDuration('hedgeAfterMs', options.hedgeAfterMs, 0);
  const maxRetryAfterMs = options.maxRetryAfterMs;
  if (maxRetryAfterMs !== undefined && maxRetryAfterMs !== Number.POSITIVE_INFINITY)
    checkNumber('maxRetryAfterMs', maxRetryAfterMs, 0, MAX_TIMER_MS);
  if (options.respectRetryAfter !== undefined)
    checkBoolean('respectRetryAfter', options.respectRetryAfter);
  const budget = options.budget;
  if (
    budget !== undefined &&
    (typeof budget !== 'object' ||
      budget === null ||
      typeof budget.tryRetry !== 'function' ||
      typeof budget.recordAttempt !== 'function')
  )
    typeError('budget', 'a RetryBudget', budget);
  checkOptionalFunction('onRetry', options.onRetry);
  checkOptionalFunction('onGiveUp', options.onGiveUp);
  if (options.clock !== undefined) checkClock(options.clock);
  checkOptionalFunction('random', options.random);
}

// Set while `retry()` builds a policy from options it has checked already (with `signal` among
// the known keys, which a policy alone does not accept).
let optionsChecked = false;

function policyFromChecked(options: RetryOptions): RetryPolicy {
  optionsChecked = true;
  try {
    return new RetryPolicy(options);
  } finally {
    optionsChecked = false;
  }
}

/**
 * Attempt 1, written once for `RetryPolicy.execute` and `retry()`. Calls `fn` and settles as it
 * does, except that a value goes through `onValue` and an error through `onError` when given.
 * With neither (a policy that never retries), the caller gets `fn`'s own promise. With a signal,
 * an abort rejects at once with its reason. `fn` that is not a function rejects with a TypeError.
 */
function firstAttempt<T>(
  fn: (context: AttemptContext) => T | PromiseLike<T>,
  signal: AbortSignal | undefined,
  budget: RetryBudget | undefined,
  onValue: ((value: T) => T | Promise<T>) | undefined,
  onError: ((error: unknown) => T | Promise<T>) | undefined,
): Promise<T> {
  if (budget !== undefined) budget.recordAttempt();
  let result: T | PromiseLike<T>;
  try {
    result = fn(signal === undefined ? FIRST_ATTEMPT : { signal, attempt: 1 });
  } catch (error) {
    // Checked only here, so the hot path pays nothing for it: not an attempt, so not retried.
    if (typeof fn !== 'function') return Promise.reject(notAFunction('fn', fn));
    return onError === undefined ? Promise.reject(error) : Promise.resolve(onError(error));
  }
  let promise: Promise<T>;
  if (signal !== undefined) promise = raceAbort(result, signal);
  else if (result instanceof Promise) promise = result as Promise<T>;
  else {
    promise = Promise.resolve(result);
    // A plain value: nothing can fail any more, and an unchecked value needs no reaction.
    if (onValue === undefined && !isThenable(result)) return promise;
  }
  if (onValue === undefined && onError === undefined) return promise;
  return promise.then(onValue, onError);
}

function isThenable(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

// Set by RetryPolicy's static block: enter a policy's retry loop after attempt 1, run by
// `retry()` itself, ended in an outcome its predicate wants retried.
let continueRetrying: <T>(
  policy: RetryPolicy,
  fn: (context: AttemptContext) => T | PromiseLike<T>,
  outcome: unknown,
  threw: boolean,
) => Promise<T>;

/**
 * A retry policy: options checked once, then `execute(fn, { signal })` any number of times. It is
 * a {@link Policy}, so it composes with {@link wrap}. See {@link retry} for the semantics.
 */
export class RetryPolicy implements Policy {
  /** The `name` option: the policy's label in events. */
  readonly name: string;
  /** The `attempts` option. */
  readonly attempts: number;
  /** The resolved backoff. */
  readonly backoff: Backoff;
  readonly #retryOn: ((error: unknown, attempt: number) => boolean) | undefined;
  readonly #retryOnResult: ((value: unknown, attempt: number) => boolean) | undefined;
  readonly #maxRetryAfterMs: number;
  readonly #respectRetryAfter: boolean;
  readonly #budget: RetryBudget | undefined;
  readonly #onRetry: ((event: RetryEvent) => void) | undefined;
  readonly #onGiveUp: ((event: GiveUpEvent) => void) | undefined;
  readonly #clock: Clock;
  readonly #random: () => number;
  // Set when the policy hedges (`hedgeAfterMs`): what a hedged run needs, made once.
  readonly #hedging: HedgeSettings | undefined;
  // Retries only errors, in sequence, with more than one attempt: `execute`'s common case.
  readonly #plain: boolean;

  /**
   * Throws a TypeError or RangeError naming the option when an option is invalid, and a
   * TypeError naming an unknown option key.
   */
  constructor(options: RetryPolicyOptions = {}) {
    if (!optionsChecked) checkRetryOptions(options, POLICY_OPTION_KEYS, 'retryPolicy(options)');
    this.name = options.name ?? 'default';
    this.attempts = options.attempts ?? 3;
    this.backoff = resolveBackoff(options.backoff);
    this.#retryOn = options.retryOn;
    this.#retryOnResult = options.retryOnResult;
    // No timer waits longer than MAX_TIMER_MS (Node fires a longer one after 1 ms), so a
    // Retry-After beyond it, `Infinity` included, gives up even when maxRetryAfterMs is Infinity.
    this.#maxRetryAfterMs = Math.min(options.maxRetryAfterMs ?? 60_000, MAX_TIMER_MS);
    this.#respectRetryAfter = options.respectRetryAfter ?? true;
    this.#budget = options.budget;
    this.#onRetry = options.onRetry;
    this.#onGiveUp = options.onGiveUp;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#plain =
      this.attempts > 1 && options.hedgeAfterMs === undefined && this.#retryOnResult === undefined;
    this.#hedging =
      options.hedgeAfterMs === undefined
        ? undefined
        : {
            name: this.name,
            attempts: this.attempts,
            hedgeAfterMs: options.hedgeAfterMs,
            clock: this.#clock,
            budget: this.#budget,
            retryOn: this.#retryOn,
            retryOnResult: this.#retryOnResult,
            onGiveUp: this.#onGiveUp,
          };
  }

  static {
    continueRetrying = (policy, fn, outcome, threw) =>
      policy.#retryLoop(fn, undefined, outcome, threw, 1);
  }

  /**
   * Run `fn` until it succeeds, the policy gives up (rejecting with the last error, or with
   * `RetryBudgetExhaustedError`; resolving with the last value when `retryOnResult` turned it
   * down), or `signal` aborts (rejecting with its reason).
   */
  execute<T>(
    fn: (context: AttemptContext) => T | PromiseLike<T>,
    options?: PolicyExecuteOptions,
  ): Promise<T> {
    // No `?.`: the CJS build lowers it to a helper call on the hot path.
    const signal = options === undefined ? undefined : options.signal;
    // The common case stays small enough to inline: no signal, errors retried in sequence.
    if (signal !== undefined || this.#plain === false) return this.#executeWith(fn, signal);
    return firstAttempt(fn, undefined, this.#budget, undefined, (error: unknown) =>
      retriesError(this.#retryOn, error, 1)
        ? this.#retryLoop(fn, undefined, error, true, 1)
        : Promise.reject(error),
    );
  }

  // `execute` with a signal, a single attempt, hedging or `retryOnResult`.
  #executeWith<T>(
    fn: (context: AttemptContext) => T | PromiseLike<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    if (signal !== undefined) {
      try {
        checkSignal('signal', signal);
      } catch (error) {
        return Promise.reject(error);
      }
      if (signal.aborted) return Promise.reject(signal.reason);
    }
    if (this.attempts === 1) return firstAttempt(fn, signal, this.#budget, undefined, undefined);
    if (this.#hedging !== undefined) {
      if (typeof fn !== 'function') return Promise.reject(notAFunction('fn', fn));
      return hedge(fn, signal, this.#hedging);
    }
    const onValue =
      this.#retryOnResult === undefined
        ? undefined
        : (value: T): T | Promise<T> =>
            retriesResult(this.#retryOnResult, value, 1)
              ? this.#retryLoop(fn, signal, value, false, 1)
              : value;
    return firstAttempt(fn, signal, this.#budget, onValue, (error: unknown) =>
      retriesError(this.#retryOn, error, 1)
        ? this.#retryLoop(fn, signal, error, true, 1)
        : Promise.reject(error),
    );
  }

  // Entered after attempt `attempt` ended in `outcome` (thrown when `threw`), which `retryOn` (or
  // `retryOnResult`) wants retried. Decides, waits, tries again.
  async #retryLoop<T>(
    fn: (context: AttemptContext) => T | PromiseLike<T>,
    signal: AbortSignal | undefined,
    outcome: unknown,
    threw: boolean,
    attempt: number,
  ): Promise<T> {
    const clock = this.#clock;
    let previousDelay = 0;
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      let retryAfterMs: number | undefined;
      if (attempt >= this.attempts)
        return this.#giveUp(outcome, threw, attempt, 'attempts-exhausted');
      if (this.#respectRetryAfter) retryAfterMs = retryAfterOf(outcome, clock.now());
      if (retryAfterMs !== undefined && retryAfterMs > this.#maxRetryAfterMs)
        return this.#giveUp(outcome, threw, attempt, 'retry-after-too-long');
      if (this.#budget !== undefined && !this.#budget.tryRetry())
        return this.#giveUp(outcome, threw, attempt, 'budget-exhausted');

      const backoffMs = this.backoff.delay(attempt, previousDelay, this.#random);
      previousDelay = backoffMs;
      const delayMs =
        retryAfterMs !== undefined && retryAfterMs > backoffMs ? retryAfterMs : backoffMs;
      const event: RetryEvent = {
        name: this.name,
        attempt,
        delayMs,
        error: threw ? outcome : undefined,
        result: threw ? undefined : outcome,
        retryAfterMs,
      };
      callListener(this.#onRetry, event);
      if (channels.retry.hasSubscribers) channels.retry.publish(event);
      if (delayMs > 0) await sleep(clock, delayMs, signal);
      else if (signal?.aborted) throw signal.reason;

      attempt++;
      try {
        const result = fn({ signal: signal ?? NEVER_ABORTED, attempt });
        const value = await (signal === undefined ? result : raceAbort(result, signal));
        if (!retriesResult(this.#retryOnResult, value, attempt)) return value;
        outcome = value;
        threw = false;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (!retriesError(this.#retryOn, error, attempt))
          return this.#giveUp(error, true, attempt, 'not-retryable');
        outcome = error;
        threw = true;
      }
    }
  }

  // Stop after `attempts` attempts: tell the listeners, then settle with the last outcome (a value
  // `retryOnResult` turned down is still the caller's answer).
  #giveUp<T>(outcome: unknown, threw: boolean, attempts: number, reason: GiveUpReason): T {
    const event: GiveUpEvent = {
      name: this.name,
      attempts,
      error: threw ? outcome : undefined,
      result: threw ? undefined : outcome,
      reason,
    };
    callListener(this.#onGiveUp, event);
    if (channels.giveUp.hasSubscribers) channels.giveUp.publish(event);
    if (!threw) return outcome as T;
    throw reason === 'budget-exhausted'
      ? new RetryBudgetExhaustedError(attempts, outcome)
      : outcome;
  }
}

/** A {@link RetryPolicy} for {@link wrap}: `wrap(retryPolicy({ attempts: 3 }), breaker, timeoutPolicy(1000))`. */
export function retryPolicy(options?: RetryPolicyOptions): RetryPolicy {
  return new RetryPolicy(options);
}

/**
 * Call `fn`, and call it again when it fails, up to `attempts` calls in all.
 *
 * Between attempts it waits the backoff delay, or the error's Retry-After when that is longer
 * (a Retry-After above `maxRetryAfterMs` makes it give up instead). It gives up with the last
 * error when `retryOn` says no or attempts run out, and with `RetryBudgetExhaustedError` when a
 * shared budget refuses the retry. An abort of `signal` rejects at once with the signal's reason,
 * whether an attempt is running or the policy is waiting.
 *
 * ```ts
 * const body = await retry(({ signal }) => fetch(url, { signal }).then(ok), {
 *   attempts: 4,
 *   backoff: { strategy: 'full-jitter', baseMs: 100, maxDelayMs: 5_000 },
 *   signal: AbortSignal.timeout(10_000),
 * });
 * ```
 *
 * Throws a TypeError or RangeError naming the option when an option is invalid, and a TypeError
 * when `fn` is not a function (rather than retrying the failed call). For many calls
 * with the same options, make a {@link retryPolicy} once and call its `execute`.
 */
export function retry<T>(
  fn: (context: AttemptContext) => T | PromiseLike<T>,
  options?: RetryOptions,
): Promise<T> {
  if (options === undefined) options = NO_OPTIONS;
  else checkRetryOptions(options, RETRY_OPTION_KEYS, 'retry(fn, options)');
  // Thrown like a bad option, not rejected.
  if (typeof fn !== 'function') throw notAFunction('fn', fn);
  if (options.signal !== undefined || options.hedgeAfterMs !== undefined)
    return policyFromChecked(options).execute(fn, options);
  // Attempt 1 runs here and a policy is built only when its outcome is to be retried: a call
  // that succeeds at once costs what `retryPolicy(...).execute` costs.
  const checked = options;
  if (checked.attempts === 1)
    return firstAttempt(fn, undefined, checked.budget, undefined, undefined);
  const retryOnResult = checked.retryOnResult;
  const onValue =
    retryOnResult === undefined
      ? undefined
      : (value: T): T | Promise<T> =>
          retriesResult(retryOnResult, value, 1)
            ? continueRetrying(policyFromChecked(checked), fn, value, false)
            : value;
  return firstAttempt(fn, undefined, checked.budget, onValue, (error: unknown) =>
    retriesError(checked.retryOn, error, 1)
      ? continueRetrying(policyFromChecked(checked), fn, error, true)
      : Promise.reject(error),
  );
}
