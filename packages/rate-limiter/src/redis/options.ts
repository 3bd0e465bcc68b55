import type { Clock, OnStoreError } from '@bulwark/kernel';
import type { Cluster, Redis } from 'ioredis';
import type { AlgorithmSpec, Decision, RateLimiter, RateLimiterStats } from '../types.js';

/** An ioredis client: `Redis` (standalone) or `Cluster`. */
export type RedisClient = Redis | Cluster;

/**
 * What a decision is when Redis fails (and no insurance limiter answered):
 * - `'fail-open'` (default): admit. `{ allowed: true, remaining: limit - cost, resetMs: 0,
 *   retryAfterMs: 0 }` (for `peek`, `remaining: limit`): the key is treated as having no history.
 * - `'fail-closed'`: reject. `{ allowed: false, remaining: 0, resetMs: 1000, retryAfterMs: 1000 }`:
 *   callers are told to come back in a second, when Redis may answer again.
 * - a function `(error, key) => Decision`, called synchronously; if it throws, `'fail-open'`.
 */
export type StoreErrorMode = OnStoreError<Decision, [key: string]>;

/**
 * Lease mode: take units from Redis in batches and spend them locally; and refuse an exhausted
 * key locally (no round trip) until Redis said more quota would be available.
 */
export interface LeaseOptions {
  /**
   * Units one round trip takes, at most (an integer >= 2). A `consume` that finds no local
   * allowance asks Redis for `max(batch, cost)` units and gets as many as the algorithm has left,
   * or a rejection when fewer than `cost` are left.
   */
  batch: number;
  /**
   * How long (ms) unspent leased units stay usable; after that they are dropped (they were
   * counted in Redis, so dropping them only admits less). Default 1000.
   */
  maxAgeMs?: number;
}

/** Options of {@link RedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /** An ioredis client, `Redis` or `Cluster`. The limiter never closes it. See the README on `enableOfflineQueue`. */
  redis: RedisClient;
  /** The policy's name (headers, diagnostics). Default `'default'`. */
  name?: string;
  /**
   * Prefix of every Redis key; a key's state is the one Redis key `<prefix>{<key>}` (every
   * algorithm, the sliding window log included). Default `'bulwark:rate-limiter:<name>:'`.
   */
  prefix?: string;
  /** What to answer when Redis fails and no insurance limiter answered. Default `'fail-open'`. */
  onStoreError?: StoreErrorMode;
  /**
   * A limiter (usually a `MemoryRateLimiter` with a share of the global limit) that answers
   * instead of Redis for every call Redis fails; `onStoreError` is consulted only if it throws.
   */
  insurance?: RateLimiter;
  /** Lease mode (off by default): see {@link LeaseOptions} and the README's overshoot bound. */
  lease?: LeaseOptions;
  /**
   * For tests only: a clock whose time (floored to whole ms) is sent to the scripts instead of
   * Redis' own `TIME`, so a memory limiter and this one can be driven by the same fake clock; it
   * also times leases. Default: Redis' `TIME` for decisions, the kernel's `systemClock` for leases.
   */
  clock?: Clock;
}

/**
 * A snapshot of a {@link RedisRateLimiter}'s counters: the fields of every limiter's `stats()`
 * (`allowed` and `rejected` count every `consume` answer, whoever gave it) plus the store's.
 */
export interface RedisRateLimiterStats extends RateLimiterStats {
  /** Decisions sent to Redis, one round trip each (a NOSCRIPT reload adds one, not counted). */
  roundTrips: number;
  /** Script calls that failed (connection, timeout, script error). */
  storeErrors: number;
  /** Decisions answered by the insurance limiter. */
  insuranceDecisions: number;
  /** Decisions answered by `onStoreError`. */
  fallbackDecisions: number;
  /** False after a store call failed, until one succeeds. */
  healthy: boolean;
  /**
   * Lease mode: decisions answered without Redis, from local allowance or from the cache of
   * refusals (an exhausted key refused locally until more quota is available).
   */
  localDecisions: number;
}

export type { AlgorithmSpec };
