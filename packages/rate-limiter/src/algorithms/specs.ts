/**
 * The factories that validate an algorithm's parameters and build its frozen spec, and
 * `policyOf`, which turns a spec into the quota a limiter advertises in `RateLimit-Policy`.
 */

import {
  checkInteger,
  checkKnownKeys,
  checkObject,
  checkString,
  describeValue,
  rangeError,
  typeError,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import type {
  AlgorithmSpec,
  FixedWindowSpec,
  GcraSpec,
  LeakyBucketSpec,
  RateLimitPolicy,
  SlidingWindowCounterSpec,
  SlidingWindowLogSpec,
  TokenBucketSpec,
  WindowAnchor,
} from '../types.js';
import { positive } from '../validate.js';

/** Options of {@link tokenBucket}. */
export interface TokenBucketOptions {
  /** Most tokens the bucket holds: the largest burst. Integer >= 1. */
  capacity: number;
  /** Tokens added per second, continuously. Finite number > 0 (fractions allowed). */
  refillPerSecond: number;
}

/** Options of {@link leakyBucket}. */
export interface LeakyBucketOptions {
  /** Most units the bucket holds. Integer >= 1. */
  capacity: number;
  /** Units drained per second, continuously. Finite number > 0 (fractions allowed). */
  leakPerSecond: number;
}

/** Options of {@link fixedWindow}, {@link slidingWindowLog} and {@link slidingWindowCounter}. */
export interface WindowOptions {
  /** Most units per window. Integer >= 1. */
  limit: number;
  /** Window length in ms. Integer >= 1. */
  windowMs: number;
}

/** Options of {@link fixedWindow}. */
export interface FixedWindowOptions extends WindowOptions {
  /**
   * Where a window starts: `'clock'` (default), windows aligned to the clock and shared by every
   * key; `'first-hit'`, a window per key opened by its first admitted request (the count of
   * rate-limiter-flexible and express-rate-limit).
   */
  anchor?: WindowAnchor;
}

/** Options of {@link gcra}. */
export interface GcraOptions {
  /** Units per `periodMs` at an even pace. Integer >= 1. */
  limit: number;
  /** The period in ms. Integer >= 1. */
  periodMs: number;
  /** Extra units admitted ahead of the pace; `burst + 1` pass at once. Integer >= 0, default 0. */
  burst?: number;
}

const TOKEN_BUCKET_KEYS: ReadonlySet<string> = new Set(['capacity', 'refillPerSecond']);
const LEAKY_BUCKET_KEYS: ReadonlySet<string> = new Set(['capacity', 'leakPerSecond']);
const WINDOW_KEYS: ReadonlySet<string> = new Set(['limit', 'windowMs']);
const FIXED_WINDOW_KEYS: ReadonlySet<string> = new Set(['limit', 'windowMs', 'anchor']);
const GCRA_KEYS: ReadonlySet<string> = new Set(['limit', 'periodMs', 'burst']);

// The options object of factory `where`, checked for its type and for unknown keys. A spec built by
// hand and passed through `validateSpec` also has its `kind`, which the factory then ignores.
function optionsOf<T extends object>(where: string, value: unknown, known: ReadonlySet<string>): T {
  const o = checkObject<T>(`${where} options`, value);
  if ('kind' in o) {
    const { kind: _kind, ...rest } = o as T & { kind: unknown };
    checkKnownKeys(rest, known, `${where}(options)`, VOCABULARY_RENAMES);
  } else checkKnownKeys(o, known, `${where}(options)`, VOCABULARY_RENAMES);
  return o;
}

// Keeps every intermediate of the integer algorithms exact in doubles.
const EXACT = Number.MAX_SAFE_INTEGER;

// The HTTP adapters send quotas as Structured Field Integers, which have at most 15 digits
// (RFC 9651), so a limit (GCRA: limit + burst) above this could not be advertised.
const MAX_QUOTA = 999_999_999_999_999;

function quotaLimit(value: unknown): number {
  const limit = checkInteger('limit', value, 1);
  if (limit > MAX_QUOTA)
    rangeError(
      'limit',
      `an integer between 1 and ${MAX_QUOTA} (the largest Structured Field Integer)`,
      limit,
    );
  return limit;
}

// Buckets count in thousandths of a unit, so capacity * 1000 must stay exact.
function capacity(value: unknown): number {
  const c = checkInteger('capacity', value, 1);
  if (c > 2 ** 40) rangeError('capacity', 'an integer <= 2^40', c);
  return c;
}

// A bucket must fill (or drain) within 2^53 ms, so resetMs and retryAfterMs stay finite integers.
function bucketRate(name: string, value: unknown, capacity: number): number {
  const r = positive(name, value);
  if ((capacity * 1000) / r > EXACT)
    throw new RangeError(
      `${name} must be at least capacity * 1000 / (2^53 - 1) = ${(capacity * 1000) / EXACT}, got ${describeValue(r)}`,
    );
  return r;
}

/**
 * A token bucket: up to `capacity` tokens, refilled at `refillPerSecond`; a request takes `cost`
 * tokens when there are enough.
 * @throws TypeError / RangeError naming the bad option.
 */
export function tokenBucket(opts: TokenBucketOptions): TokenBucketSpec {
  const o = optionsOf<TokenBucketOptions>('tokenBucket', opts, TOKEN_BUCKET_KEYS);
  const c = capacity(o.capacity);
  return Object.freeze({
    kind: 'token-bucket',
    capacity: c,
    refillPerSecond: bucketRate('refillPerSecond', o.refillPerSecond, c),
  });
}

/**
 * A leaky bucket of `capacity` units draining at `leakPerSecond`: a meter in
 * `MemoryRateLimiter`, a queue in `LeakyBucketShaper`.
 * @throws TypeError / RangeError naming the bad option.
 */
export function leakyBucket(opts: LeakyBucketOptions): LeakyBucketSpec {
  const o = optionsOf<LeakyBucketOptions>('leakyBucket', opts, LEAKY_BUCKET_KEYS);
  const c = capacity(o.capacity);
  return Object.freeze({
    kind: 'leaky-bucket',
    capacity: c,
    leakPerSecond: bucketRate('leakPerSecond', o.leakPerSecond, c),
  });
}

/**
 * At most `limit` units per window of `windowMs`: aligned to the clock (default), or opened by
 * each key's first hit (`anchor: 'first-hit'`).
 * @throws TypeError / RangeError naming the bad option.
 */
export function fixedWindow(opts: FixedWindowOptions): FixedWindowSpec {
  const o = optionsOf<FixedWindowOptions>('fixedWindow', opts, FIXED_WINDOW_KEYS);
  const anchor = o.anchor ?? 'clock';
  if (anchor !== 'clock' && anchor !== 'first-hit')
    typeError('anchor', "'clock' or 'first-hit'", anchor);
  return Object.freeze({
    kind: 'fixed-window',
    limit: quotaLimit(o.limit),
    windowMs: checkInteger('windowMs', o.windowMs, 1),
    anchor: anchor as WindowAnchor,
  });
}

/**
 * At most `limit` units in any interval of `windowMs` (exact; memory grows with traffic).
 * @throws TypeError / RangeError naming the bad option.
 */
export function slidingWindowLog(opts: WindowOptions): SlidingWindowLogSpec {
  const o = optionsOf<WindowOptions>('slidingWindowLog', opts, WINDOW_KEYS);
  return Object.freeze({
    kind: 'sliding-window-log',
    limit: quotaLimit(o.limit),
    windowMs: checkInteger('windowMs', o.windowMs, 1),
  });
}

/**
 * Current window's count plus the previous window's, weighted by its overlap with the last
 * `windowMs`, at most `limit`. Requires `limit * windowMs <= 2^53 - 1`.
 * @throws TypeError / RangeError naming the bad option.
 */
export function slidingWindowCounter(opts: WindowOptions): SlidingWindowCounterSpec {
  const o = optionsOf<WindowOptions>('slidingWindowCounter', opts, WINDOW_KEYS);
  const limit = quotaLimit(o.limit);
  const windowMs = checkInteger('windowMs', o.windowMs, 1);
  if (limit * windowMs > EXACT)
    throw new RangeError(
      `limit * windowMs must be <= ${EXACT}, got limit ${limit} and windowMs ${windowMs}`,
    );
  return Object.freeze({ kind: 'sliding-window-counter', limit, windowMs });
}

/**
 * GCRA: `limit` units per `periodMs` at an even pace, `burst` units of tolerance ahead of it.
 * @throws TypeError / RangeError naming the bad option.
 */
export function gcra(opts: GcraOptions): GcraSpec {
  const o = optionsOf<GcraOptions>('gcra', opts, GCRA_KEYS);
  const limit = quotaLimit(o.limit);
  const periodMs = checkInteger('periodMs', o.periodMs, 1);
  const burst = checkInteger('burst', o.burst ?? 0, 0);
  if (limit + burst > MAX_QUOTA)
    throw new RangeError(
      `limit + burst must be <= ${MAX_QUOTA} (the largest Structured Field Integer), got limit ${limit} and burst ${burst}`,
    );
  if ((burst + 2) * periodMs * 2 + limit > EXACT)
    throw new RangeError(
      `burst and periodMs are too large together: (burst + 2) * periodMs must be < 2^52, got burst ${burst} and periodMs ${periodMs}`,
    );
  return Object.freeze({ kind: 'gcra', limit, periodMs, burst });
}

/**
 * Checks a spec, including one built by hand rather than by a factory, with the factory of its
 * kind, and returns the factory's frozen result.
 * @throws TypeError / RangeError naming the bad field, as the factories do.
 */
export function validateSpec(spec: AlgorithmSpec): AlgorithmSpec {
  switch (spec?.kind) {
    case 'token-bucket':
      return tokenBucket(spec);
    case 'leaky-bucket':
      return leakyBucket(spec);
    case 'fixed-window':
      return fixedWindow(spec);
    case 'sliding-window-log':
      return slidingWindowLog(spec);
    case 'sliding-window-counter':
      return slidingWindowCounter(spec);
    case 'gcra':
      return gcra(spec);
    default:
      return typeError('spec', 'built by one of the algorithm factories', spec);
  }
}

/**
 * The quota a limiter running `spec` advertises (IETF `RateLimit-Policy`: `q` units per `w`):
 * - token bucket: `capacity` per the time to refill from empty, `ceil(capacity * 1000 / refillPerSecond)`;
 * - leaky bucket: `capacity` per the time to drain when full, `ceil(capacity * 1000 / leakPerSecond)`;
 * - fixed window, sliding log, sliding counter: `limit` per `windowMs`;
 * - GCRA: `limit + burst` per `periodMs` (the most any half-open interval of `periodMs` admits).
 */
export function policyOf(spec: AlgorithmSpec, name = 'default'): RateLimitPolicy {
  checkString('name', name);
  switch (spec?.kind) {
    case 'token-bucket':
      return Object.freeze({
        name,
        limit: spec.capacity,
        windowMs: Math.ceil((spec.capacity * 1000) / spec.refillPerSecond),
      });
    case 'leaky-bucket':
      return Object.freeze({
        name,
        limit: spec.capacity,
        windowMs: Math.ceil((spec.capacity * 1000) / spec.leakPerSecond),
      });
    case 'fixed-window':
    case 'sliding-window-log':
    case 'sliding-window-counter':
      return Object.freeze({ name, limit: spec.limit, windowMs: spec.windowMs });
    case 'gcra':
      return Object.freeze({ name, limit: spec.limit + spec.burst, windowMs: spec.periodMs });
    default:
      return typeError('spec', 'built by one of the algorithm factories', spec);
  }
}
