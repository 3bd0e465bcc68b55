// The hit path in memory: a read-through `get` of a key the cache holds, fresh. The built package
// (`npm run bench` builds first), as users get it. One bench op is HOT sequential awaited gets
// over HOT warm keys, so the harness's own cost per op does not dominate.
import { createCache } from '@bulwark/cache';
import { createCache as createDedupe } from 'async-cache-dedupe';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { createCache as createCacheManager } from 'cache-manager';
import { Cacheable } from 'cacheable';
import { LRUCache } from 'lru-cache';
import { bench, describe } from 'vitest';

const HOT = 1_000;
const keys = Array.from({ length: HOT }, (_, i) => `key:${i}`);
const TTL_MS = 10 * 60_000;
const options = { time: 3_000, warmupTime: 500 };
const value = (key: string) => ({ key, payload: 'x'.repeat(32) });

const ours = createCache<ReturnType<typeof value>>({ ttlMs: TTL_MS, max: 10_000 });
// The same with LRU eviction, lru-cache's policy (W-TinyLFU, the default, also counts every
// access in its frequency sketch).
const oursLru = createCache<ReturnType<typeof value>>({
  ttlMs: TTL_MS,
  max: 10_000,
  eviction: 'lru',
});
const oursLoader = ({ key }: { key: string }) => value(key);

const lru = new LRUCache<string, ReturnType<typeof value>>({
  max: 10_000,
  ttl: TTL_MS,
  fetchMethod: async (key) => value(key),
});

const bento = new BentoCache({
  default: 'memory',
  stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 10_000 })) },
});

const manager = createCacheManager({ ttl: TTL_MS });
const cacheable = new Cacheable({ ttl: TTL_MS });

const dedupe = createDedupe({ ttl: TTL_MS / 1000, storage: { type: 'memory' } }).define(
  'value',
  async (key: string) => value(key),
);

const map = new Map(keys.map((key) => [key, value(key)]));

// Warm every cache once, so each bench op is hits only.
await Promise.all(keys.map((key) => ours.get(key, oursLoader)));
await Promise.all(keys.map((key) => oursLru.get(key, oursLoader)));
await Promise.all(keys.map((key) => lru.fetch(key)));
await Promise.all(
  keys.map((key) => bento.getOrSet({ key, factory: () => value(key), ttl: TTL_MS })),
);
await Promise.all(keys.map((key) => manager.wrap(key, async () => value(key))));
await Promise.all(keys.map((key) => cacheable.getOrSet(key, async () => value(key))));
await Promise.all(keys.map((key) => dedupe.value(key)));

describe(`hit path in memory (${HOT} awaited gets per op)`, () => {
  bench(
    'floor: await Map.get',
    async () => {
      for (const key of keys) await map.get(key);
    },
    options,
  );
  bench(
    'bulwark cache.get',
    async () => {
      for (const key of keys) await ours.get(key, oursLoader);
    },
    options,
  );
  bench(
    'bulwark cache.get (eviction: lru)',
    async () => {
      for (const key of keys) await oursLru.get(key, oursLoader);
    },
    options,
  );
  bench(
    'lru-cache fetch',
    async () => {
      for (const key of keys) await lru.fetch(key);
    },
    options,
  );
  bench(
    'bentocache getOrSet (memory)',
    async () => {
      for (const key of keys) await bento.getOrSet({ key, factory: () => value(key) });
    },
    options,
  );
  bench(
    'cache-manager wrap',
    async () => {
      for (const key of keys) await manager.wrap(key, async () => value(key));
    },
    options,
  );
  bench(
    'cacheable getOrSet',
    async () => {
      for (const key of keys) await cacheable.getOrSet(key, async () => value(key));
    },
    options,
  );
  bench(
    'async-cache-dedupe',
    async () => {
      for (const key of keys) await dedupe.value(key);
    },
    options,
  );
});
