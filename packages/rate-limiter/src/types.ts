/**
 * The contract every part of @bulwark/rate-limiter shares: the decision shape, the limiter
 * interface the HTTP adapters depend on, and the algorithm specs that the memory store and the
 * Redis store both execute (with the same arithmetic, so the same calls give the same decisions).
 */

/** The answer to one `consume` or `peek`. */
export interface Decision {
  /** Whether the request is admitted (for `consume`: its cost has been taken). */
  allowed: boolean;
  /** The policy's limit: bucket capacity or requests per window. */
  limit: number;
  /** Whole units still available right after this decision, never below 0. */
  remaining: number;
  /**
   * Milliseconds from now until more quota is available than `remaining` (the window ends, one
   * more token is in, the oldest logged unit leaves): the RateLimit header's `t`. 0 when the quota
   * is full. Never later than `retryAfterMs` on a refusal.
   */
  resetMs: number;
  /** Milliseconds from now until a request of the same cost could be admitted; 0 when allowed. */
  retryAfterMs: number;
}

/** What a limiter advertises about itself, for the IETF `RateLimit-Policy` header. */
export interface RateLimitPolicy {
  /** The policy's name in headers, e.g. `"default"`. */
  readonly name: string;
  /** Quota units per window. */
  readonly limit: number;
  /** The window the quota applies to, in ms. */
  readonly windowMs: number;
}

/**
 * Any limiter, memory or Redis. The memory limiter answers synchronously; the Redis limiter
 * answers with a promise. Callers that accept both `await` the result.
 */
export interface RateLimiter {
  /** What the limiter enforces, for headers. */
  readonly policy: RateLimitPolicy;
  /** Takes `cost` units (default 1) for `key` when available; answers either way. */
  consume(key: string, cost?: number): Decision | Promise<Decision>;
  /** The decision a `consume(key, 1)` would get now, without taking anything. */
  peek(key: string): Decision | Promise<Decision>;
  /** Forgets everything about `key`. */
  reset(key: string): void | Promise<void>;
}

/**
 * The `stats()` fields every limiter reports, memory and Redis alike (the Redis limiter adds its
 * store's counters): one dashboard reads either.
 */
export interface RateLimiterStats {
  /** The limiter's name (its policy name). */
  name: string;
  /** `consume` calls admitted. */
  allowed: number;
  /** `consume` calls refused (over the limit, or refused by a fail-closed store). */
  rejected: number;
  /**
   * Keys whose state this instance holds in process memory: every key in use for the memory
   * limiter; keys with a lease for the Redis limiter (0 outside lease mode).
   */
  keys: number;
  /**
   * Keys dropped because they were idle (their state decides like a fresh key's, so dropping them
   * changes no decision). Always 0 for the Redis limiter, whose keys Redis expires itself.
   */
  droppedIdle: number;
  /**
   * Keys forgotten while they still held usage, because the memory limiter's `maxKeys` was reached
   * (each one's next request is judged as a fresh key's). Always 0 for the Redis limiter, whose
   * keys live in Redis and expire on their own.
   */
  evicted: number;
}

/** Token bucket: holds up to `capacity` tokens, refilled continuously at `refillPerSecond`. */
export interface TokenBucketSpec {
  /** Which algorithm. */
  readonly kind: 'token-bucket';
  /** Most units the bucket holds (integer >= 1). */
  readonly capacity: number;
  /** Tokens added per second (finite, > 0). */
  readonly refillPerSecond: number;
}

/**
 * Leaky bucket: a bucket of `capacity` units draining at `leakPerSecond`. As a meter a request
 * that would overflow it is dropped; as a shaper (`schedule`) it waits for its slot instead.
 */
export interface LeakyBucketSpec {
  /** Which algorithm. */
  readonly kind: 'leaky-bucket';
  /** Most units the bucket holds (integer >= 1). */
  readonly capacity: number;
  /** Units drained per second (finite, > 0). */
  readonly leakPerSecond: number;
}

/**
 * Where a fixed window starts: `'clock'`, aligned windows `[k * windowMs, (k + 1) * windowMs)`
 * shared by every key; `'first-hit'`, a window per key that opens at the key's first admitted
 * request after the previous one ended (how rate-limiter-flexible and express-rate-limit count).
 */
export type WindowAnchor = 'clock' | 'first-hit';

/** Fixed window: at most `limit` units per window of `windowMs` (aligned, or from a first hit). */
export interface FixedWindowSpec {
  /** Which algorithm. */
  readonly kind: 'fixed-window';
  /** Most units per window (GCRA: per `periodMs`); integer >= 1. */
  readonly limit: number;
  /** Window length in ms; integer >= 1. */
  readonly windowMs: number;
  /** Where each window starts; the factory always sets it, absent means `'clock'`. */
  readonly anchor?: WindowAnchor;
}

/** Sliding window log: at most `limit` units in any interval of `windowMs` (exact). */
export interface SlidingWindowLogSpec {
  /** Which algorithm. */
  readonly kind: 'sliding-window-log';
  /** Most units per window (GCRA: per `periodMs`); integer >= 1. */
  readonly limit: number;
  /** Window length in ms; integer >= 1. */
  readonly windowMs: number;
}

/** Sliding window counter: the previous window's count weighted by its overlap, plus this one's. */
export interface SlidingWindowCounterSpec {
  /** Which algorithm. */
  readonly kind: 'sliding-window-counter';
  /** Most units per window (GCRA: per `periodMs`); integer >= 1. */
  readonly limit: number;
  /** Window length in ms; integer >= 1. */
  readonly windowMs: number;
}

/** GCRA: `limit` units per `periodMs` at an even pace, with `burst` extra units of tolerance. */
export interface GcraSpec {
  /** Which algorithm. */
  readonly kind: 'gcra';
  /** Most units per window (GCRA: per `periodMs`); integer >= 1. */
  readonly limit: number;
  /** The period of `limit`, in ms; integer >= 1. */
  readonly periodMs: number;
  /** Extra units of tolerance ahead of the pace; integer >= 0. */
  readonly burst: number;
}

/** One validated algorithm with its parameters; built by the factories in `index`. */
export type AlgorithmSpec =
  | TokenBucketSpec
  | LeakyBucketSpec
  | FixedWindowSpec
  | SlidingWindowLogSpec
  | SlidingWindowCounterSpec
  | GcraSpec;
