// Two tiers on Redis against bentocache's two-level mode (memory L1 + Redis L2 + Redis bus), on
// one server. L1 hit: the key is in memory, no round trip. L2 hit: memory misses and Redis has
// the value, one round trip: our L1 holds one entry and the keys cycle over 100, bentocache runs
// its Redis layer alone. The floor is one GET round trip. One op is CALLS awaited gets.
//
// The Redis server: the one the root global setup started when it ran, otherwise one started
// here (and stopped at the end) through the test harness.
import { createRedisCache } from '@bulwark/cache/redis';
import { connectStandalone, RedisServer, redisTargets } from '@bulwark/test-utils';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { Redis } from 'ioredis';
import { afterAll, bench, describe } from 'vitest';

let server: RedisServer | undefined;
let redis: Redis;
if (redisTargets()) {
  redis = connectStandalone();
} else {
  server = await RedisServer.start();
  redis = new Redis({ host: server.host, port: server.port });
}
await redis.ping();
const connection = { host: redis.options.host!, port: redis.options.port! };

const CALLS = 100;
const TTL_MS = 10 * 60_000;
const keys = Array.from({ length: CALLS }, (_, i) => `key:${i}`);
const value = (key: string) => ({ key, payload: 'x'.repeat(32) });
const options = { time: 3_000, warmupTime: 500 };
const run = `${process.pid}-${Date.now()}`;

const l1Hits = createRedisCache<ReturnType<typeof value>>({
  redis,
  prefix: `bench:${run}:l1:`,
  ttlMs: TTL_MS,
});
// One entry of L1 and 100 keys in turn: every get misses memory and finds the value in Redis.
const l2Hits = createRedisCache<ReturnType<typeof value>>({
  redis,
  prefix: `bench:${run}:l2:`,
  ttlMs: TTL_MS,
  max: 1,
  eviction: 'lru',
});
const loader = ({ key }: { key: string }) => value(key);

const bentoTwoLevel = new BentoCache({
  default: 'tiered',
  prefix: `bench:${run}:bento`,
  stores: {
    tiered: bentostore()
      .useL1Layer(memoryDriver({ maxItems: 10_000 }))
      .useL2Layer(redisDriver({ connection: redis }))
      .useBus(redisBusDriver({ connection })),
  },
});
const bentoL2 = new BentoCache({
  default: 'l2',
  prefix: `bench:${run}:bento-l2`,
  stores: { l2: bentostore().useL2Layer(redisDriver({ connection: redis })) },
});

await Promise.all([l1Hits.ready(), l2Hits.ready()]);
for (const key of keys) {
  await l1Hits.get(key, loader);
  await l2Hits.get(key, loader);
  await bentoTwoLevel.getOrSet({ key, factory: () => value(key), ttl: TTL_MS });
  await bentoL2.getOrSet({ key, factory: () => value(key), ttl: TTL_MS });
  await redis.set(`bench:${run}:floor:${key}`, JSON.stringify(value(key)));
}

afterAll(async () => {
  await Promise.all([l1Hits.close(), l2Hits.close()]);
  await Promise.all([bentoTwoLevel.disconnectAll(), bentoL2.disconnectAll()]);
  redis.disconnect();
  await server?.dispose();
});

describe(`two tiers, L1 hit (${CALLS} awaited gets per op)`, () => {
  bench(
    'bulwark createRedisCache get (L1 hit)',
    async () => {
      for (const key of keys) await l1Hits.get(key, loader);
    },
    options,
  );
  bench(
    'bentocache two-level getOrSet (L1 hit)',
    async () => {
      for (const key of keys) await bentoTwoLevel.getOrSet({ key, factory: () => value(key) });
    },
    options,
  );
});

describe(`two tiers, L2 hit: one round trip (${CALLS} awaited gets per op)`, () => {
  bench(
    'floor: one GET round trip',
    async () => {
      for (const key of keys) JSON.parse((await redis.get(`bench:${run}:floor:${key}`))!);
    },
    options,
  );
  bench(
    'bulwark createRedisCache get (L2 hit)',
    async () => {
      for (const key of keys) await l2Hits.get(key, loader);
    },
    options,
  );
  bench(
    'bentocache getOrSet (Redis layer)',
    async () => {
      for (const key of keys) await bentoL2.getOrSet({ key, factory: () => value(key) });
    },
    options,
  );
});
