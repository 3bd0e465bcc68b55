// @bulwark/cache/redis: two tiers (memory L1 + Redis L2) and one loader per key across processes.
import {
  checkFunction,
  checkMs,
  checkObject,
  checkString,
  MAX_TIMER_MS,
  typeError,
} from '@bulwark/kernel';
import type { Cluster, Redis } from 'ioredis';
import { Cache, type CacheStats } from './cache.js';
import { CACHE_OPTION_KEYS, type CacheOptions, resolveOptions } from './options.js';
import { RedisTier } from './redis/redis-tier.js';
import { jsonSerializer, type Serializer, v8Serializer } from './redis/serializer.js';
import type { StorePolicy } from './redis/store-guard.js';

export { jsonSerializer, type Serializer, v8Serializer } from './redis/serializer.js';
export { type StorePolicy, StoreTimeoutError } from './redis/store-guard.js';

/** Options of {@link createRedisCache}: those of `createCache` plus the Redis tier's. */
export interface RedisCacheOptions<V = unknown> extends CacheOptions<V> {
  /** An ioredis client, `Redis` (standalone) or `Cluster`. The cache never closes it. */
  redis: Redis | Cluster;
  /**
   * Prefix of every Redis key and of the invalidation channel; caches sharing Redis need
   * different ones. No braces (the key's hash tag follows it). Default `'bulwark:cache:<name>:'`.
   */
  prefix?: string;
  /** How values travel: `'json'` (default), `'v8'` (Buffers, Dates, Maps, ...), or your own. */
  serializer?: 'json' | 'v8' | Serializer<V>;
  /**
   * How long the loader's lease lasts, in ms; renewed every third of it while the loader runs.
   * A loader that dies is taken over at most this long after. Default 10,000.
   */
  leaseTtlMs?: number;
  /**
   * While another process loads a key, how often to look again if its message does not come
   * (pub/sub is the fast path, this the fallback). Default 100.
   */
  leasePollMs?: number;
  /** A Redis call that does not answer within this many ms counts as failed. Default 1,000. */
  storeTimeoutMs?: number;
  /** After a failed Redis call, stop asking Redis for this many ms (built-in cooldown). Default 5,000. */
  storeCooldownMs?: number;
  /**
   * Instead of the cooldown, run every Redis call through this policy (anything with
   * `execute(fn, { signal })`, such as a `@bulwark/circuit-breaker` breaker): its refusals and
   * failures count as store errors, and the cache serves from memory and the loader meanwhile.
   */
  storePolicy?: StorePolicy;
}

/** `stats()` of a two-tier cache: those of the memory one plus the store's health. */
export interface RedisCacheStats extends CacheStats {
  /** Redis calls that failed, timed out or were refused by `storePolicy`. */
  storeErrors: number;
  /** False after a Redis call failed (until one succeeds) and while the invalidation subscription is down. */
  healthy: boolean;
}

const KNOWN = new Set([
  ...CACHE_OPTION_KEYS,
  'redis',
  'prefix',
  'serializer',
  'leaseTtlMs',
  'leasePollMs',
  'storeTimeoutMs',
  'storeCooldownMs',
  'storePolicy',
]);

/**
 * A cache in two tiers: memory (L1) in front of Redis (L2), with one loader per key across every
 * process sharing the prefix (a Redis lease with a fencing token), L1 invalidation over pub/sub,
 * and Redis failures absorbed: `get` keeps answering from memory and the loader.
 */
export class RedisCache<V = unknown> extends Cache<V> {
  readonly #tier: RedisTier<V>;

  /** @internal Use {@link createRedisCache}. */
  constructor(options: RedisCacheOptions<V>) {
    const resolved = resolveOptions<V>(options, KNOWN, 'createRedisCache(options)');
    const redis = checkRedis(options.redis);
    const prefix = checkString('prefix', options.prefix ?? `bulwark:cache:${resolved.name}:`);
    if (/[{}]/.test(prefix)) typeError('prefix', 'a string without braces', prefix);
    const tierOptions = {
      name: resolved.name,
      redis,
      prefix,
      serializer: checkSerializer<V>(options.serializer),
      leaseTtlMs: checkMs('leaseTtlMs', options.leaseTtlMs ?? 10_000, true, MAX_TIMER_MS),
      leasePollMs: checkMs('leasePollMs', options.leasePollMs ?? 100, true, MAX_TIMER_MS),
      storeTimeoutMs: checkMs(
        'storeTimeoutMs',
        options.storeTimeoutMs ?? 1_000,
        true,
        MAX_TIMER_MS,
      ),
      storeCooldownMs: checkMs('storeCooldownMs', options.storeCooldownMs ?? 5_000),
      storePolicy: checkPolicy(options.storePolicy),
      clock: resolved.clock,
      windows: resolved,
    };
    let tier: RedisTier<V> | undefined;
    super(resolved, (local) => {
      tier = new RedisTier(tierOptions, local);
      return tier;
    });
    this.#tier = tier!;
  }

  /**
   * Resolves once the invalidation subscription is live for the first time (so other instances'
   * writes evict from this L1). `get` works before; this is for tests and orderly start-up.
   * While Redis is unreachable it does not resolve: race it with a timeout if you await it.
   */
  ready(): Promise<void> {
    return this.#tier.started();
  }

  /** The counters of both tiers and the store's health. */
  override stats(): RedisCacheStats {
    const tier = this.#tier.stats();
    return { ...super.stats(), storeErrors: tier.storeErrors, healthy: tier.healthy };
  }
}

/**
 * A two-tier cache on Redis (see {@link RedisCache}). Throws a TypeError or RangeError naming a
 * bad option.
 *
 * @example
 * const cache = createRedisCache<User>({ redis: new Redis(), ttlMs: 60_000 });
 * const user = await cache.get(`user:${id}`, ({ signal }) => db.user(id, { signal }));
 */
export function createRedisCache<V = unknown>(options: RedisCacheOptions<V>): RedisCache<V> {
  return new RedisCache(options);
}

function checkRedis(value: unknown): Redis | Cluster {
  const redis = value as Partial<Redis> | undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof redis?.evalsha !== 'function' ||
    typeof redis.eval !== 'function' ||
    typeof redis.duplicate !== 'function' ||
    typeof redis.publish !== 'function'
  )
    typeError('redis', 'an ioredis Redis or Cluster client', value);
  return value as Redis | Cluster;
}

function checkSerializer<V>(value: unknown): Serializer<V> {
  if (value === undefined || value === 'json') return jsonSerializer as Serializer<V>;
  if (value === 'v8') return v8Serializer as Serializer<V>;
  if (typeof value === 'string')
    typeError('serializer', "'json', 'v8' or { serialize, deserialize }", value);
  const serializer = checkObject<Partial<Serializer<V>>>('serializer', value);
  checkFunction('serializer.serialize', serializer.serialize);
  checkFunction('serializer.deserialize', serializer.deserialize);
  return serializer as Serializer<V>;
}

function checkPolicy(value: unknown): StorePolicy | undefined {
  if (value === undefined) return undefined;
  const policy = value as Partial<StorePolicy> | null;
  if (typeof value !== 'object' || policy === null || typeof policy.execute !== 'function')
    typeError('storePolicy', 'an object with execute(fn, { signal })', value);
  return value as StorePolicy;
}

export type { CacheStats } from './cache.js';
export { Cache } from './cache.js';
