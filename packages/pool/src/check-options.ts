// Option checks shared by the pool and the semaphore. Each throws at construction with a
// message naming the option and the value, so a typo fails loudly and early.

/** Largest delay Node's timers honour; larger values silently fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    throw new RangeError(`${name} must be an integer ${range}, got ${value}`);
  }
  return value;
}

/** A count that may also be `Infinity` (no limit). */
export function checkLimit(name: string, value: unknown, min: number): number {
  if (value === Number.POSITIVE_INFINITY) return value;
  return checkInteger(name, value, min, Number.MAX_SAFE_INTEGER);
}

/** A duration in ms a timer can wait for: a finite number in [min, MAX_TIMER_MS]. */
export function checkDuration(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number of ms, got ${describe(value)}`);
  }
  if (!(value >= min && value <= MAX_TIMER_MS)) {
    throw new RangeError(`${name} must be between ${min} and ${MAX_TIMER_MS} ms, got ${value}`);
  }
  return value;
}

export function checkFunction(name: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'function') {
    throw new TypeError(`${name} must be a function, got ${describe(value)}`);
  }
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** A `Clock`: an object with `now()`, `setTimeout()` and `clearTimeout()`. */
export function checkClock<C extends { now: unknown; setTimeout: unknown; clearTimeout: unknown }>(
  clock: unknown,
): C {
  const candidate = clock as Partial<C> | null | undefined;
  if (
    typeof candidate?.now !== 'function' ||
    typeof candidate.setTimeout !== 'function' ||
    typeof candidate.clearTimeout !== 'function'
  ) {
    throw new TypeError(
      `clock must have now(), setTimeout() and clearTimeout(), got ${describe(clock)}`,
    );
  }
  return clock as C;
}

export function checkOptionsObject(value: unknown): void {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`options must be an object, got ${describe(value)}`);
  }
}

export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw new TypeError(`signal must be an AbortSignal, got ${describe(signal)}`);
}

export function checkPriority(priority: unknown): number {
  if (priority === undefined) return 0;
  if (typeof priority !== 'number' || Number.isNaN(priority)) {
    throw new TypeError(`priority must be a number, got ${describe(priority)}`);
  }
  return priority;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
