// The retry-specific rules on top of the kernel's option checks: each throws at construction with
// a message naming the option and the value (`<option> must be <rule>, got <value>`).

import {
  checkFunction,
  checkClock as checkKernelClock,
  checkNumber,
  describeValue,
  MAX_TIMER_MS,
  rangeError,
  systemClock,
  type TimerClock,
  typeError,
} from '@bulwark/kernel';

export { MAX_TIMER_MS, systemClock };

/**
 * Where retry and timeout read time and schedule their timers: the kernel's `TimerClock`. Tests
 * pass a fake clock so nothing sleeps. `now()` is read as epoch milliseconds when a `Retry-After`
 * header holds an HTTP-date.
 */
export type Clock = TimerClock;

/** An integer in [min, MAX_SAFE_INTEGER], or Infinity when `infinite` is allowed. */
export function checkCount(name: string, value: unknown, min: number, infinite: boolean): number {
  if (typeof value !== 'number') typeError(name, 'a number', value);
  if (infinite && value === Number.POSITIVE_INFINITY) return value;
  if (!Number.isSafeInteger(value) || value < min)
    rangeError(name, `an integer >= ${min}${infinite ? ' or Infinity' : ''}`, value);
  return value;
}

/** A duration a timer can wait for: a number in [min, MAX_TIMER_MS]. */
export function checkDuration(name: string, value: unknown, min: number): number {
  return checkNumber(name, value, min, MAX_TIMER_MS);
}

/** The error for a `fn` that is not a function (checked only once calling it has thrown). */
export function notAFunction(name: string, value: unknown): TypeError {
  return new TypeError(`${name} must be a function, got ${describeValue(value)}`);
}

/** A function, or undefined. */
export function checkOptionalFunction(name: string, value: unknown): void {
  if (value !== undefined) checkFunction(name, value);
}

/** A clock with timers, or the kernel's `systemClock` when undefined. */
export function checkClock(value: unknown): Clock {
  return value === undefined ? systemClock : checkKernelClock<Clock>('clock', value, true);
}
