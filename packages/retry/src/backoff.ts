// Backoff strategies: how long to wait before retry number n (n = 1 for the first retry).
// Each is a pure function of n, the previous delay and a random number in [0, 1), so it can be
// tested exhaustively and read on its own. "cap" is maxDelayMs; "base" is baseMs.
//
//   constant             base                                        (then capped)
//   exponential          min(cap, base × factor^(n-1))
//   full-jitter          random(0, exponential(n))                   AWS "Full Jitter"
//   equal-jitter         e/2 + random(0, e/2), e = exponential(n)    AWS "Equal Jitter"
//   decorrelated-jitter  min(cap, random(base, previous × 3))        AWS "Decorrelated Jitter"
//                        (previous = base before the first retry)

import {
  checkKnownKeys,
  checkNumber,
  checkOneOf,
  MAX_TIMER_MS,
  rangeError,
  typeError,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';

/** A named strategy; see the formulas in the README and at the top of this file. */
export type BackoffStrategy =
  | 'constant'
  | 'exponential'
  | 'full-jitter'
  | 'equal-jitter'
  | 'decorrelated-jitter';

const STRATEGIES: readonly BackoffStrategy[] = [
  'constant',
  'exponential',
  'full-jitter',
  'equal-jitter',
  'decorrelated-jitter',
];

/** Options of a named strategy. */
export interface BackoffOptions {
  /** Default `'full-jitter'`. */
  strategy?: BackoffStrategy;
  /** The first delay (constant: every delay). Default 100 ms. */
  baseMs?: number;
  /** No delay exceeds this. Default 30 000 ms, or `baseMs` when that is larger. */
  maxDelayMs?: number;
  /** Growth per retry of the exponential strategies (decorrelated uses 3, per its definition). Default 2. */
  factor?: number;
}

/**
 * A custom backoff: the delay in ms before retry number `retry` (1 for the first retry), given what
 * it returned for the previous retry (0 before the first) and `random()` in [0, 1). A result that
 * is not a positive number means no wait; it is capped at 2^31 − 1 ms.
 */
export type BackoffFunction = (
  retry: number,
  previousDelayMs: number,
  random: () => number,
) => number;

/** A backoff resolved from options: call `delay(n, previous, random)`. */
export interface Backoff {
  /** The named strategy, or `'custom'` for a {@link BackoffFunction}. */
  readonly strategy: BackoffStrategy | 'custom';
  /** The `baseMs` option (0 for a custom function). */
  readonly baseMs: number;
  /** The `maxDelayMs` option (2^31 − 1 for a custom function). */
  readonly maxDelayMs: number;
  /** The `factor` option (1 for a custom function). */
  readonly factor: number;
  /** The delay in ms before retry `retry` (1 for the first), given the previous delay (0 before the first). */
  delay(retry: number, previousDelayMs: number, random: () => number): number;
}

/** The exponential delay before retry `n`, capped: min(cap, base × factor^(n-1)). */
export function exponentialDelay(
  n: number,
  baseMs: number,
  maxDelayMs: number,
  factor: number,
): number {
  // factor^(n-1) overflows to Infinity for large n, which min() turns into the cap (0 × Infinity
  // would be NaN, hence the zero base first).
  if (baseMs === 0) return 0;
  return Math.min(maxDelayMs, baseMs * factor ** (n - 1));
}

/** The delay before retry `n` (>= 1) under `strategy`; `random` returns a number in [0, 1). */
export function backoffDelay(
  strategy: BackoffStrategy,
  n: number,
  previousDelayMs: number,
  random: () => number,
  baseMs: number,
  maxDelayMs: number,
  factor: number,
): number {
  switch (strategy) {
    case 'constant':
      return Math.min(maxDelayMs, baseMs);
    case 'exponential':
      return exponentialDelay(n, baseMs, maxDelayMs, factor);
    case 'full-jitter':
      return random() * exponentialDelay(n, baseMs, maxDelayMs, factor);
    case 'equal-jitter': {
      const full = exponentialDelay(n, baseMs, maxDelayMs, factor);
      const half = full / 2;
      // min(): rounding must not lift the sum above the exponential delay.
      return Math.min(full, half + random() * half);
    }
    case 'decorrelated-jitter': {
      const previous = previousDelayMs > 0 ? previousDelayMs : baseMs;
      const upper = Math.max(baseMs, previous * 3);
      return Math.min(maxDelayMs, baseMs + random() * (upper - baseMs));
    }
  }
}

let defaultBackoff: Backoff | undefined;

const BACKOFF_KEYS: ReadonlySet<string> = new Set(['strategy', 'baseMs', 'maxDelayMs', 'factor']);

/** Check backoff options without building anything; throws naming the option. */
export function checkBackoff(options: BackoffOptions | BackoffFunction | undefined): void {
  if (options === undefined || typeof options === 'function') return;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    typeError('backoff', 'an object or a function', options);
  checkKnownKeys(options, BACKOFF_KEYS, 'backoff', VOCABULARY_RENAMES);
  checkOneOf('backoff.strategy', options.strategy ?? 'full-jitter', STRATEGIES);
  const baseMs = checkNumber('backoff.baseMs', options.baseMs ?? 100, 0, MAX_TIMER_MS);
  // A base above the default cap lifts the default cap with it, so { baseMs: 60_000 } alone works.
  const maxDelayMs = checkNumber(
    'backoff.maxDelayMs',
    options.maxDelayMs ?? Math.max(30_000, baseMs),
    0,
    MAX_TIMER_MS,
  );
  if (maxDelayMs < baseMs) rangeError('backoff.maxDelayMs', `>= baseMs (${baseMs})`, maxDelayMs);
  checkNumber('backoff.factor', options.factor ?? 2, 1, 1_000);
}

/** Resolve and check backoff options (or wrap a custom function). Throws naming the option. */
export function resolveBackoff(options: BackoffOptions | BackoffFunction | undefined): Backoff {
  // The defaults are shared: `retry(fn)` need not build the same object on every call.
  if (options === undefined) {
    if (defaultBackoff === undefined) defaultBackoff = resolveOptions({});
    return defaultBackoff;
  }
  return resolveOptions(options);
}

function resolveOptions(options: BackoffOptions | BackoffFunction): Backoff {
  if (typeof options === 'function') {
    const fn = options;
    return {
      strategy: 'custom',
      baseMs: 0,
      maxDelayMs: MAX_TIMER_MS,
      factor: 1,
      delay(n, previous, random) {
        const d = fn(n, previous, random);
        return typeof d === 'number' && d > 0 ? Math.min(d, MAX_TIMER_MS) : 0;
      },
    };
  }
  checkBackoff(options);
  const strategy = options.strategy ?? 'full-jitter';
  const baseMs = options.baseMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? Math.max(30_000, baseMs);
  const factor = options.factor ?? 2;
  return {
    strategy,
    baseMs,
    maxDelayMs,
    factor,
    delay: (n, previous, random) =>
      backoffDelay(strategy, n, previous, random, baseMs, maxDelayMs, factor),
  };
}
