// timeout(fn, ms): run fn with a signal that aborts after `ms`, and reject with TimeoutError at
// that moment even if fn ignores its signal. The caller's own signal, when given, is linked in:
// its abort aborts fn's signal too and rejects with its reason.

import {
  checkKnownKeys,
  checkObject,
  checkSignal,
  checkString,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import { channels } from './channels.js';
import { TimeoutError } from './errors.js';
import { type Clock, checkClock, checkDuration, notAFunction } from './options.js';
import type { Policy, PolicyContext, PolicyExecuteOptions } from './policy.js';

/** Options of {@link timeout}. */
export interface TimeoutPolicyOptions {
  /** The label in `bulwark:retry:timeout` events. Default `'default'`. */
  name?: string;
  /** Timers. Default the kernel's `systemClock` (the global timers). */
  clock?: Clock;
}

/** Options of {@link timeout}: those of a {@link TimeoutPolicy} plus the caller's signal. */
export interface TimeoutOptions extends TimeoutPolicyOptions {
  /** The caller's signal: its abort aborts the inner call and rejects with its reason. */
  signal?: AbortSignal | undefined;
}

const POLICY_KEYS: ReadonlySet<string> = new Set(['name', 'clock']);
const TIMEOUT_KEYS: ReadonlySet<string> = new Set(['name', 'clock', 'signal']);

// The context handed to fn. Its AbortController is made only when fn reads `signal`: building one
// costs several times more than the rest of a timed call, and many functions never look.
class TimeoutContext implements PolicyContext {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  get signal(): AbortSignal {
    let controller = this.#controller;
    if (controller === undefined) {
      controller = this.#controller = new AbortController();
      if (this.#aborted) controller.abort(this.#reason);
    }
    return controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

const ignore = (): void => {};

function run<T>(
  fn: (context: PolicyContext) => T | PromiseLike<T>,
  ms: number,
  clock: Clock,
  parent: AbortSignal | undefined,
  name: string,
): Promise<T> {
  if (parent?.aborted) return Promise.reject(parent.reason);
  const context = new TimeoutContext();
  // The caller's signal is linked before fn runs, so an abort during fn's synchronous part shows
  // on fn's signal at once. Once fn has returned a promise, the same listener also rejects it.
  let rejectOnAbort: ((reason: unknown) => void) | undefined;
  let onParentAbort: (() => void) | undefined;
  if (parent !== undefined) {
    onParentAbort = () => {
      const reason = parent.reason;
      if (rejectOnAbort !== undefined) rejectOnAbort(reason);
      context.abort(reason);
    };
    parent.addEventListener('abort', onParentAbort, { once: true });
  }
  // fn's synchronous part cannot be interrupted anyway; a plain value needs no timer at all.
  let result: T | PromiseLike<T>;
  try {
    result = fn(context);
  } catch (error) {
    if (onParentAbort !== undefined) parent!.removeEventListener('abort', onParentAbort);
    return Promise.reject(typeof fn === 'function' ? error : notAFunction('fn', fn));
  }
  if (
    result === null ||
    (typeof result !== 'object' && typeof result !== 'function') ||
    typeof (result as PromiseLike<T>).then !== 'function'
  ) {
    if (onParentAbort !== undefined) parent!.removeEventListener('abort', onParentAbort);
    return Promise.resolve(result as T);
  }
  const pending = result as PromiseLike<T>;
  // fn itself may have aborted the caller's signal: fn's signal shows it already (the listener
  // fired and is gone), and the call rejects at once with its reason.
  // fn's late rejection is dropped rather than left unhandled.
  if (parent?.aborted) {
    pending.then(undefined, ignore);
    return Promise.reject(parent.reason);
  }
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = () => {
      done = true;
      clock.clearTimeout(handle);
      if (onParentAbort !== undefined) parent!.removeEventListener('abort', onParentAbort);
    };
    const handle = clock.setTimeout(() => {
      if (done) return;
      finish();
      const error = new TimeoutError(ms);
      if (channels.timeout.hasSubscribers) channels.timeout.publish({ name, timeoutMs: ms });
      reject(error);
      // Abort after rejecting: fn's own rejection (it honours the signal) then changes nothing.
      context.abort(error);
    }, ms);
    if (parent !== undefined)
      rejectOnAbort = (reason) => {
        if (done) return;
        finish();
        reject(reason);
      };
    pending.then(
      (value) => {
        if (done) return;
        finish();
        resolve(value);
      },
      (error: unknown) => {
        if (done) return;
        finish();
        reject(error);
      },
    );
  });
}

/**
 * Run `fn` with a signal that aborts with a {@link TimeoutError} after `ms` milliseconds. The
 * returned promise settles as `fn` does if it finishes in time; otherwise it rejects with the
 * `TimeoutError` at once, whether or not `fn` honours its signal (a late result is dropped). An
 * abort of `options.signal` aborts `fn`'s signal as well and rejects with its reason.
 *
 * ```ts
 * const res = await timeout(({ signal }) => fetch(url, { signal }), 2_000);
 * ```
 *
 * Throws a TypeError when `fn` is not a function, and a TypeError or RangeError when `ms` is not
 * a number in [1, 2^31 − 1] or an option is invalid.
 */
export function timeout<T>(
  fn: (context: PolicyContext) => T | PromiseLike<T>,
  ms: number,
  options?: TimeoutOptions,
): Promise<T> {
  if (typeof fn !== 'function') throw notAFunction('fn', fn);
  checkDuration('ms', ms, 1);
  if (options === undefined) return run(fn, ms, checkClock(undefined), undefined, 'default');
  checkObject('options', options);
  checkKnownKeys(options, TIMEOUT_KEYS, 'timeout(fn, ms, options)', VOCABULARY_RENAMES);
  const name = checkString('name', options.name ?? 'default');
  return run(fn, ms, checkClock(options.clock), checkSignal('signal', options.signal), name);
}

/**
 * A timeout as a {@link Policy}, for {@link wrap}: each `execute` gets `ms` milliseconds (see
 * {@link timeout}). Placed inside a retry policy, each attempt gets its own time; outside, the
 * whole sequence of attempts shares it.
 */
export class TimeoutPolicy implements Policy {
  /** The `name` option: the label in timeout events. */
  readonly name: string;
  /** The time limit of each call. */
  readonly ms: number;
  readonly #clock: Clock;

  /**
   * Throws a TypeError or RangeError naming the option when an option is invalid, and a
   * TypeError naming an unknown option key.
   */
  constructor(ms: number, options: TimeoutPolicyOptions = {}) {
    this.ms = checkDuration('ms', ms, 1);
    checkObject('options', options);
    checkKnownKeys(options, POLICY_KEYS, 'timeoutPolicy(ms, options)', VOCABULARY_RENAMES);
    this.name = checkString('name', options.name ?? 'default');
    this.#clock = checkClock(options.clock);
  }

  /** Run `fn` with the time limit; see {@link timeout}. */
  execute<T>(
    fn: (context: PolicyContext) => T | PromiseLike<T>,
    options?: PolicyExecuteOptions,
  ): Promise<T> {
    const signal = options === undefined ? undefined : options.signal;
    return run(fn, this.ms, this.#clock, signal, this.name);
  }
}

/** A {@link TimeoutPolicy}: `wrap(retryPolicy(...), breaker, timeoutPolicy(1_000))`. */
export function timeoutPolicy(ms: number, options?: TimeoutPolicyOptions): TimeoutPolicy {
  return new TimeoutPolicy(ms, options);
}
