// Redis stopped mid-run (a server of the test's own, killed and restarted through the harness):
// each onStoreError mode and the insurance limiter answer as documented, nothing surfaces as an
// unhandled rejection, and decisions come from Redis again once it is back. No fixed sleeps:
// the test waits on the client's events and on real state.
import {
  connectToServer,
  crashServer,
  describeRedis,
  FAIL_FAST,
  FakeClock,
  nextEvent,
  ownRedisServer,
  restartServer,
  uniquePrefix,
} from '@bulwark/test-utils';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { fixedWindow, MemoryRateLimiter } from '../src/index.js';
import { RedisRateLimiter, type RedisRateLimiterOptions } from '../src/redis.js';
import type { Decision } from '../src/types.js';

describeRedis('Redis stopped mid-run', () => {
  // What the README recommends: fail at once while disconnected, give up on a command after one
  // reconnect attempt, and reconnect quickly.
  const own = ownRedisServer(FAIL_FAST);
  afterEach(() => {
    expect(own.unhandled).toEqual([]);
  });

  const spec = fixedWindow({ limit: 3, windowMs: 60_000 });
  const make = (options: Partial<RedisRateLimiterOptions> = {}) =>
    new RedisRateLimiter(spec, { redis: own.redis, prefix: uniquePrefix('outage'), ...options });

  it("'fail-open' (the default) admits while Redis is down, then Redis decides again", async () => {
    const limiter = make();
    for (let i = 0; i < 3; i++) await limiter.consume('k');
    expect((await limiter.consume('k')).allowed).toBe(false);
    await own.crash();
    const during = await limiter.consume('k', 2);
    expect(during).toEqual({ allowed: true, limit: 3, remaining: 1, resetMs: 0, retryAfterMs: 0 });
    expect(await limiter.peek('k')).toMatchObject({ allowed: true, remaining: 3 });
    expect(limiter.stats()).toMatchObject({ healthy: false, storeErrors: 2, fallbackDecisions: 2 });
    await own.restart();
    // The restarted server has no data (no persistence): a fresh window.
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, remaining: 2 });
    expect(limiter.stats()).toMatchObject({ healthy: true, storeErrors: 2 });
  });

  it("'fail-closed' rejects for a second at a time while Redis is down", async () => {
    const limiter = make({ onStoreError: 'fail-closed' });
    expect((await limiter.consume('k')).allowed).toBe(true);
    await own.crash();
    expect(await limiter.consume('k')).toEqual({
      allowed: false,
      limit: 3,
      remaining: 0,
      resetMs: 1000,
      retryAfterMs: 1000,
    });
    await own.restart();
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('a function decides with the error and the key; if it throws, fail-open', async () => {
    const calls: [string, string][] = [];
    const limiter = make({
      onStoreError: (error, key) => {
        calls.push([(error as Error).message, key]);
        if (key === 'bad') throw new Error('handler bug');
        return { allowed: false, limit: 3, remaining: 0, resetMs: 5, retryAfterMs: 5 };
      },
    });
    await own.crash();
    expect(await limiter.consume('k')).toMatchObject({ allowed: false, retryAfterMs: 5 });
    expect(await limiter.consume('bad')).toMatchObject({ allowed: true, remaining: 2 });
    expect(calls.map(([, key]) => key)).toEqual(['k', 'bad']);
    expect(calls[0]![0]).toMatch(/writeable|Connection|closed/i);
    await own.restart();
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, remaining: 2 });
    expect(calls).toHaveLength(2);
  });

  it('the insurance limiter answers while Redis is down, and Redis again once back', async () => {
    const clock = new FakeClock(0);
    const insurance = new MemoryRateLimiter(fixedWindow({ limit: 2, windowMs: 60_000 }), {
      clock,
    });
    const limiter = make({ insurance, onStoreError: 'fail-closed' });
    expect((await limiter.consume('k')).allowed).toBe(true);
    await own.crash();
    const during: Decision[] = [];
    for (let i = 0; i < 3; i++) during.push(await limiter.consume('k'));
    expect(during.map((d) => d.allowed)).toEqual([true, true, false]);
    expect(during[2]).toMatchObject({ limit: 2, remaining: 0 });
    expect(limiter.stats()).toMatchObject({ insuranceDecisions: 3, fallbackDecisions: 0 });
    await own.restart();
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, limit: 3, remaining: 2 });
    expect(limiter.stats().insuranceDecisions).toBe(3);
  });

  it('calls in flight when Redis dies resolve (no hang, no rejection)', async () => {
    const limiter = make({ onStoreError: 'fail-closed' });
    await limiter.consume('warm');
    const inFlight = Array.from({ length: 20 }, (_, i) => limiter.consume(`k${i % 4}`));
    await own.server.kill();
    const decisions = await Promise.all(inFlight);
    // Each one was decided by Redis before it died, or fails closed: never a rejection.
    for (const d of decisions) expect(typeof d.allowed).toBe('boolean');
    await own.restart();
    expect((await limiter.consume('k0')).allowed).toBe(true);
  });

  it('with the offline queue on (ioredis default), a call waits for Redis instead of failing', async () => {
    const queued = connectToServer(own.server, { retryStrategy: () => 20 });
    try {
      await nextEvent(queued, 'ready');
      const limiter = new RedisRateLimiter(spec, { redis: queued, prefix: uniquePrefix('q') });
      await crashServer(own.server, queued);
      const pending = limiter.consume('k');
      await restartServer(own.server, queued);
      expect(await pending).toMatchObject({ allowed: true, remaining: 2 });
      expect(limiter.stats().storeErrors).toBe(0);
    } finally {
      queued.disconnect();
    }
  });
});

describeRedis(
  "the README's Redis example: the first call is Redis', not the fallback's",
  ({ standalone }) => {
    const spec = fixedWindow({ limit: 100, windowMs: 60_000 });

    it('with the offline queue off, a call made before `ready` is answered by onStoreError', async () => {
      // What the README's example did before: no wait for the connection.
      const redis = new Redis(standalone.url, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
      });
      redis.on('error', () => {});
      try {
        const limiter = new RedisRateLimiter(spec, { redis, prefix: uniquePrefix('readme') });
        await limiter.consume('user:alice');
        expect(limiter.stats()).toMatchObject({ storeErrors: 1, fallbackDecisions: 1 });
      } finally {
        redis.disconnect();
      }
    });

    it("waiting once for `ready`, as the README now does, gets Redis' own decision", async () => {
      const redis = new Redis(standalone.url, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
      });
      redis.on('error', () => {});
      try {
        // The README's line, verbatim.
        await new Promise((resolve, reject) => redis.once('ready', resolve).once('error', reject));
        const limiter = new RedisRateLimiter(spec, { redis, prefix: uniquePrefix('readme') });
        const d = await limiter.consume('user:alice');
        expect(d).toMatchObject({ allowed: true, remaining: 99 });
        expect(limiter.stats()).toMatchObject({
          roundTrips: 1,
          storeErrors: 0,
          fallbackDecisions: 0,
        });
      } finally {
        await redis.quit();
      }
    });
  },
);
