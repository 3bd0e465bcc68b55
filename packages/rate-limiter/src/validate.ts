/** Input checks shared by the factories, the memory store and the shaper. */

/** How a bad value appears in error messages. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (value !== null && typeof value === 'object')
    return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/** The argument must be a plain options object. */
export function options<T extends object>(name: string, value: unknown): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${name} must be an object, got ${show(value)}`);
  return value as T;
}

/** A safe integer `>= min`. */
export function integer(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be a number, got ${show(value)}`);
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${show(value)}`);
  return value;
}

/** A finite number `> 0`. */
export function positive(name: string, value: unknown): number {
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be a number, got ${show(value)}`);
  if (!(value > 0) || !Number.isFinite(value))
    throw new RangeError(`${name} must be a finite number > 0, got ${show(value)}`);
  return value;
}

/** A non-empty string (keys, names). */
export function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${name} must be a non-empty string, got ${show(value)}`);
  return value;
}

/** An object with `now()`, used as a clock. */
export function clockOption<C extends { now(): number }>(name: string, value: unknown): C {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as { now?: unknown }).now !== 'function'
  )
    throw new TypeError(`${name} must be an object with now(), got ${show(value)}`);
  return value as C;
}

/** Throws the RangeError for a `cost` outside `[1, max]` (called only on the slow path). */
export function badCost(cost: unknown, max: number): never {
  if (typeof cost !== 'number') throw new TypeError(`cost must be a number, got ${show(cost)}`);
  throw new RangeError(
    `cost must be an integer between 1 and ${max} (the limit), got ${show(cost)}`,
  );
}

/** Throws the TypeError for a key that is not a non-empty string. */
export function badKey(key: unknown): never {
  throw new TypeError(`key must be a non-empty string, got ${show(key)}`);
}
