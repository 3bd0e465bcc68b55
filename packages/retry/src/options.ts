// Option checks: each throws at construction with a message naming the option and the value.

import { MAX_TIMER_MS, systemClock, type TimerClock } from '@bulwark/kernel';

export { MAX_TIMER_MS, systemClock };

/**
 * Where retry and timeout read time and schedule their timers. Tests pass a fake clock so nothing
 * sleeps. `now()` is read as epoch milliseconds when a `Retry-After` header holds an HTTP-date.
 */
export type Clock = TimerClock;

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

function checkNumber(name: string, value: unknown): number {
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  return value;
}

/** An integer in [min, MAX_SAFE_INTEGER], or Infinity when `infinite` is allowed. */
export function checkCount(name: string, value: unknown, min: number, infinite: boolean): number {
  const n = checkNumber(name, value);
  if (infinite && n === Number.POSITIVE_INFINITY) return n;
  if (!Number.isInteger(n) || n < min)
    throw new RangeError(
      `${name} must be an integer >= ${min}${infinite ? ' or Infinity' : ''}, got ${n}`,
    );
  return n;
}

/** A duration a timer can wait for: a number in [min, MAX_TIMER_MS]. */
export function checkDuration(name: string, value: unknown, min: number): number {
  const n = checkNumber(name, value);
  if (!(n >= min && n <= MAX_TIMER_MS))
    throw new RangeError(`${name} must be between ${min} and ${MAX_TIMER_MS} ms, got ${n}`);
  return n;
}

/** A finite number in [min, max] (either bound may be exclusive). */
export function checkRange(
  name: string,
  value: unknown,
  min: number,
  max: number,
  minExclusive = false,
): number {
  const n = checkNumber(name, value);
  if (!(minExclusive ? n > min : n >= min) || !(n <= max))
    throw new RangeError(
      `${name} must be ${minExclusive ? '>' : '>='} ${min} and <= ${max}, got ${n}`,
    );
  return n;
}

/** The error for a `fn` that is not a function (checked only once calling it has thrown). */
export function notAFunction(name: string, value: unknown): TypeError {
  return new TypeError(`${name} must be a function, got ${describe(value)}`);
}

export function checkFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function')
    throw new TypeError(`${name} must be a function, got ${describe(value)}`);
}

export function checkSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw new TypeError(`${name} must be an AbortSignal, got ${describe(value)}`);
}

export function checkClock(value: unknown): Clock {
  if (value === undefined) return systemClock;
  const clock = value as Partial<Clock>;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof clock.now !== 'function' ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function'
  )
    throw new TypeError(
      `clock must have now(), setTimeout() and clearTimeout(), got ${describe(value)}`,
    );
  return value as Clock;
}
