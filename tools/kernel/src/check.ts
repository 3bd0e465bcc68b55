// Option checks with one message form: `<option> must be <rule>, got <value>`. A wrong type is a
// TypeError, a value of the right type out of range a RangeError. Each check returns the value so
// a constructor reads as a list of assignments.

import { describeValue } from './describe-value.js';

/** Throws `TypeError: <name> must be <rule>, got <value>`. */
export function typeError(name: string, rule: string, value: unknown): never {
  throw new TypeError(`${name} must be ${rule}, got ${describeValue(value)}`);
}

/** Throws `RangeError: <name> must be <rule>, got <value>`. */
export function rangeError(name: string, rule: string, value: unknown): never {
  throw new RangeError(`${name} must be ${rule}, got ${describeValue(value)}`);
}

/** A plain options object (not null, not an array, not a function). */
export function checkObject<T extends object>(name: string, value: unknown): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    typeError(name, 'an object', value);
  return value as T;
}

/** A number in `[min, max]`; `min` is exclusive when `exclusiveMin` is set. NaN is refused. */
export function checkNumber(
  name: string,
  value: unknown,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
  exclusiveMin = false,
): number {
  if (typeof value !== 'number') typeError(name, 'a number', value);
  const belowMin = exclusiveMin ? !(value > min) : !(value >= min);
  if (belowMin || !(value <= max))
    rangeError(name, rangeRule('a number', min, max, exclusiveMin), value);
  return value;
}

/** A safe integer in `[min, max]`. */
export function checkInteger(
  name: string,
  value: unknown,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number') typeError(name, 'an integer', value);
  if (!Number.isSafeInteger(value) || value < min || value > max)
    rangeError(name, rangeRule('an integer', min, max, false), value);
  return value;
}

/** A duration in milliseconds: finite, `>= 0` (or `> 0` with `positive`), at most `max`. */
export function checkMs(
  name: string,
  value: unknown,
  positive = false,
  max = Number.MAX_SAFE_INTEGER,
): number {
  return checkNumber(name, value, 0, max, positive);
}

/** A boolean. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') typeError(name, 'a boolean', value);
  return value;
}

/** A string, non-empty unless `allowEmpty`. */
export function checkString(name: string, value: unknown, allowEmpty = false): string {
  if (typeof value !== 'string')
    typeError(name, allowEmpty ? 'a string' : 'a non-empty string', value);
  if (!allowEmpty && value.length === 0) typeError(name, 'a non-empty string', value);
  return value;
}

/** A function. */
// biome-ignore lint/complexity/noBannedTypes: any callable is accepted; callers narrow the type.
export function checkFunction<F extends Function>(name: string, value: unknown): F {
  if (typeof value !== 'function') typeError(name, 'a function', value);
  return value as F;
}

/** One of a fixed set of strings. */
export function checkOneOf<const T extends string>(
  name: string,
  value: unknown,
  choices: readonly T[],
): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value))
    (typeof value === 'string' ? rangeError : typeError)(
      name,
      `one of ${choices.map((c) => `'${c}'`).join(', ')}`,
      value,
    );
  return value as T;
}

/** An AbortSignal, or undefined. */
export function checkSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) typeError(name, 'an AbortSignal', value);
  return value;
}

/** An object with `now()`, and with `setTimeout` and `clearTimeout` when `timers` is set. */
export function checkClock<C extends { now(): number }>(
  name: string,
  value: unknown,
  timers = false,
): C {
  const clock = value as Partial<Record<'now' | 'setTimeout' | 'clearTimeout', unknown>> | null;
  const ok =
    typeof value === 'object' &&
    clock !== null &&
    typeof clock.now === 'function' &&
    (!timers ||
      (typeof clock.setTimeout === 'function' && typeof clock.clearTimeout === 'function'));
  if (!ok)
    typeError(
      name,
      timers ? 'an object with now(), setTimeout() and clearTimeout()' : 'an object with now()',
      value,
    );
  return value as C;
}

function rangeRule(kind: string, min: number, max: number, exclusiveMin: boolean): string {
  const hasMin = min !== Number.NEGATIVE_INFINITY && min !== Number.MIN_SAFE_INTEGER;
  const hasMax = max !== Number.POSITIVE_INFINITY && max !== Number.MAX_SAFE_INTEGER;
  const low = `${exclusiveMin ? '>' : '>='} ${min}`;
  if (hasMin && hasMax)
    return exclusiveMin ? `${kind} > ${min} and <= ${max}` : `${kind} between ${min} and ${max}`;
  if (hasMin) return `${kind} ${low}`;
  if (hasMax) return `${kind} <= ${max}`;
  return kind === 'a number' ? 'a number' : 'a safe integer';
}
