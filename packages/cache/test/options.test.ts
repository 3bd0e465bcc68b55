import { describe, expect, it } from 'vitest';
import { createCache } from '../src/index.js';

describe('options', () => {
  it('refuses unknown keys, suggesting the nearest', () => {
    expect(() => createCache({ ttl: 5 } as never)).toThrow(
      'unknown option "ttl" in createCache(options); use "ttlMs" instead',
    );
    expect(() => createCache({ earlyRefresh: { bta: 2 } } as never)).toThrow(
      'unknown option "bta" in earlyRefresh; did you mean "beta"?',
    );
  });

  const bad: [Record<string, unknown>, ErrorConstructor, string][] = [
    [{ ttlMs: 0 }, RangeError, 'ttlMs must be a number > 0, got 0'],
    [{ ttlMs: '5' }, TypeError, 'ttlMs must be a number, got "5"'],
    [{ staleWhileRevalidateMs: -1 }, RangeError, 'staleWhileRevalidateMs must be'],
    [{ staleIfErrorMs: Number.NaN }, RangeError, 'staleIfErrorMs must be'],
    [{ negativeTtlMs: -5 }, RangeError, 'negativeTtlMs must be'],
    [{ jitter: 1 }, RangeError, 'jitter must be a number >= 0 and < 1, got 1'],
    [{ jitter: -0.1 }, RangeError, 'jitter must be'],
    [{ earlyRefresh: { beta: 0 } }, RangeError, 'earlyRefresh.beta must be'],
    [{ earlyRefresh: true }, TypeError, 'earlyRefresh must be an object, got true'],
    [{ softTimeoutMs: -1 }, RangeError, 'softTimeoutMs must be'],
    [{ hardTimeoutMs: 2 ** 31 }, RangeError, 'hardTimeoutMs must be'],
    [{ max: 0 }, RangeError, 'max must be an integer between 1 and 1073741824, got 0'],
    [{ max: 1.5 }, RangeError, 'max must be'],
    [{ maxSize: 10 }, TypeError, 'sizeOf must be a function when maxSize is set'],
    [{ sizeOf: () => 1 }, TypeError, 'maxSize must be a number when sizeOf is set'],
    [
      { eviction: 'fifo' },
      RangeError,
      "eviction must be one of 'w-tinylfu', 'lru', 'lfu', got \"fifo\"",
    ],
    [
      { clock: {} },
      TypeError,
      'clock must be an object with now(), setTimeout() and clearTimeout()',
    ],
    [{ random: 4 }, TypeError, 'random must be a function, got 4'],
    [{ name: '' }, TypeError, 'name must be a non-empty string'],
  ];
  for (const [options, type, message] of bad) {
    it(`${JSON.stringify(options)} → ${type.name}`, () => {
      expect(() => createCache(options as never)).toThrow(type);
      expect(() => createCache(options as never)).toThrow(message);
    });
  }

  it('refuses a non-object, and bad per-call arguments', async () => {
    expect(() => createCache(null as never)).toThrow('options must be an object, got null');
    const cache = createCache<string>({ earlyRefresh: false });
    await expect(cache.get('', () => 'v')).rejects.toThrow('key must be a non-empty string');
    await expect(cache.get('k', 'nope' as never)).rejects.toThrow('loader must be a function');
    await expect(cache.set('k', 'v', { ttlMs: -1 })).rejects.toThrow('options.ttlMs must be');
    await expect(cache.delete('')).rejects.toThrow(TypeError);
    await expect(cache.deleteByTag(5 as never)).rejects.toThrow(
      'tag must be a non-empty string, got 5',
    );
    await expect(cache.set('k', 'v', { tags: 'a' as never })).rejects.toThrow(
      'options.tags must be an array of non-empty strings, got "a"',
    );
    expect(() => cache.wrap('f' as never, () => 'k')).toThrow('fn must be a function');
  });

  it('accepts every option at once', () => {
    const cache = createCache<string>({
      name: 'all',
      ttlMs: 1_000,
      staleWhileRevalidateMs: 1_000,
      staleIfErrorMs: 1_000,
      negativeTtlMs: 100,
      jitter: 0.1,
      earlyRefresh: { beta: 2 },
      softTimeoutMs: 100,
      hardTimeoutMs: 1_000,
      max: 10,
      maxSize: 100,
      sizeOf: (v) => v.length,
      eviction: 'lfu',
      random: Math.random,
    });
    expect(cache.stats().name).toBe('all');
  });
});
