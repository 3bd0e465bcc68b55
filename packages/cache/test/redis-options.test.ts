// Option checks and serializers of the /redis subpath: no server needed (every bad option is
// refused before the cache touches its client).
import { describe, expect, it } from 'vitest';
import { createRedisCache, jsonSerializer, v8Serializer } from '../src/redis.js';

const fakeRedis = {
  evalsha: () => Promise.resolve(),
  eval: () => Promise.resolve(),
  duplicate: () => {
    throw new Error('not reached');
  },
  publish: () => Promise.resolve(0),
};

describe('createRedisCache options', () => {
  const bad: [Record<string, unknown>, ErrorConstructor, string][] = [
    [{}, TypeError, 'redis must be an ioredis Redis or Cluster client, got undefined'],
    [{ redis: {} }, TypeError, 'redis must be an ioredis Redis or Cluster client'],
    [{ redis: fakeRedis, prefix: 'a{b}:' }, TypeError, 'prefix must be a string without braces'],
    [{ redis: fakeRedis, prefix: '' }, TypeError, 'prefix must be a non-empty string'],
    [{ redis: fakeRedis, serializer: 'yaml' }, TypeError, "serializer must be 'json', 'v8' or"],
    [
      { redis: fakeRedis, serializer: { serialize: () => '' } },
      TypeError,
      'serializer.deserialize must be a function',
    ],
    [{ redis: fakeRedis, leaseTtlMs: 0 }, RangeError, 'leaseTtlMs must be a number > 0'],
    [{ redis: fakeRedis, leasePollMs: -1 }, RangeError, 'leasePollMs must be'],
    [{ redis: fakeRedis, storeTimeoutMs: 0 }, RangeError, 'storeTimeoutMs must be'],
    [{ redis: fakeRedis, storeCooldownMs: -1 }, RangeError, 'storeCooldownMs must be'],
    [
      { redis: fakeRedis, storePolicy: {} },
      TypeError,
      'storePolicy must be an object with execute',
    ],
    [
      { redis: fakeRedis, lease: 5 },
      TypeError,
      'unknown option "lease" in createRedisCache(options)',
    ],
    [{ redis: fakeRedis, ttlMs: -1 }, RangeError, 'ttlMs must be a number > 0'],
  ];
  for (const [options, type, message] of bad)
    it(`${Object.keys(options).join(', ') || '{}'} → ${type.name}: ${message}`, () => {
      expect(() => createRedisCache(options as never)).toThrow(type);
      expect(() => createRedisCache(options as never)).toThrow(message);
    });
});

describe('serializers', () => {
  it('json round-trips plain data', () => {
    const value = { a: [1, 'two', null, { b: true }], c: 'ü∑' };
    expect(jsonSerializer.deserialize(jsonSerializer.serialize(value))).toEqual(value);
  });

  it('v8 round-trips Buffers, Dates, Maps, Sets, bigints and cycles, as a string', () => {
    const cyclic: Record<string, unknown> = { when: new Date(0), big: -(2n ** 64n) };
    cyclic.self = cyclic;
    const value = {
      bytes: Buffer.from([0, 255, 10]),
      map: new Map<unknown, unknown>([[1, new Set(['x'])]]),
      cyclic,
    };
    const text = v8Serializer.serialize(value);
    expect(typeof text).toBe('string');
    const back = v8Serializer.deserialize(text) as typeof value;
    expect(Buffer.from(back.bytes as Uint8Array)).toEqual(value.bytes);
    expect(back.map).toEqual(value.map);
    expect((back.cyclic as { self: unknown }).self).toBe(back.cyclic);
    expect(back.cyclic.when).toEqual(new Date(0));
    expect(back.cyclic.big).toBe(-(2n ** 64n));
  });
});
