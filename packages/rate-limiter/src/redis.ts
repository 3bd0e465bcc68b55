// @bulwark/rate-limiter/redis: the Redis store (ioredis, standalone or Cluster).

export type { StoreErrorEvent } from './channels.js';
export {
  QueueFullError,
  type ScheduleOptions,
  ShaperClosedError,
  type TimerClock,
} from './memory/shaper.js';
export { RedisRateLimiter, storeErrorChannel } from './redis/limiter.js';
export type {
  LeaseOptions,
  RedisRateLimiterOptions,
  RedisRateLimiterStats,
  StoreErrorMode,
} from './redis/options.js';
export type { RedisClient } from './redis/runner.js';
export {
  RedisLeakyBucketShaper,
  type RedisLeakyBucketShaperOptions,
  type RedisLeakyBucketShaperStats,
} from './redis/shaper.js';
export type {
  AlgorithmSpec,
  Decision,
  LeakyBucketSpec,
  RateLimiter,
  RateLimitPolicy,
} from './types.js';
