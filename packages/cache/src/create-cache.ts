import { Cache } from './cache.js';
import { type CacheOptions, resolveOptions } from './options.js';

/**
 * A read-through cache in memory (an `@bulwark/lru-lfu` W-TinyLFU by default): single-flight
 * loads, stale-while-revalidate, stale-if-error, negative caching, TTL jitter, XFetch early
 * refresh and loader timeouts. Throws a TypeError or RangeError naming a bad option.
 *
 * @example
 * const cache = createCache<User>({ ttlMs: 60_000, staleWhileRevalidateMs: 10_000 });
 * const user = await cache.get(`user:${id}`, ({ signal }) => db.user(id, { signal }));
 */
export function createCache<V = unknown>(options?: CacheOptions<V>): Cache<V> {
  return new Cache(resolveOptions(options));
}
