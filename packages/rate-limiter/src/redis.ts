// @bulwark/rate-limiter/redis: the Redis store (ioredis, standalone or Cluster).

export type { Clock, OnStoreError, TimerClock } from '@bulwark/kernel';
export { BulwarkError, isBulwarkError, QueueFullError } from '@bulwark/kernel';
export type { StoreErrorEvent } from './channels.js';
export { ShaperClosedError } from './errors.js';
export type { ScheduleOptions } from './memory/shaper.js';
export { RedisRateLimiter, storeErrorChannel } from './redis/limiter.js';
export type {
  LeaseOptions,
  RedisClient,
  RedisRateLimiterOptions,
  RedisRateLimiterStats,
  StoreErrorMode,
} from './redis/options.js';
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
