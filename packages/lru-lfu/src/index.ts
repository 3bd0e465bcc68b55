// Public API of @bulwark/lru-lfu.
export { CountMinSketch, hashKey } from './count-min-sketch.js';
export { LFUCache } from './lfu.js';
export { LRUCache } from './lru.js';
export type {
  CacheOptions,
  CacheStats,
  Clock,
  EvictionReason,
  SetOptions,
} from './options.js';
export { WTinyLFUCache } from './w-tinylfu.js';
