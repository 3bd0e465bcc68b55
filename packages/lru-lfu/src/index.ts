// Public API of @bulwark/lru-lfu.

export type { Clock } from '@bulwark/kernel';
// Every package re-exports these; the caches throw only TypeError and RangeError on bad input.
export { BulwarkError, isBulwarkError } from '@bulwark/kernel';
export { CountMinSketch, hashKey } from './count-min-sketch.js';
export { LFUCache } from './lfu.js';
export { LRUCache } from './lru.js';
export { type MetricsEvent, metricsChannel } from './metrics.js';
export type {
  CacheOptions,
  CacheStats,
  DumpEntry,
  EvictionReason,
  SetOptions,
  WTinyLFUOptions,
} from './options.js';
export { WTinyLFUCache } from './w-tinylfu.js';
