import {
  connectCluster,
  connectStandalone,
  connectToServer,
  crashServer,
  describeRedis,
  FakeClock,
  nextEvent,
  RedisServer,
  restartServer,
  uniquePrefix,
} from '@bulwark/test-utils';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokenCircuitError, type StateChange } from '../src/index.js';
import { RedisCircuitBreaker, type RedisCircuitBreakerOptions } from '../src/redis.js';

const boom = () => Promise.reject(new Error('boom'));
const ok = () => Promise.resolve('ok');
const OPEN_MS = 60_000;

type Client = Redis | import('ioredis').Cluster;

function instance(
  redis: Client,
  prefix: string,
  options: Partial<RedisCircuitBreakerOptions> = {},
) {
  const clock = new FakeClock(5_000);
  const changes: string[] = [];
  const breaker = new RedisCircuitBreaker({
    redis,
    prefix,
    name: 'payments',
    window: { calls: 2 },
    minimumCalls: 2,
    openMs: OPEN_MS,
    syncIntervalMs: 0,
    clock,
    onStateChange: (c: StateChange) => changes.push(`${c.to}:${c.reason}`),
    ...options,
  });
  return { breaker, clock, changes };
}

async function trip(breaker: RedisCircuitBreaker) {
  for (let i = 0; i < 2; i++) await breaker.execute(boom).catch(() => {});
  await breaker.flush();
}

describeRedis('shared state on Redis', () => {
  const clients: Client[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  for (const kind of ['standalone', 'cluster'] as const) {
    describe(kind, () => {
      const connect = (): Client => {
        const client = kind === 'standalone' ? connectStandalone() : connectCluster();
        clients.push(client);
        return client;
      };

      it('an instance that trips opens the circuit of the others, for the remaining time', async () => {
        const prefix = uniquePrefix('cb');
        const a = instance(connect(), prefix);
        const b = instance(connect(), prefix);
        await trip(a.breaker);
        expect(a.breaker.state).toBe('open');
        expect(b.breaker.state).toBe('closed');
        await b.breaker.sync();
        expect(b.breaker.state).toBe('open');
        expect(b.changes).toEqual(['open:remote']);
        const error = await b.breaker.execute(ok).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BrokenCircuitError);
        const { retryAfterMs } = error as BrokenCircuitError;
        expect(retryAfterMs).toBeLessThanOrEqual(OPEN_MS);
        expect(retryAfterMs).toBeGreaterThan(OPEN_MS - 5_000);
        expect(b.breaker.stats().consecutiveOpens).toBe(1);
        expect(b.breaker.stats()).toMatchObject({ healthy: true, version: 1 });
      });

      it('probes that succeed on one instance close the circuit for all', async () => {
        const prefix = uniquePrefix('cb');
        const a = instance(connect(), prefix);
        const b = instance(connect(), prefix);
        await trip(a.breaker);
        await b.breaker.sync();
        b.clock.advance(OPEN_MS);
        await b.breaker.execute(ok); // the probe
        await b.breaker.flush();
        expect(b.breaker.state).toBe('closed');
        await a.breaker.sync();
        expect(a.breaker.state).toBe('closed');
        expect(a.changes).toEqual(['open:failure-rate', 'closed:remote']);
      });

      it('a probe that succeeded after another instance reopened does not close the circuit', async () => {
        const prefix = uniquePrefix('cb');
        const a = instance(connect(), prefix);
        const b = instance(connect(), prefix);
        await trip(a.breaker);
        await b.breaker.sync();
        b.clock.advance(OPEN_MS);
        expect(b.breaker.state).toBe('half-open');
        a.breaker.open(); // reopens the shared circuit while b probes
        await a.breaker.flush();
        await b.breaker.execute(ok);
        await b.breaker.flush();
        expect(b.breaker.state).toBe('open');
        expect(b.changes.at(-1)).toBe('open:remote');
        expect(b.breaker.stats().consecutiveOpens).toBe(2);
      });

      it('shares the growing open time, isolation and a manual close', async () => {
        const prefix = uniquePrefix('cb');
        const a = instance(connect(), prefix, { openMsMultiplier: 2, maxOpenMs: 10 * OPEN_MS });
        const b = instance(connect(), prefix);
        await trip(a.breaker);
        a.breaker.open();
        await a.breaker.flush();
        await b.breaker.sync();
        expect(b.breaker.stats().consecutiveOpens).toBe(2);
        expect(b.breaker.stats().retryAfterMs).toBeGreaterThan(2 * OPEN_MS - 5_000);
        a.breaker.isolate();
        await a.breaker.flush();
        await b.breaker.sync();
        expect(b.breaker.state).toBe('isolated');
        a.breaker.reset();
        await a.breaker.flush();
        await b.breaker.sync();
        expect(b.breaker.state).toBe('closed');
      });

      it('writes an open state back when the record is gone', async () => {
        const prefix = uniquePrefix('cb');
        const redis = connect();
        const a = instance(redis, prefix);
        const b = instance(connect(), prefix);
        await trip(a.breaker);
        await redis.del(`${prefix}{payments}`);
        await a.breaker.sync();
        await a.breaker.flush();
        await b.breaker.sync();
        expect(b.breaker.state).toBe('open');
      });

      it('syncs on its own every syncIntervalMs', async () => {
        const prefix = uniquePrefix('cb');
        const a = instance(connect(), prefix);
        const b = instance(connect(), prefix, { syncIntervalMs: 500 });
        try {
          await trip(a.breaker);
          b.clock.advance(500); // fires the sync timer
          await b.breaker.flush();
          expect(b.breaker.state).toBe('open');
        } finally {
          await b.breaker.close();
        }
        expect(b.clock.pendingTimers).toBe(0);
      });
    });
  }

  it('reloads its scripts after SCRIPT FLUSH (NOSCRIPT)', async () => {
    const redis = connectStandalone();
    clients.push(redis);
    const prefix = uniquePrefix('cb');
    const a = instance(redis, prefix);
    await a.breaker.sync();
    await redis.script('FLUSH');
    await trip(a.breaker);
    expect(a.breaker.stats()).toMatchObject({ healthy: true, storeErrors: 0, version: 1 });
  });
});

describeRedis('Redis dies mid-run', () => {
  async function withServer(
    body: (server: RedisServer, connect: (extra?: object) => Redis) => Promise<void>,
  ) {
    const server = await RedisServer.start();
    const clients: Redis[] = [];
    const connect = (extra = {}) => {
      const client = connectToServer(server, {
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        ...extra,
      });
      clients.push(client);
      return client;
    };
    try {
      await body(server, connect);
    } finally {
      for (const client of clients) client.disconnect();
      await server.dispose();
    }
  }

  it('fail-open: calls keep flowing on the local state; the state is written back when Redis returns', async () => {
    await withServer(async (server, connect) => {
      const redis = connect();
      await nextEvent(redis, 'ready');
      const prefix = uniquePrefix('cb');
      const errors: unknown[] = [];
      const a = instance(redis, prefix, {
        onStoreError: (error) => {
          errors.push(error);
          return 'fail-open';
        },
      });
      await a.breaker.execute(ok);
      await crashServer(server, redis);

      await expect(a.breaker.execute(ok)).resolves.toBe('ok'); // no Redis on the call path
      await trip(a.breaker); // the trip cannot be published
      expect(a.breaker.state).toBe('open');
      expect(a.breaker.stats()).toMatchObject({ healthy: false, storeErrors: 1 });
      expect(errors).toHaveLength(1);
      await a.breaker.sync();
      expect(a.breaker.stats().storeErrors).toBe(2);
      expect(a.breaker.state).toBe('open');

      await restartServer(server, redis); // comes back empty (no persistence)
      await a.breaker.sync();
      await a.breaker.flush();
      expect(a.breaker.stats().healthy).toBe(true);
      const other = connect();
      await nextEvent(other, 'ready');
      const b = instance(other, prefix);
      await b.breaker.sync();
      expect(b.breaker.state).toBe('open');
      expect(b.breaker.stats().retryAfterMs).toBeGreaterThan(OPEN_MS - 5_000);
    });
  });

  it('fail-closed: the instance rejects every call until Redis answers again', async () => {
    await withServer(async (server, connect) => {
      const redis = connect();
      await nextEvent(redis, 'ready');
      const a = instance(redis, uniquePrefix('cb'), { onStoreError: 'fail-closed' });
      await crashServer(server, redis);
      await a.breaker.sync();
      expect(a.breaker.state).toBe('isolated');
      expect(a.changes).toEqual(['isolated:store-error']);
      await expect(a.breaker.execute(ok)).rejects.toMatchObject({ state: 'isolated' });

      await restartServer(server, redis);
      await a.breaker.sync();
      expect(a.breaker.state).toBe('closed');
      await expect(a.breaker.execute(ok)).resolves.toBe('ok');
    });
  });

  it('a store call that hangs is an error after storeTimeoutMs', async () => {
    await withServer(async (server, connect) => {
      // The default ioredis client queues commands while disconnected: they hang, not fail.
      const redis = connect({ maxRetriesPerRequest: null, enableOfflineQueue: true });
      await nextEvent(redis, 'ready');
      const a = instance(redis, uniquePrefix('cb'), {
        storeTimeoutMs: 250,
        onStoreError: 'fail-closed',
      });
      await crashServer(server, redis);
      const syncing = a.breaker.sync();
      a.clock.advance(250);
      await syncing;
      expect(a.breaker.state).toBe('isolated');
      expect(a.breaker.stats()).toMatchObject({ healthy: false, storeErrors: 1 });
    });
  });
});

describe('options of RedisCircuitBreaker', () => {
  const fakeRedis = { eval: () => {}, evalsha: () => {} } as unknown as Redis;
  it.each([
    [{ redis: undefined }, TypeError, /redis must be an ioredis client/],
    [{ redis: {} }, TypeError, /redis must be an ioredis client/],
    [
      { redis: fakeRedis, keyPrefix: 'x' },
      TypeError,
      /unknown option "keyPrefix" in new RedisCircuitBreaker\(options\); use "prefix" instead/,
    ],
    [{ redis: fakeRedis, client: 1 }, TypeError, /unknown option "client"/],
    [{ redis: fakeRedis, syncIntervalMs: -1 }, RangeError, /syncIntervalMs .* got -1/],
    [{ redis: fakeRedis, storeTimeoutMs: Number.NaN }, RangeError, /storeTimeoutMs .* got NaN/],
    [{ redis: fakeRedis, onStoreError: 'maybe' }, TypeError, /onStoreError must be .* got "maybe"/],
    [{ redis: fakeRedis, prefix: 3 }, TypeError, /prefix must be a string, got 3/],
    [
      { redis: fakeRedis, clock: { now: (): number => 0, setTimeout: (): number => 0 } },
      TypeError,
      /clock must be an object with now\(\), setTimeout\(\) and clearTimeout\(\)/,
    ],
    [
      { redis: fakeRedis, clock: { now: (): number => 0, setTimeout: 5, clearTimeout: () => {} } },
      TypeError,
      /clock must be an object with now\(\), setTimeout\(\) and clearTimeout\(\), got .*5/,
    ],
    [
      {
        redis: fakeRedis,
        clock: { now: (): number => 0, setTimeout: (): number => 0, clearTimeout: 'x' },
      },
      TypeError,
      /clock must be an object with now\(\), setTimeout\(\) and clearTimeout\(\), got .*"x"/,
    ],
    [
      { redis: fakeRedis, syncIntervalMs: Number.POSITIVE_INFINITY },
      RangeError,
      /syncIntervalMs .* got Infinity/,
    ],
  ])('rejects %o', (options, type, message) => {
    const make = () => new RedisCircuitBreaker({ syncIntervalMs: 0, ...options } as never);
    expect(make).toThrow(type);
    expect(make).toThrow(message);
  });
});
