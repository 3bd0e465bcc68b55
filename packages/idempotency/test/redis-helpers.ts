// Redis test helpers: clients on the shared servers, a store per test with a unique prefix, and
// a way to make time pass for a store's records without sleeping.

import {
  connectCluster,
  connectStandalone,
  type RedisTargets,
  uniquePrefix,
} from '@bulwark/test-utils';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type RedisClient, RedisIdempotencyStore } from '../src/redis.js';
import type { StoreUnderTest } from '../src/testing.js';

// Moves a record back in time by ARGV[1] ms: its lease end and its expiry. A record that would
// have expired keeps only its fencing counter (what a real expiry would reset is tested on its
// own with a real short TTL).
const SHIFT = `
local ms = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'until') == 1 then redis.call('HINCRBY', KEYS[1], 'until', -ms) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  if ttl - ms <= 0 then
    redis.call('HSET', KEYS[1], 'state', 'free')
    redis.call('HDEL', KEYS[1], 'fp', 'until', 'status', 'headers', 'body')
    redis.call('PEXPIRE', KEYS[1], 60000)
  else
    redis.call('PEXPIRE', KEYS[1], ttl - ms)
  end
end
return 1
`;

/** A store under test on `client` whose `elapse` shifts the records it touched. */
export function redisSubject(client: RedisClient, label: string): StoreUnderTest {
  const prefix = uniquePrefix(label);
  const store = new RedisIdempotencyStore({ redis: client, prefix });
  const keys = new Set<string>();
  const claim = store.claim.bind(store);
  store.claim = (key, ...rest) => {
    keys.add(store.redisKey(key));
    return claim(key, ...rest);
  };
  return {
    store,
    async elapse(ms) {
      for (const key of keys) await client.eval(SHIFT, 1, key, ms);
    },
    async close() {
      if (keys.size > 0) for (const key of keys) await client.del(key);
    },
  };
}

/** A standalone and a Cluster client for one test file, opened before and quit after it. */
export function redisClients(): { standalone(): Redis; cluster(): Cluster } {
  let standalone: Redis | undefined;
  let cluster: Cluster | undefined;
  beforeAll(() => {
    standalone = connectStandalone();
    cluster = connectCluster();
  });
  afterAll(async () => {
    await standalone?.quit();
    await cluster?.quit();
  });
  return { standalone: () => standalone as Redis, cluster: () => cluster as Cluster };
}

export type { RedisTargets };
