// The Redis store against real servers (standalone and a 3-node Cluster): key layout, TTLs on
// every key, NOSCRIPT recovery, peek and reset, option validation.
import {
  connectCluster,
  connectStandalone,
  describeRedis,
  uniquePrefix,
} from '@bulwark/test-utils';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  channels,
  fixedWindow,
  gcra,
  leakyBucket,
  MemoryRateLimiter,
  type StoreErrorEvent,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../src/index.js';
import { scriptFor } from '../src/redis/scripts.js';
import { RedisRateLimiter, storeErrorChannel } from '../src/redis.js';
import type { AlgorithmSpec } from '../src/types.js';

const specs: AlgorithmSpec[] = [
  tokenBucket({ capacity: 5, refillPerSecond: 2 }),
  leakyBucket({ capacity: 5, leakPerSecond: 2 }),
  fixedWindow({ limit: 5, windowMs: 60_000 }),
  slidingWindowLog({ limit: 5, windowMs: 60_000 }),
  slidingWindowCounter({ limit: 5, windowMs: 60_000 }),
  gcra({ limit: 5, periodMs: 60_000, burst: 4 }),
];

describe('RedisRateLimiter options', () => {
  const fake = { evalsha: () => Promise.resolve([1, 0, 0, 0, 1]), eval: () => {} } as never;
  const spec = fixedWindow({ limit: 5, windowMs: 1000 });

  it('rejects bad options with the option named', () => {
    expect(() => new RedisRateLimiter(spec, {} as never)).toThrow(
      /redis must be an ioredis client/,
    );
    expect(
      () => new RedisRateLimiter(spec, { redis: fake, onStoreError: 'open' as never }),
    ).toThrow(TypeError);
    expect(() => new RedisRateLimiter(spec, { redis: fake, lease: { batch: 1 } })).toThrow(
      'lease.batch must be an integer >= 2, got 1',
    );
    expect(() => new RedisRateLimiter(spec, { redis: fake, lease: { batch: 6 } })).toThrow(
      'lease.batch must be <= 5 (the limit), got 6',
    );
    expect(
      () => new RedisRateLimiter(spec, { redis: fake, lease: { batch: 2, maxAgeMs: 0 } }),
    ).toThrow(RangeError);
    expect(() => new RedisRateLimiter(spec, { redis: fake, name: '' })).toThrow(/name/);
    expect(() => new RedisRateLimiter({ kind: 'nope' } as never, { redis: fake })).toThrow(
      TypeError,
    );
    expect(() => new RedisRateLimiter(spec, { redis: fake, insurance: {} as never })).toThrow(
      /insurance/,
    );
    expect(() => new RedisRateLimiter(spec, null as never)).toThrow(
      'options must be an object, got null',
    );
    expect(() => new RedisRateLimiter(spec, { redis: fake, prefix: 5 as never })).toThrow(
      'prefix must be a string, got 5',
    );
    expect(() => new RedisRateLimiter(spec, { redis: fake, now: 5 } as never)).toThrow(
      'unknown option "now" in new RedisRateLimiter(spec, options); use "clock" instead',
    );
    expect(() => new RedisRateLimiter(spec, { redis: fake, keyPrefix: 'x' } as never)).toThrow(
      'unknown option "keyPrefix" in new RedisRateLimiter(spec, options); use "prefix" instead',
    );
    expect(() => new RedisRateLimiter(spec, { redis: fake, clock: 5 as never })).toThrow(
      'clock must be an object with now(), got 5',
    );
    expect(() => new RedisRateLimiter(spec, { redis: fake, lease: 10 as never })).toThrow(
      'lease must be an object, got 10',
    );
    expect(
      () => new RedisRateLimiter(spec, { redis: fake, lease: { batch: '2' as never } }),
    ).toThrow('lease.batch must be an integer, got "2"');
    expect(
      () =>
        new RedisRateLimiter(spec, { redis: fake, lease: { batch: 2, maxAgeMs: '9' as never } }),
    ).toThrow(new TypeError('lease.maxAgeMs must be a number, got "9"'));
    // A spec built by hand is validated, as the memory store does.
    const handMade = { kind: 'fixed-window', limit: 0, windowMs: 1000 } as const;
    expect(() => new RedisRateLimiter(handMade, { redis: fake })).toThrow(
      'limit must be an integer >= 1, got 0',
    );
  });

  it('rejects a bad key or cost synchronously, naming it', () => {
    const limiter = new RedisRateLimiter(spec, { redis: fake });
    expect(() => limiter.consume('')).toThrow(TypeError);
    expect(() => limiter.consume('k', 0)).toThrow(/cost must be an integer between 1 and 5/);
    expect(() => limiter.consume('k', 6)).toThrow(RangeError);
    expect(() => limiter.consume('k', 1.5)).toThrow(RangeError);
    expect(() => limiter.peek(undefined as never)).toThrow(/key/);
  });

  it('uses the policy of the spec, and the default prefix names the limiter', () => {
    const limiter = new RedisRateLimiter(spec, { redis: fake, name: 'api' });
    expect(limiter.policy).toEqual({ name: 'api', limit: 5, windowMs: 1000 });
    expect(limiter.prefix).toBe('bulwark:rate-limiter:api:');
    expect(limiter.limit).toBe(5);
    // GCRA: the largest cost is burst + 1, as in memory.
    const paced = gcra({ limit: 100, periodMs: 1000, burst: 9 });
    expect(new RedisRateLimiter(paced, { redis: fake }).limit).toBe(
      new MemoryRateLimiter(paced).limit,
    );
  });

  it('publishes each failed call on channels.storeError (the /redis storeErrorChannel)', async () => {
    expect(storeErrorChannel).toBe(channels.storeError);
    expect(channels.storeError.name).toBe('bulwark:rate-limiter:store-error');
    const down = new Error('down');
    const broken = { evalsha: () => Promise.reject(down), eval: () => Promise.reject(down) };
    const events: StoreErrorEvent[] = [];
    const listen = (message: unknown) => events.push(message as StoreErrorEvent);
    channels.storeError.subscribe(listen);
    try {
      const open = new RedisRateLimiter(spec, { redis: broken as never, name: 'open' });
      const closed = new RedisRateLimiter(spec, {
        redis: broken as never,
        name: 'closed',
        onStoreError: 'fail-closed',
      });
      expect((await open.consume('a')).allowed).toBe(true);
      expect((await closed.consume('b')).allowed).toBe(false);
    } finally {
      channels.storeError.unsubscribe(listen);
    }
    expect(events).toEqual([
      { name: 'open', key: 'a', error: down, answeredBy: 'fail-open' },
      { name: 'closed', key: 'b', error: down, answeredBy: 'fail-closed' },
    ]);
  });
});

describeRedis('RedisRateLimiter on Redis', () => {
  let standalone: Redis;
  let cluster: Cluster;
  beforeAll(async () => {
    standalone = connectStandalone();
    cluster = connectCluster();
    await Promise.all([standalone.ping(), cluster.ping()]);
  });
  afterAll(async () => {
    await Promise.all([standalone.quit(), cluster.quit()]);
  });
  const targets = () =>
    [
      ['standalone', standalone],
      ['cluster', cluster],
    ] as const;

  it('stores each key at <prefix>{<key>}, so a key owns one Cluster slot', async () => {
    const prefix = uniquePrefix('layout');
    const limiter = new RedisRateLimiter(specs[0]!, { redis: cluster, prefix });
    for (const key of ['a', 'b', 'user:42', 'x{y}']) await limiter.consume(key);
    for (const key of ['a', 'b', 'user:42', 'x{y}'])
      expect(await cluster.exists(`${prefix}{${key}}`)).toBe(1);
  });

  for (const spec of specs) {
    it(`${spec.kind}: a first write sets a TTL of the time until the key is idle again`, async () => {
      for (const [, redis] of targets()) {
        const prefix = uniquePrefix('ttl');
        const limiter = new RedisRateLimiter(spec, { redis, prefix });
        const key = `${prefix}{k}`;
        const peeked = await limiter.peek('k');
        expect(peeked.allowed).toBe(true);
        expect(await redis.exists(key)).toBe(0); // a peek writes nothing
        const first = await limiter.consume('k', 2);
        expect(first.allowed).toBe(true);
        const pttl = await redis.pttl(key);
        // Expires when the state decides like a fresh key (+1 ms for the buckets, whose
        // fractional refill is given a ms more to round up to full), measured from the script:
        // 2 units at 2 per second; the window's end; W; until the weighted count is 0 (t is until
        // one more unit fits, 30 s before); the TAT (2 x 12 s).
        const slack = spec.kind === 'token-bucket' || spec.kind === 'leaky-bucket' ? 1 : 0;
        const ttlExpected = {
          'token-bucket': 1000,
          'leaky-bucket': 1000,
          'fixed-window': first.resetMs,
          'sliding-window-log': 60_000,
          'sliding-window-counter': first.resetMs + 30_000,
          gcra: 24_000,
        }[spec.kind];
        expect(pttl).toBeGreaterThan(0);
        expect(pttl).toBeLessThanOrEqual(ttlExpected + slack);
        expect(pttl).toBeGreaterThan(ttlExpected - 1000);
        // Denied calls write nothing, so they neither extend nor create state.
        while ((await limiter.consume('k')).allowed);
        const exhausted = await redis.pttl(key);
        for (let i = 0; i < 3; i++) expect((await limiter.consume('k')).allowed).toBe(false);
        const later = await redis.pttl(key);
        expect(later).toBeGreaterThan(0);
        expect(later).toBeLessThanOrEqual(exhausted);
      }
    });
  }

  it('keys expire: a state whose TTL ran out decides like a fresh key', async () => {
    // The state vanishes when Redis expires it; the next decision is a fresh key's.
    const prefix = uniquePrefix('expire');
    const limiter = new RedisRateLimiter(tokenBucket({ capacity: 3, refillPerSecond: 10 }), {
      redis: standalone,
      prefix,
    });
    await limiter.consume('k', 3);
    const ttl = await standalone.pttl(`${prefix}{k}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(301); // 3 tokens at 10/s, plus the ms of margin
    // Wait on the real state (the key vanishing), not a fixed sleep.
    while ((await standalone.exists(`${prefix}{k}`)) === 1) await standalone.ping();
    expect(await limiter.peek('k')).toMatchObject({ allowed: true, remaining: 2, resetMs: 100 });
  });

  it('every key of a busy run carries a TTL (standalone and every cluster master)', async () => {
    for (const [, redis] of targets()) {
      const prefix = uniquePrefix('allttl');
      for (const spec of specs) {
        const limiter = new RedisRateLimiter(spec, { redis, prefix: `${prefix}${spec.kind}:` });
        for (let i = 0; i < 40; i++) await limiter.consume(`k${i % 7}`, 1 + (i % 2));
      }
      const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
      let seen = 0;
      for (const node of nodes) {
        const keys = await node.keys(`${prefix}*`);
        for (const key of keys) {
          seen++;
          expect(await node.pttl(key), key).toBeGreaterThan(0);
        }
      }
      expect(seen).toBe(6 * 7);
    }
  });

  it('reset deletes the key; peek reports without taking', async () => {
    for (const [, redis] of targets()) {
      const prefix = uniquePrefix('reset');
      const limiter = new RedisRateLimiter(fixedWindow({ limit: 2, windowMs: 60_000 }), {
        redis,
        prefix,
      });
      await limiter.consume('k', 2);
      expect((await limiter.consume('k')).allowed).toBe(false);
      expect((await limiter.peek('k')).allowed).toBe(false);
      await limiter.reset('k');
      expect(await redis.exists(`${prefix}{k}`)).toBe(0);
      const peek = await limiter.peek('k');
      expect(peek).toMatchObject({ allowed: true, remaining: 1, retryAfterMs: 0 });
      expect(await limiter.consume('k')).toMatchObject({ allowed: true, remaining: 1 });
    }
  });

  it('recovers from SCRIPT FLUSH mid-run (NOSCRIPT, then EVAL reloads the script)', async () => {
    for (const [name, redis] of targets()) {
      const prefix = uniquePrefix('noscript');
      const spec = slidingWindowLog({ limit: 100, windowMs: 60_000 });
      const limiter = new RedisRateLimiter(spec, { redis, prefix });
      const keys = Array.from({ length: 12 }, (_, i) => `user-${i}`); // spread over the slots
      for (const key of keys) expect((await limiter.consume(key)).allowed).toBe(true);
      const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
      await Promise.all(nodes.map((node) => node.script('FLUSH')));
      const runner = scriptFor(spec);
      const before = runner.reloads;
      for (const key of keys)
        expect(await limiter.consume(key), name).toMatchObject({ allowed: true, remaining: 98 });
      // One EVAL per node that lost the script; after that EVALSHA works again everywhere.
      expect(runner.reloads - before).toBeGreaterThanOrEqual(1);
      expect(runner.reloads - before).toBeLessThanOrEqual(nodes.length);
      const after = runner.reloads;
      for (const key of keys) await limiter.consume(key);
      expect(runner.reloads).toBe(after);
      expect(limiter.stats()).toMatchObject({ storeErrors: 0, healthy: true });
    }
  });
});
