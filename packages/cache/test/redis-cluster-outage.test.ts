// A Cluster of the test's own loses a master, killed through the harness by pid: every get is
// still answered (memory and the loader), nothing is thrown or left unhandled, the outage shows on
// the store-error channel and in stats(), and once the node is back (same port and nodes.conf,
// empty) the two instances share values through Redis again. Waits poll real state with bounded
// loops (vi.waitFor), never fixed sleeps.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describeRedis, ownRedisCluster, uniquePrefix } from '@bulwark/test-utils';
import { expect, it, vi } from 'vitest';
import { createRedisCache, type RedisCache } from '../src/redis.js';

// Generous: a loaded machine may take long to notice the node gone and back.
const WAIT = { timeout: 30_000, interval: 25 };

describeRedis('a Cluster master is killed mid-run', () => {
  const own = ownRedisCluster(3);

  it('gets are answered throughout, and Redis is shared again once the node is back', async () => {
    const prefix = uniquePrefix('cache-cluster');
    const errors: unknown[] = [];
    const onStoreError = (message: unknown) => errors.push(message);
    subscribe('bulwark:cache:store-error', onStoreError);
    const make = async () =>
      createRedisCache<string>({
        redis: await own.connect(),
        prefix,
        ttlMs: 60_000,
        earlyRefresh: false,
        storeTimeoutMs: 500,
        storeCooldownMs: 50,
      });
    const a: RedisCache<string> = await make();
    const b: RedisCache<string> = await make();
    let loads = 0;
    const loader = ({ key }: { key: string }) => `${key}:${++loads}`;
    try {
      await Promise.all([a.ready(), b.ready()]);
      const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
      for (const key of keys) await a.get(key, loader);
      for (const key of keys) expect(await b.get(key, loader)).toBe(await a.get(key, loader));
      expect(loads).toBe(keys.length);

      await own.cluster.nodes[1]!.kill();
      // The cluster refuses commands with a slot range uncovered: every Redis call fails now.
      await vi.waitFor(async () => {
        await b.get(`probe-${loads}`, loader);
        expect(b.stats().healthy).toBe(false);
      }, WAIT);
      // Every key is still answered, from memory or from the loader.
      for (const key of keys) {
        expect(await a.get(key, loader)).toMatch(new RegExp(`^${key}:`));
        expect(await b.get(key, loader)).toMatch(new RegExp(`^${key}:`));
      }
      expect(b.stats().storeErrors).toBeGreaterThan(0);
      expect(errors.length).toBeGreaterThan(0);

      await own.cluster.nodes[1]!.restart();
      await own.cluster.waitUntilOk();
      // Healthy again once a Redis call succeeds and the subscription is back.
      for (const cache of [a, b])
        await vi.waitFor(async () => {
          await cache.get(`probe-${loads}`, loader);
          expect(cache.stats().healthy).toBe(true);
        }, WAIT);
      // And values travel through Redis again: a's write is b's L2 hit.
      await a.set('after', 'from a');
      await vi.waitFor(async () => {
        expect(await b.get('after', () => 'not from redis')).toBe('from a');
      }, WAIT);
      expect(own.unhandled).toEqual([]);
    } finally {
      unsubscribe('bulwark:cache:store-error', onStoreError);
      await Promise.all([a.close(), b.close()]);
    }
  }, 120_000);
});
