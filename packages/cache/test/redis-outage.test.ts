// Redis stopped mid-run (a server of the test's own, killed and restarted through the harness):
// L1 and the loader keep serving, nothing surfaces as a rejection or an unhandled rejection, the
// failure is reported on bulwark:cache:store-error, and Redis is used again once it is back.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { CircuitBreaker } from '@bulwark/circuit-breaker';
import { describeRedis, ownRedisServer, uniquePrefix } from '@bulwark/test-utils';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { createRedisCache, type RedisCache, type RedisCacheOptions } from '../src/redis.js';
import { eventually, gatedLoader } from './redis-helpers.js';

describeRedis('Redis stopped mid-run', () => {
  // Fail at once while disconnected and reconnect quickly (the default options).
  const own = ownRedisServer();
  let cache: RedisCache<string> | undefined;
  const storeErrors: unknown[] = [];
  const onStoreError = (message: unknown) => storeErrors.push(message);

  beforeAll(() => {
    subscribe('bulwark:cache:store-error', onStoreError);
  });
  afterAll(() => {
    unsubscribe('bulwark:cache:store-error', onStoreError);
  });
  beforeEach(() => {
    storeErrors.length = 0;
  });
  afterEach(async () => {
    await cache?.close();
    cache = undefined;
    expect(own.unhandled).toEqual([]);
  });

  let prefix = '';
  const make = (options: Partial<RedisCacheOptions<string>> = {}) => {
    prefix = uniquePrefix('outage');
    cache = createRedisCache<string>({
      redis: own.redis,
      prefix,
      ttlMs: 60_000,
      earlyRefresh: false,
      storeTimeoutMs: 500,
      storeCooldownMs: 50,
      ...options,
    });
    return cache;
  };

  it('keeps serving from L1 and the loader, reports the failure, and uses Redis again after a restart', async () => {
    const c = make();
    await c.ready();
    const { loader, state } = gatedLoader();
    expect(await c.get('before', loader)).toBe('value-1');
    expect(c.stats().healthy).toBe(true);

    await own.crash();
    // The subscription is gone: L1 is cleared, since invalidations can no longer be heard.
    await eventually(() => !c.stats().healthy);
    expect(c.peek('before')).toBeUndefined();
    // Misses go to the loader, once, and then L1 serves them while Redis is still down.
    expect(await c.get('before', loader)).toBe('value-2');
    expect(await c.get('during', loader)).toBe('value-3');
    expect(await c.get('during', loader)).toBe('value-3');
    expect(await c.get('before', loader)).toBe('value-2');
    expect(state.calls).toBe(3);
    expect(c.stats().storeErrors).toBeGreaterThan(0);
    expect(storeErrors.length).toBeGreaterThan(0);
    expect(storeErrors[0]).toMatchObject({ name: 'default' });
    expect(Object.keys(storeErrors[0] as object)[0]).toBe('name');

    await own.restart();
    // Healthy again once the subscription is back and a Redis call succeeds (after the cooldown).
    await eventually(async () => {
      await c.get(`probe-${Date.now()}`, () => 'probe');
      return c.stats().healthy;
    });
    await c.set('after', 'in redis again');
    expect(await own.redis.get(`${prefix}{after}`)).toMatch(/\n"in redis again"$/);
  });

  it('a store policy passed in (a circuit breaker) decides when Redis is asked again', async () => {
    const breaker = new CircuitBreaker({
      name: 'redis',
      window: { calls: 2 },
      minimumCalls: 2,
      failureRateThreshold: 0.5,
      openMs: 60_000,
    });
    const c = make({ storePolicy: breaker });
    await c.ready();
    await own.crash();
    const { loader } = gatedLoader();
    for (let i = 0; i < 5; i++) expect(await c.get(`k${i}`, loader)).toBe(`value-${i + 1}`);
    expect(breaker.state).toBe('open');
    // Refused by the open breaker: counted as store errors, still nothing thrown to callers.
    expect(c.stats().storeErrors).toBeGreaterThanOrEqual(5);
  });

  it('a get while Redis is down never rejects because of Redis, also with no offline queue timeout', async () => {
    await own.crash();
    const c = make();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => c.get(`k${i % 4}`, () => `v${i % 4}`)),
    );
    expect(new Set(results)).toEqual(new Set(['v0', 'v1', 'v2', 'v3']));
    expect(c.stats().loads).toBe(4);
  });
});
