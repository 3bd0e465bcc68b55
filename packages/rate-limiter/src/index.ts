// Public API of @bulwark/rate-limiter.

export type { Clock, TimerClock } from '@bulwark/kernel';
export { BulwarkError, isBulwarkError, QueueFullError } from '@bulwark/kernel';
export type {
  Algorithm,
  FixedWindowState,
  GcraState,
  LeakyBucketState,
  SlidingWindowCounterState,
  SlidingWindowLogState,
  TokenBucketState,
} from './algorithms/index.js';
export {
  algorithmFor,
  algorithms,
  fixedWindowAlgorithm,
  gcraAlgorithm,
  leakyBucketAlgorithm,
  slidingWindowCounterAlgorithm,
  slidingWindowLogAlgorithm,
  tokenBucketAlgorithm,
} from './algorithms/index.js';
export type {
  GcraOptions,
  LeakyBucketOptions,
  TokenBucketOptions,
  WindowOptions,
} from './algorithms/specs.js';
export {
  fixedWindow,
  gcra,
  leakyBucket,
  policyOf,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
  validateSpec,
} from './algorithms/specs.js';
export type { EvictEvent, LimitedEvent, QueueFullEvent, StoreErrorEvent } from './channels.js';
export { channels } from './channels.js';
export { ShaperClosedError } from './errors.js';
export type { MemoryRateLimiterOptions, MemoryRateLimiterStats } from './memory/limiter.js';
export { MemoryRateLimiter } from './memory/limiter.js';
export type {
  LeakyBucketShaperOptions,
  LeakyBucketShaperStats,
  ScheduleOptions,
} from './memory/shaper.js';
export { LeakyBucketShaper } from './memory/shaper.js';
export type {
  AlgorithmSpec,
  Decision,
  FixedWindowSpec,
  GcraSpec,
  LeakyBucketSpec,
  RateLimiter,
  RateLimiterStats,
  RateLimitPolicy,
  SlidingWindowCounterSpec,
  SlidingWindowLogSpec,
  TokenBucketSpec,
} from './types.js';
