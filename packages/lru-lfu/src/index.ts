// Public API of @bulwark/lru-lfu.
export { LFUCache } from './lfu.js';
export { LRUCache } from './lru.js';
export type {
  CacheOptions,
  CacheStats,
  Clock,
  EvictionReason,
  SetOptions,
} from './options.js';
