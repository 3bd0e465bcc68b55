// Helpers shared by the Redis suites.
import { type FakeClock, uniquePrefix } from '@bulwark/test-utils';
import { fixedWindow, MemoryRateLimiter } from '../src/index.js';
import { RedisRateLimiter, type RedisRateLimiterOptions } from '../src/redis.js';
import type { AlgorithmSpec, Decision } from '../src/types.js';

/** A synchronous in-memory limiter on the fake clock, for comparing decisions. */
export interface SyncLimiter {
  consume(key: string, cost?: number): Decision;
  peek(key: string): Decision;
  reset(key: string): void;
}

/** The reference the Redis store must match: core's memory store on the fake clock. */
export function memoryLimiter(spec: AlgorithmSpec, clock: FakeClock): SyncLimiter {
  return new MemoryRateLimiter(spec, { clock }) as SyncLimiter;
}

/**
 * What `onStoreError` answers in {@link markingLimiter}, as `resetMs` and `retryAfterMs`: a value
 * Redis never gives, so answers to store failures are told apart from Redis' own.
 */
export const MARK = 4242;

/**
 * A fixed window of 1000 per minute on `redis` (keys under a unique prefix per `label`) whose
 * store failures are answered by a refusal carrying {@link MARK}.
 */
export function markingLimiter(
  redis: RedisRateLimiterOptions['redis'],
  label: string,
): RedisRateLimiter {
  return new RedisRateLimiter(fixedWindow({ limit: 1000, windowMs: 60_000 }), {
    redis,
    prefix: uniquePrefix(label),
    onStoreError: () => ({
      allowed: false,
      limit: 1000,
      remaining: 0,
      resetMs: MARK,
      retryAfterMs: MARK,
    }),
  });
}
