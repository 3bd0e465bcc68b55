import { describe, expect, it } from 'vitest';
import { LFUCache, LRUCache, WTinyLFUCache } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: bad input on purpose
type Ctor = new (options: any) => unknown;
const caches: [string, Ctor][] = [
  ['LRUCache', LRUCache],
  ['LFUCache', LFUCache],
  ['WTinyLFUCache', WTinyLFUCache],
];

const one = (): number => 1;
const badOptions: [unknown, ErrorConstructor, RegExp][] = [
  [undefined, TypeError, /options must be an object/],
  [{}, TypeError, /capacity must be an integer, got undefined/],
  [{ capacity: '10' }, TypeError, /capacity must be an integer, got "10"/],
  [{ capacity: 0 }, RangeError, /capacity must be an integer >= 1, got 0/],
  [{ capacity: 2 ** 30 + 1 }, RangeError, /capacity must be an integer <= 2\^30, got 1073741825/],
  [{ capacity: 1.5 }, RangeError, /capacity must be an integer .*got 1.5/],
  [{ capacity: 2 ** 31 }, RangeError, /capacity must be an integer/],
  [{ capacity: Number.NaN }, RangeError, /capacity must be an integer .*got NaN/],
  [{ capacity: Number.POSITIVE_INFINITY }, RangeError, /capacity .*got Infinity/],
  [{ capacity: 1, ttlMs: -1 }, RangeError, /ttlMs must be a number > 0, got -1/],
  [{ capacity: 1, maxSize: -1, sizeOf: one }, RangeError, /maxSize must be .*got -1/],
  [{ capacity: 1, maxSize: '5', sizeOf: one }, TypeError, /maxSize must be a number, got "5"/],
  [{ capacity: 1, maxSize: 10, sizeOf: 3 }, TypeError, /sizeOf must be a function .*got 3/],
  [{ capacity: 1, ttlMs: 0 }, RangeError, /ttlMs must be a number > 0, got 0/],
  [{ capacity: 1, ttlMs: Number.NaN }, RangeError, /ttlMs must be a number > 0, got NaN/],
  [{ capacity: 1, ttlMs: '5' }, TypeError, /ttlMs must be a number/],
  [
    { capacity: 1, maxSize: 0, sizeOf: one },
    RangeError,
    /maxSize must be a finite number > 0, got 0/,
  ],
  [{ capacity: 1, maxSize: Number.POSITIVE_INFINITY, sizeOf: one }, RangeError, /maxSize/],
  [{ capacity: 1, maxSize: 10 }, TypeError, /sizeOf must be a function when maxSize is set/],
  [
    { capacity: 1, sizeOf: one },
    TypeError,
    /sizeOf must be used with maxSize or maxEntrySize, got function one/,
  ],
  [{ capacity: 1, onEvict: 'x' }, TypeError, /onEvict must be a function, got "x"/],
  [{ capacity: 1, noUpdateTTL: 1 }, TypeError, /noUpdateTTL must be a boolean, got 1/],
  [{ capacity: 1, updateAgeOnGet: 1 }, TypeError, /updateAgeOnGet must be a boolean, got 1/],
  [{ capacity: 1, updateAgeOnHas: 0 }, TypeError, /updateAgeOnHas must be a boolean, got 0/],
  [
    { capacity: 1, maxSize: 5, maxEntrySize: 6, sizeOf: one },
    RangeError,
    /maxEntrySize must be a finite number > 0 and <= maxSize, got 6/,
  ],
  [{ capacity: 1, maxEntrySize: 0, sizeOf: one }, RangeError, /maxEntrySize must be/],
  [
    { capacity: 1, maxEntrySize: Number.POSITIVE_INFINITY, sizeOf: one },
    RangeError,
    /maxEntrySize/,
  ],
  [{ capacity: 1, maxEntrySize: '1', sizeOf: one }, TypeError, /maxEntrySize must be a number/],
  [
    { capacity: 1, maxEntrySize: 3 },
    TypeError,
    /sizeOf must be a function when maxEntrySize is set/,
  ],
  [{ capacity: 1, allowStale: 'no' }, TypeError, /allowStale must be a boolean, got "no"/],
  [
    { capacity: 1, noDisposeOnSet: 'yes' },
    TypeError,
    /noDisposeOnSet must be a boolean, got "yes"/,
  ],
  [{ capacity: 1, clock: {} }, TypeError, /clock must be an object with now\(\), got {}/],
  [{ capacity: 1, clock: null }, TypeError, /clock must be an object with now\(\), got null/],
  [
    { capacity: 1, ttl: 5 },
    TypeError,
    /^unknown option "ttl" in new \w+\(options\); use "ttlMs" instead$/,
  ],
  [
    { capacity: 1, max: 5 },
    TypeError,
    /^unknown option "max" in new \w+\(options\); use "capacity" instead$/,
  ],
  [
    { capacity: 1, maxSize: 9, sizeCalculation: () => 1 },
    TypeError,
    /^unknown option "sizeCalculation" in new \w+\(options\); use "sizeOf" instead$/,
  ],
  [
    { capacity: 1, dispose: () => {} },
    TypeError,
    /^unknown option "dispose" in new \w+\(options\); use "onEvict" instead$/,
  ],
  [{ capacity: 1, name: '' }, TypeError, /name must be a non-empty string, got ""/],
  [null, TypeError, /options must be an object .*got null/],
];

describe.each(caches)('%s rejects bad options, naming them', (_name, Cache) => {
  it.each(badOptions)('%o', (options, type, message) => {
    expect(() => new Cache(options)).toThrow(type);
    expect(() => new Cache(options)).toThrow(message);
  });

  it('rejects a bad per-entry ttlMs', () => {
    const cache = new Cache({ capacity: 2 }) as { set(k: string, v: number, o: object): void };
    expect(() => cache.set('a', 1, { ttlMs: -5 })).toThrow(/ttlMs must be a number > 0, got -5/);
    expect(() => cache.set('a', 1, { ttlMs: null })).toThrow(TypeError);
    expect(() => cache.set('a', 1, { ttlMs: 0 })).toThrow(/ttlMs must be a number > 0, got 0/);
    expect(() => cache.set('a', 1, { ttl: 5 })).toThrow(
      'unknown option "ttl" in set(key, value, options); use "ttlMs" instead',
    );
    expect(() => cache.set('a', 1, { ttlMs: Number.NaN })).toThrow(RangeError);
    expect(() => cache.set('a', 1, { ttlMs: '5' })).toThrow(/ttlMs must be a number, got "5"/);
  });

  it('rejects a bad per-entry size, and a size on a cache without weights', () => {
    const weighted = new Cache({ capacity: 2, maxSize: 5, sizeOf: () => 1 }) as {
      set(k: string, v: number, o: object): void;
      size: number;
    };
    expect(() => weighted.set('a', 1, { size: -1 })).toThrow(RangeError);
    expect(() => weighted.set('a', 1, { size: -1 })).toThrow(
      /size must be a finite number >= 0, got -1/,
    );
    expect(() => weighted.set('a', 1, { size: '2' })).toThrow(TypeError);
    expect(weighted.size).toBe(0);
    const plain = new Cache({ capacity: 2 }) as { set(k: string, v: number, o: object): void };
    expect(() => plain.set('a', 1, { size: 2 })).toThrow(
      /size must be used with maxSize or maxEntrySize, got 2/,
    );
  });

  it('rejects a bad weight from sizeOf: TypeError for a non-number, RangeError for a bad number', () => {
    const cache = new Cache({ capacity: 2, maxSize: 5, sizeOf: (v: unknown) => v }) as {
      set(k: string, v: unknown): void;
      size: number;
    };
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => cache.set('a', bad)).toThrow(RangeError);
      expect(() => cache.set('a', bad)).toThrow(
        /sizeOf\(value, key\) must be a finite number >= 0/,
      );
    }
    for (const bad of ['3', undefined, null, 1n]) {
      expect(() => cache.set('a', bad)).toThrow(TypeError);
      expect(() => cache.set('a', bad)).toThrow(
        /sizeOf\(value, key\) must be a finite number >= 0, got /,
      );
    }
    expect(cache.size).toBe(0);
  });
});

describe('WTinyLFUCache options', () => {
  it('takes adaptive and doorkeeper as booleans, naming them when bad', () => {
    expect(
      () => new WTinyLFUCache({ capacity: 1, adaptive: false, doorkeeper: true }),
    ).not.toThrow();
    // biome-ignore lint/suspicious/noExplicitAny: bad input on purpose
    const bad = (o: any) => () => new WTinyLFUCache(o);
    expect(bad({ capacity: 1, adaptive: 'no' })).toThrow(/adaptive must be a boolean, got "no"/);
    expect(bad({ capacity: 1, doorkeeper: 1 })).toThrow(/doorkeeper must be a boolean, got 1/);
    expect(bad({ capacity: 1, doorkeeper: 1 })).toThrow(TypeError);
  });

  it('the other classes refuse them as unknown keys', () => {
    // biome-ignore lint/suspicious/noExplicitAny: bad input on purpose
    expect(() => new LRUCache({ capacity: 1, adaptive: true } as any)).toThrow(
      /unknown option "adaptive" in new LRUCache\(options\)/,
    );
    // biome-ignore lint/suspicious/noExplicitAny: bad input on purpose
    expect(() => new LFUCache({ capacity: 1, doorkeeper: true } as any)).toThrow(TypeError);
  });
});
