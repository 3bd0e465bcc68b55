// What every Bulwark package holds, checked here for this one: unknown option keys are refused
// with the nearest valid name, memory and Redis limiters share one stats() shape, every object
// that can be shut down has close() and Symbol.asyncDispose, errors carry codes.
import { FakeClock } from '@bulwark/test-utils';
import { describe, expect, it } from 'vitest';
import { rateLimit as expressRateLimit } from '../src/express.js';
import { rateLimit as honoRateLimit } from '../src/hono.js';
import { withRateLimit } from '../src/http.js';
import {
  fixedWindow,
  gcra,
  isBulwarkError,
  LeakyBucketShaper,
  leakyBucket,
  MemoryRateLimiter,
  QueueFullError,
  ShaperClosedError,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../src/index.js';
import {
  isBulwarkError as isBulwarkErrorFromRedis,
  QueueFullError as QueueFullErrorFromRedis,
  RedisLeakyBucketShaper,
  RedisRateLimiter,
} from '../src/redis.js';

const fakeRedis = {
  evalsha: () => Promise.resolve([1, 4, 0, 0]),
  eval: () => Promise.reject(new Error('unused')),
} as never;
const spec = fixedWindow({ limit: 5, windowMs: 1000 });
const bucket = leakyBucket({ capacity: 2, leakPerSecond: 1 });

describe('unknown option keys', () => {
  const cases: [string, () => unknown, RegExp | string][] = [
    [
      'tokenBucket',
      () => tokenBucket({ capacity: 1, refillPerSecond: 1, refilPerSecond: 1 } as never),
      'unknown option "refilPerSecond" in tokenBucket(options); did you mean "refillPerSecond"?',
    ],
    [
      'leakyBucket',
      () => leakyBucket({ capacity: 1, leakPerSecond: 1, capacty: 2 } as never),
      'unknown option "capacty" in leakyBucket(options); did you mean "capacity"?',
    ],
    [
      'fixedWindow',
      () => fixedWindow({ limit: 1, windowMs: 1, window: 5 } as never),
      'unknown option "window" in fixedWindow(options); did you mean "windowMs"?',
    ],
    [
      'slidingWindowLog',
      () => slidingWindowLog({ limit: 1, windowMs: 1, ttl: 5 } as never),
      /^unknown option "ttl" in slidingWindowLog\(options\)/,
    ],
    [
      'slidingWindowCounter',
      () => slidingWindowCounter({ limit: 1, windowMs: 1, limt: 5 } as never),
      'unknown option "limt" in slidingWindowCounter(options); did you mean "limit"?',
    ],
    [
      'gcra',
      () => gcra({ limit: 1, periodMs: 1, bursts: 2 } as never),
      'unknown option "bursts" in gcra(options); did you mean "burst"?',
    ],
    [
      'MemoryRateLimiter',
      () => new MemoryRateLimiter(spec, { maxkeys: 5 } as never),
      'unknown option "maxkeys" in new MemoryRateLimiter(spec, options); did you mean "maxKeys"?',
    ],
    [
      'LeakyBucketShaper',
      () => new LeakyBucketShaper(bucket, { maxQueue: 5 } as never),
      /^unknown option "maxQueue" in new LeakyBucketShaper\(spec, options\)/,
    ],
    [
      'LeakyBucketShaper#schedule',
      () => new LeakyBucketShaper(bucket).schedule('k', { costs: 1 } as never),
      'unknown option "costs" in schedule(key, options); did you mean "cost"?',
    ],
    [
      'RedisRateLimiter',
      () => new RedisRateLimiter(spec, { redis: fakeRedis, client: fakeRedis } as never),
      /^unknown option "client" in new RedisRateLimiter\(spec, options\)/,
    ],
    [
      'RedisRateLimiter lease',
      () =>
        new RedisRateLimiter(spec, { redis: fakeRedis, lease: { batch: 2, maxAge: 5 } } as never),
      'unknown option "maxAge" in lease options; did you mean "maxAgeMs"?',
    ],
    [
      'RedisLeakyBucketShaper',
      () => new RedisLeakyBucketShaper(bucket, { redis: fakeRedis, prefx: 'p' } as never),
      'unknown option "prefx" in new RedisLeakyBucketShaper(spec, options); did you mean "prefix"?',
    ],
    [
      'withRateLimit',
      () =>
        withRateLimit(() => {}, {
          limiter: new MemoryRateLimiter(spec),
          skipp: () => false,
        } as never),
      'unknown option "skipp" in withRateLimit(handler, options); did you mean "skip"?',
    ],
    [
      'express rateLimit',
      () => expressRateLimit({ limiter: new MemoryRateLimiter(spec), header: false } as never),
      'unknown option "header" in rateLimit(options); did you mean "headers"?',
    ],
    [
      'hono rateLimit',
      () => honoRateLimit({ limiter: new MemoryRateLimiter(spec), onerror: 'deny' } as never),
      'unknown option "onerror" in rateLimit(options); did you mean "onError"?',
    ],
  ];
  it.each(cases)('%s refuses a misspelt key, naming the nearest valid one', (_, make, message) => {
    expect(make).toThrow(TypeError);
    expect(make).toThrow(message);
  });
});

describe('one stats() shape', () => {
  it('the Redis limiter reports every field of the memory limiter, and the same counts', async () => {
    const clock = new FakeClock(0);
    const memory = new MemoryRateLimiter(fixedWindow({ limit: 1, windowMs: 1000 }), {
      clock,
      name: 'api',
    });
    let calls = 0;
    const redis = {
      evalsha: () => Promise.resolve(++calls === 1 ? [1, 0, 1000, 0] : [0, 0, 1000, 1000]),
      eval: () => Promise.reject(new Error('unused')),
    } as never;
    const shared = new RedisRateLimiter(fixedWindow({ limit: 1, windowMs: 1000 }), {
      redis,
      name: 'api',
    });
    for (let i = 0; i < 3; i++) {
      memory.consume('k');
      await shared.consume('k');
    }
    const mem = memory.stats();
    const red = shared.stats();
    for (const field of Object.keys(mem)) expect(red).toHaveProperty(field);
    expect(mem).toEqual({
      name: 'api',
      allowed: 1,
      rejected: 2,
      keys: 1,
      droppedIdle: 0,
      evicted: 0,
    });
    expect(red).toMatchObject({
      name: 'api',
      allowed: 1,
      rejected: 2,
      storeErrors: 0,
      healthy: true,
    });
  });

  it('counts store failures answered by onStoreError as allowed or rejected', async () => {
    const down = {
      evalsha: () => Promise.reject(new Error('down')),
      eval: () => Promise.reject(new Error('down')),
    } as never;
    const open = new RedisRateLimiter(spec, { redis: down });
    const closed = new RedisRateLimiter(spec, { redis: down, onStoreError: 'fail-closed' });
    await open.consume('k');
    await closed.consume('k');
    await open.peek('k'); // a peek counts nothing
    expect(open.stats()).toMatchObject({ allowed: 1, rejected: 0, storeErrors: 2 });
    expect(closed.stats()).toMatchObject({ allowed: 0, rejected: 1, storeErrors: 1 });
  });
});

describe('shutdown and errors', () => {
  it('every limiter and shaper has close() and Symbol.asyncDispose', async () => {
    const memory = new MemoryRateLimiter(spec);
    memory.consume('k');
    await memory[Symbol.asyncDispose]();
    expect(memory.stats().keys).toBe(0);
    // A lease of 2 units (the reply's fifth element): one spent, one left on this instance.
    const leasing = {
      evalsha: () => Promise.resolve([1, 3, 0, 0, 2]),
      eval: () => Promise.reject(new Error('unused')),
    } as never;
    const redis = new RedisRateLimiter(spec, { redis: leasing, lease: { batch: 2 } });
    await redis.consume('k');
    expect(redis.stats().keys).toBe(1);
    expect(await redis.peek('k')).toMatchObject({ remaining: 4 }); // Redis' 3 and the local 1
    await redis[Symbol.asyncDispose]();
    expect(await redis.peek('k')).toMatchObject({ remaining: 3 }); // the local unit is dropped
    for (const shaper of [
      new LeakyBucketShaper(bucket, { clock: new FakeClock(0) }),
      new RedisLeakyBucketShaper(bucket, { redis: fakeRedis }),
    ]) {
      expect(typeof shaper.close).toBe('function');
      await shaper[Symbol.asyncDispose]();
    }
  });

  it('close() rejects waiters with ShaperClosedError, code BULWARK_RATE_LIMITER_CLOSED', async () => {
    const shaper = new LeakyBucketShaper(bucket, { clock: new FakeClock(0), name: 'upload' });
    await shaper.schedule('k');
    const waiting = shaper.schedule('k');
    shaper.close();
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShaperClosedError);
    expect(error).toMatchObject({ code: 'BULWARK_RATE_LIMITER_CLOSED', shaper: 'upload' });
    expect(isBulwarkError(error, 'BULWARK_RATE_LIMITER_CLOSED')).toBe(true);
  });

  it('a full queue is the kernel QueueFullError, the same class from both entry points', async () => {
    expect(QueueFullErrorFromRedis).toBe(QueueFullError);
    expect(isBulwarkErrorFromRedis).toBe(isBulwarkError);
    const shaper = new LeakyBucketShaper(bucket, { clock: new FakeClock(0), maxWaiting: 1 });
    await shaper.schedule('k');
    const waiting = shaper.schedule('k');
    const error = await shaper.schedule('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect(isBulwarkError(error, 'BULWARK_QUEUE_FULL')).toBe(true);
    expect((error as Error).message).toBe(
      'queue of key "k" is full: 1 callers already waiting (maxWaiting)',
    );
    shaper.close();
    await expect(waiting).rejects.toThrow(ShaperClosedError);
  });
});
