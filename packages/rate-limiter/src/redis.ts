// @bulwark/rate-limiter/redis: the Redis store (ioredis, standalone or Cluster).

export { QueueFullError, type ScheduleOptions } from './memory/shaper.js';
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
export type { Decision, RateLimiter, RateLimitPolicy } from './types.js';
