// Behaviour the three caches share, run against each.
import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CacheOptions,
  type EvictionReason,
  LFUCache,
  LRUCache,
  WTinyLFUCache,
} from '../src/index.js';

type Make = <K, V>(
  options: CacheOptions<K, V>,
) => LRUCache<K, V> | LFUCache<K, V> | WTinyLFUCache<K, V>;
const makers: [string, Make][] = [
  ['LRUCache', (o) => new LRUCache(o)],
  ['LFUCache', (o) => new LFUCache(o)],
  ['WTinyLFUCache', (o) => new WTinyLFUCache(o)],
];

describe.each(makers)('%s', (_name, make) => {
  it('stores and replaces values; size, has, peek, delete', () => {
    const cache = make<string, number>({ capacity: 3 });
    cache.set('a', 1).set('b', 2);
    cache.set('a', 10);
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBe(10);
    expect(cache.peek('b')).toBe(2);
    expect(cache.has('c')).toBe(false);
    expect(cache.delete('b')).toBe(true);
    expect(cache.delete('b')).toBe(false);
    expect([...cache.keys()]).toEqual(['a']);
  });

  it('never holds more than capacity', () => {
    const cache = make<number, number>({ capacity: 50 });
    for (let k = 0; k < 1000; k++) {
      cache.set(k % 173, k);
      cache.get((k * 7) % 211);
      expect(cache.size).toBeLessThanOrEqual(50);
    }
    expect([...cache.entries()].length).toBe(cache.size);
    expect(cache.stats().evictions).toBeGreaterThan(0);
  });

  it('takes objects, symbols and mixed keys, compared as a Map does', () => {
    const cache = make<unknown, string>({ capacity: 10 });
    const obj = {};
    const sym = Symbol('s');
    cache.set(obj, 'obj').set(sym, 'sym').set(Number.NaN, 'nan').set(-0, 'zero').set('1', 'str');
    cache.set(1, 'num');
    expect(cache.get(obj)).toBe('obj');
    expect(cache.get({})).toBeUndefined();
    expect(cache.get(sym)).toBe('sym');
    expect(cache.get(Number.NaN)).toBe('nan');
    expect(cache.get(0)).toBe('zero');
    expect(cache.get('1')).toBe('str');
    expect(cache.get(1)).toBe('num');
  });

  it('reports every removal to onEvict with its reason, and counts it', () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const cache = make<string, number>({
      capacity: 2,
      clock,
      onEvict: (v, k, reason: EvictionReason) => events.push(`${k}=${v}:${reason}`),
    });
    cache.set('a', 1).set('a', 1).set('a', 2); // the identical value is not reported
    cache.delete('a');
    cache.set('b', 1, { ttlMs: 10 });
    clock.advance(10);
    expect(cache.get('b')).toBeUndefined();
    cache.set('c', 1).set('d', 1).set('e', 1);
    expect(cache.size).toBe(2);
    cache.clear();
    expect(events.slice(0, 3)).toEqual(['a=1:set', 'a=2:delete', 'b=1:expire']);
    expect(events.filter((e) => e.endsWith(':evict'))).toHaveLength(1);
    expect(events.filter((e) => e.endsWith(':delete'))).toHaveLength(3);
    expect(cache.stats()).toMatchObject({ evictions: 1, expirations: 1, misses: 1, size: 0 });
  });

  it('iterates with keys, values, entries, Symbol.iterator and forEach alike', () => {
    const cache = make<string, number>({ capacity: 5 });
    for (const [k, v] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ] as const)
      cache.set(k, v);
    cache.get('b');
    const entries = [...cache.entries()];
    expect([...cache]).toEqual(entries);
    expect([...cache.keys()]).toEqual(entries.map(([k]) => k));
    expect([...cache.values()]).toEqual(entries.map(([, v]) => v));
    const seen: [string, number][] = [];
    cache.forEach((v, k, self) => {
      expect(self).toBe(cache);
      seen.push([k, v]);
    });
    expect(seen).toEqual(entries);
    expect(new Set(entries.map(([k]) => k))).toEqual(new Set(['a', 'b', 'c']));
  });

  it('skips expired entries in iteration and purges them', () => {
    const clock = new FakeClock();
    const cache = make<string, number>({ capacity: 5, ttlMs: 100, clock });
    cache.set('old', 1);
    clock.advance(60);
    cache.set('new', 2);
    clock.advance(40);
    expect([...cache.keys()]).toEqual(['new']);
    expect(cache.size).toBe(2);
    expect(cache.prune()).toBe(1);
    expect(cache.size).toBe(1);
    expect(cache.stats().expirations).toBe(1);
  });

  it('bounds the total weight with maxSize and sizeOf', () => {
    const cache = make<string, string>({ capacity: 100, maxSize: 20, sizeOf: (v) => v.length });
    for (let i = 0; i < 30; i++) {
      cache.set(`k${i}`, 'x'.repeat(1 + (i % 7)));
      expect(cache.totalSize).toBeLessThanOrEqual(20);
      expect(cache.get(`k${i}`)).toBe('x'.repeat(1 + (i % 7)));
    }
    const sum = [...cache.values()].reduce((n, v) => n + v.length, 0);
    expect(cache.totalSize).toBe(sum);
  });

  it('peek, has and delete remove an expired entry they find (reason expire)', () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const cache = make<string, number>({
      capacity: 5,
      ttlMs: 10,
      clock,
      onEvict: (_v, k, reason) => events.push(`${k}:${reason}`),
    });
    cache.set('a', 1).set('b', 2).set('c', 3);
    clock.advance(10);
    expect(cache.size).toBe(3); // expired, not yet found
    expect(cache.peek('a')).toBeUndefined();
    expect(cache.has('b')).toBe(false);
    expect(cache.delete('c')).toBe(false); // nothing live was deleted
    expect(events).toEqual(['a:expire', 'b:expire', 'c:expire']);
    expect(cache.size).toBe(0);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0, expirations: 3 });
  });

  it('getRemainingTTL: ms left, Infinity without a TTL, 0 when absent or expired; reads only', () => {
    const clock = new FakeClock();
    const cache = make<string, number>({ capacity: 5, ttlMs: 10, clock });
    const plain = make<string, number>({ capacity: 5, clock });
    plain.set('a', 1);
    expect(plain.getRemainingTTL('a')).toBe(Number.POSITIVE_INFINITY);
    expect(plain.getRemainingTTL('missing')).toBe(0);
    cache.set('a', 1).set('b', 2, { ttlMs: Number.POSITIVE_INFINITY }).set('c', 3, { ttlMs: 30 });
    clock.advance(4);
    expect(cache.getRemainingTTL('a')).toBe(6);
    expect(cache.getRemainingTTL('b')).toBe(Number.POSITIVE_INFINITY);
    expect(cache.getRemainingTTL('c')).toBe(26);
    clock.advance(6);
    expect(cache.getRemainingTTL('a')).toBe(0); // expired, still held until found
    expect(cache.size).toBe(3);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0, expirations: 0 });
  });

  it('a per-entry ttlMs of Infinity outlives the cache TTL', () => {
    const clock = new FakeClock();
    const cache = make<string, number>({ capacity: 5, ttlMs: 10, clock });
    cache.set('forever', 1, { ttlMs: Number.POSITIVE_INFINITY }).set('short', 2);
    clock.advance(1e9);
    expect([...cache.keys()]).toEqual(['forever']);
    expect(cache.get('forever')).toBe(1);
    expect(cache.get('short')).toBeUndefined();
    cache.set('forever', 3); // a set without ttlMs takes the cache TTL again
    clock.advance(10);
    expect(cache.get('forever')).toBeUndefined();
  });

  it('a set over an expired, not yet found entry reports the old value as set', () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const cache = make<string, number>({
      capacity: 5,
      clock,
      onEvict: (v, k, reason) => events.push(`${k}=${v}:${reason}`),
    });
    cache.set('a', 1, { ttlMs: 5 });
    clock.advance(5);
    cache.set('a', 2);
    expect(events).toEqual(['a=1:set']);
    expect(cache.get('a')).toBe(2);
    expect(cache.stats().expirations).toBe(0);
  });

  it('clear() reports live entries as delete and expired ones as expire', () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const cache = make<string, number>({
      capacity: 5,
      clock,
      onEvict: (_v, k, reason) => events.push(`${k}:${reason}`),
    });
    cache.set('live', 1).set('stale', 2, { ttlMs: 5 });
    clock.advance(5);
    cache.clear();
    expect(events.sort()).toEqual(['live:delete', 'stale:expire']);
    expect(cache.stats()).toMatchObject({ evictions: 0, expirations: 1, size: 0 });
  });

  it('does not store an entry heavier than maxSize, and drops the key’s old value', () => {
    const events: string[] = [];
    const cache = make<string, string>({
      capacity: 5,
      maxSize: 10,
      sizeOf: (v) => v.length,
      onEvict: (v, k, reason) => events.push(`${k}=${v}:${reason}`),
    });
    cache.set('k', 'old').set('other', 'x');
    cache.set('k', 'y'.repeat(11));
    expect(cache.has('k')).toBe(false);
    expect(cache.get('other')).toBe('x');
    expect(cache.totalSize).toBe(1);
    expect(events).toEqual(['k=old:set', `k=${'y'.repeat(11)}:evict`]);
    expect(cache.stats().evictions).toBe(1);
  });

  it('returns stats of the same shape as the other classes', () => {
    const cache = make<string, number>({ capacity: 2 });
    expect(Object.keys(cache.stats())).toEqual([
      'name',
      'hits',
      'misses',
      'evictions',
      'expirations',
      'size',
    ]);
  });

  it('stays consistent when onEvict reads the key a set is inserting', () => {
    const self: { cache?: { get(key: string): unknown } } = {};
    const cache = make<string, number>({
      capacity: 10,
      maxSize: 2,
      sizeOf: () => 1,
      onEvict: () => {
        self.cache?.get('k'); // a miss while set('k') makes room
      },
    });
    self.cache = cache;
    cache.set('a', 1).set('b', 1);
    cache.set('k', 1);
    cache.set('k', 2); // must update the entry, not add a second one
    expect([...cache.keys()].filter((key) => key === 'k')).toHaveLength(1);
    expect(cache.totalSize).toBe(2);
    expect(cache.get('k')).toBe(2);
  });

  it('stays consistent when onEvict throws, and the next set restores maxSize', () => {
    let fail = true;
    const cache = make<string, number>({
      capacity: 10,
      maxSize: 8,
      sizeOf: (v) => v,
      onEvict: () => {
        if (fail) throw new Error('boom');
      },
    });
    cache.set('a', 0).set('b', 0).set('c', 4);
    expect(() => cache.set('a', 8)).toThrow('boom'); // stops after the first eviction
    expect([...cache.keys()]).toHaveLength(cache.size);
    expect(cache.totalSize).toBe([...cache.values()].reduce((n, v) => n + v, 0));
    fail = false;
    cache.set('d', 0);
    expect(cache.totalSize).toBeLessThanOrEqual(8);
    expect(cache.totalSize).toBe([...cache.values()].reduce((n, v) => n + v, 0));
  });

  it('lets the caller delete the entry it was just given while iterating', () => {
    const cache = make<string, number>({ capacity: 10 });
    for (const k of ['a', 'b', 'c', 'd', 'e']) cache.set(k, 1);
    cache.get('d');
    cache.get('b');
    const before = [...cache.keys()];
    const seen: string[] = [];
    for (const key of cache.keys()) {
      seen.push(key);
      if (seen.length > 10) break; // a walk that never ends would fail here, not hang
      if (key !== 'c') cache.delete(key);
    }
    expect(seen).toEqual(before);
    expect([...cache.keys()]).toEqual(['c']);
  });

  it('property: deleting entries as iteration returns them visits each once, keeps the rest', () => {
    const op = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 12 }));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(op, { maxLength: 60 }),
        fc.func(fc.boolean()),
        (capacity, ops, drop) => {
          const cache = make<number, number>({ capacity });
          for (const [isSet, k] of ops) isSet ? cache.set(k, k) : cache.get(k);
          const before = [...cache.keys()];
          const seen: number[] = [];
          const kept: number[] = [];
          for (const key of cache.keys()) {
            seen.push(key);
            if (seen.length > before.length) break;
            if (drop(key)) cache.delete(key);
            else kept.push(key);
          }
          expect(seen).toEqual(before);
          expect([...cache.keys()]).toEqual(kept);
          expect(cache.size).toBe(kept.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is usable again after clear()', () => {
    const cache = make<number, number>({ capacity: 3 });
    for (let k = 0; k < 10; k++) cache.set(k, k);
    cache.clear();
    expect(cache.size).toBe(0);
    expect([...cache.keys()]).toEqual([]);
    for (let k = 0; k < 10; k++) cache.set(k, k);
    expect(cache.size).toBe(3);
    expect(cache.get(9)).toBe(9);
  });
});

describe.each(makers)('%s: iteration under deletion', (_name, make) => {
  it('property: deleting any entries while iterating never yields a removed or unknown entry', () => {
    const op = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 12 }));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(op, { maxLength: 60 }),
        fc.array(fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 3 }), { maxLength: 12 }),
        (capacity, ops, deletions) => {
          const cache = make<number, number>({ capacity });
          for (const [isSet, k] of ops) isSet ? cache.set(k, k * 10) : cache.get(k);
          const before = [...cache.keys()];
          const deleted = new Set<number>();
          const seen: [number, number][] = [];
          let step = 0;
          for (const [key, value] of cache.entries()) {
            seen.push([key, value]);
            if (seen.length > before.length) break;
            // Delete entries not reached yet, the current one, or ones already seen.
            for (const k of deletions[step++] ?? []) if (cache.delete(k)) deleted.add(k);
          }
          // Every yield is a live entry of the snapshot, with its value, in order, once; every
          // entry not deleted before its turn is yielded.
          const yieldedKeys = seen.map(([k]) => k);
          for (const [k, v] of seen) expect(v).toBe(k * 10);
          expect(new Set(yieldedKeys).size).toBe(yieldedKeys.length);
          expect(yieldedKeys).toEqual(before.filter((k) => yieldedKeys.includes(k)));
          const remaining = before.filter((k) => !deleted.has(k));
          for (const k of remaining) expect(yieldedKeys).toContain(k);
          expect([...cache.keys()]).toEqual(remaining);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('deleting the next entry while iterating skips it (no undefined keys from the free list)', () => {
    const cache = make<string, number>({ capacity: 10 });
    for (const k of ['a', 'b', 'c', 'd']) cache.set(k, 1);
    const order = [...cache.keys()];
    const seen: (string | undefined)[] = [];
    for (const key of cache.keys()) {
      seen.push(key);
      if (seen.length > 10) break;
      if (key === order[0]) cache.delete(order[1]!);
    }
    expect(seen).toEqual([order[0], order[2], order[3]]);
  });
});

describe.each(makers)('%s: memory follows the entries, not the capacity', (_name, make) => {
  it('a cache of the largest capacity (2^30) is cheap to make and fills as entries arrive', () => {
    // Before, the arrays for every slot were allocated at construction: 2^30 aborted the
    // process (heap exhausted) and an empty cache of 2^24 held about 300 MB.
    // Measured while the cache is alive: every typed array of the process together stays small
    // (a difference before/after could be hidden by a garbage collection in between).
    const cache = make<number, number>({ capacity: 2 ** 30 });
    for (let k = 0; k < 10_000; k++) cache.set(k, k);
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(64 * 2 ** 20);
    expect(cache.size).toBe(10_000);
    expect(cache.get(0)).toBe(0);
    expect(cache.get(9_999)).toBe(9_999);
  });

  it('keeps every entry and its value across the growth of its arrays', () => {
    const cache = make<number, string>({ capacity: 1_000 });
    for (let k = 0; k < 1_000; k++) cache.set(k, `v${k}`);
    expect(cache.size).toBe(1_000);
    for (let k = 0; k < 1_000; k++) expect(cache.peek(k)).toBe(`v${k}`);
    expect(new Set(cache.keys()).size).toBe(1_000);
    for (let k = 1_000; k < 3_000; k++) cache.set(k, `v${k}`);
    expect(cache.size).toBe(1_000);
    for (const [k, v] of cache) expect(v).toBe(`v${k}`);
  });
});

describe('LRUCache across growth', () => {
  it('keeps exact recency order past the first slots', () => {
    const cache = new LRUCache<number, number>({ capacity: 200 });
    for (let k = 0; k < 500; k++) cache.set(k, k);
    cache.get(350);
    const keys = [...cache.keys()];
    expect(keys).toHaveLength(200);
    expect(keys[0]).toBe(350);
    expect(keys.slice(1)).toEqual(
      Array.from({ length: 200 }, (_, i) => 499 - i).filter((k) => k !== 350),
    );
  });
});

describe.each(makers)('%s: pop()', (_name, make) => {
  it('removes the next victim and returns its value, skipping expired entries', () => {
    const clock = new FakeClock();
    const events: [number, string, EvictionReason][] = [];
    const cache = make<string, number>({
      capacity: 100,
      clock,
      onEvict: (v, k, reason) => events.push([v, k, reason]),
    });
    cache.set('old', 1, { ttlMs: 5 }).set('a', 2).set('b', 3);
    clock.advance(5);
    const popped = cache.pop();
    expect(popped === 2 || popped === 3).toBe(true);
    expect(events[0]).toEqual([1, 'old', 'expire']);
    expect(events[1]?.[2]).toBe('delete');
    expect(cache.size).toBe(1);
    cache.pop();
    expect(cache.pop()).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.stats()).toMatchObject({ evictions: 0, expirations: 1 });
  });
});

describe.each(makers)('%s: reverse iteration', (_name, make) => {
  it('property: rentries, rkeys and rvalues are entries, keys and values reversed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.boolean()), { maxLength: 80 }),
        (ops) => {
          const clock = new FakeClock();
          const cache = make<number, number>({ capacity: 12, clock });
          for (const [k, read] of ops) {
            if (read) cache.get(k);
            else cache.set(k, k * 2, k % 5 === 0 ? { ttlMs: 3 } : undefined);
            clock.advance(1);
          }
          expect([...cache.rentries()]).toEqual([...cache.entries()].reverse());
          expect([...cache.rkeys()]).toEqual([...cache.keys()].reverse());
          expect([...cache.rvalues()]).toEqual([...cache.values()].reverse());
        },
      ),
    );
  });

  it('skips entries deleted during the walk, and may delete the one just given', () => {
    const cache = make<number, number>({ capacity: 10 });
    for (let k = 0; k < 6; k++) cache.set(k, k);
    const seen: number[] = [];
    for (const [k] of cache.rentries()) {
      seen.push(k);
      cache.delete(k);
      if (k === seen[0]) cache.delete([...cache.rkeys()][1]!); // one not reached yet
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect(cache.size).toBe(0);
  });
});

describe.each(makers)('%s: updateAgeOnGet and updateAgeOnHas', (_name, make) => {
  it('a get (or has) that finds the entry restarts its TTL; peek and the option off do not', () => {
    const clock = new FakeClock(1_000);
    const onGet = make<string, number>({ capacity: 4, ttlMs: 10, clock, updateAgeOnGet: true });
    const onHas = make<string, number>({ capacity: 4, ttlMs: 10, clock, updateAgeOnHas: true });
    const off = make<string, number>({ capacity: 4, ttlMs: 10, clock });
    for (const cache of [onGet, onHas, off])
      cache.set('a', 1).set('forever', 2, { ttlMs: Infinity });
    clock.advance(8);
    expect(onGet.get('a')).toBe(1);
    expect(onHas.has('a')).toBe(true);
    expect(off.get('a')).toBe(1);
    expect(onGet.peek('a')).toBe(1);
    expect(onGet.getRemainingTTL('a')).toBe(10);
    expect(onHas.getRemainingTTL('a')).toBe(10);
    expect(off.getRemainingTTL('a')).toBe(2);
    clock.advance(8);
    expect(onGet.get('a')).toBe(1);
    expect(onHas.get('a')).toBe(1);
    expect(off.get('a')).toBeUndefined();
    expect(onGet.get('forever')).toBe(2);
    expect(onGet.getRemainingTTL('forever')).toBe(Number.POSITIVE_INFINITY);
  });
});

describe.each(makers)('%s: allowStale', (_name, make) => {
  it('get and peek return an expired value once, as they remove it; has and iteration never', () => {
    const clock = new FakeClock(1_000);
    const evicted: [string, EvictionReason][] = [];
    const cache = make<string, number>({
      capacity: 4,
      ttlMs: 10,
      clock,
      allowStale: true,
      onEvict: (_v, k, reason) => evicted.push([k, reason]),
    });
    cache.set('a', 1).set('b', 2).set('c', 3);
    clock.advance(10);
    expect([...cache.keys()]).toEqual([]);
    expect(cache.has('c')).toBe(false);
    expect(cache.get('a')).toBe(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.peek('b')).toBe(2);
    expect(cache.peek('b')).toBeUndefined();
    expect(evicted).toEqual([
      ['c', 'expire'],
      ['a', 'expire'],
      ['b', 'expire'],
    ]);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 2, expirations: 3, size: 0 });
  });
});

describe.each(makers)('%s: maxEntrySize', (_name, make) => {
  it('refuses an entry heavier than maxEntrySize, dropping the key’s old value', () => {
    const evicted: [string, number, EvictionReason][] = [];
    const cache = make<string, number>({
      capacity: 8,
      maxSize: 10,
      maxEntrySize: 4,
      sizeOf: (v) => v,
      onEvict: (v, k, reason) => evicted.push([k, v, reason]),
    });
    cache.set('a', 4).set('b', 3);
    cache.set('a', 5);
    expect(cache.has('a')).toBe(false);
    expect(cache.totalSize).toBe(3);
    expect(evicted).toEqual([
      ['a', 4, 'set'],
      ['a', 5, 'evict'],
    ]);
  });

  it('bounds single entries without maxSize', () => {
    const cache = make<string, number>({ capacity: 8, maxEntrySize: 4, sizeOf: (v) => v });
    for (let k = 0; k < 8; k++) cache.set(`k${k}`, 4);
    cache.set('big', 5);
    expect(cache.size).toBe(8);
    expect(cache.has('big')).toBe(false);
    expect(cache.totalSize).toBe(32);
  });
});

describe.each(makers)('%s: dump() and load()', (_name, make) => {
  it('warms a new cache with the live entries, their order, remaining TTLs and weights', () => {
    const clock = new FakeClock(1_000);
    const cache = make<string, number>({
      capacity: 4,
      ttlMs: 50,
      maxSize: 20,
      sizeOf: () => 2,
      clock,
    });
    cache.set('a', 1).set('b', 2, { ttlMs: Number.POSITIVE_INFINITY }).set('c', 3, { size: 5 });
    cache.set('gone', 4, { ttlMs: 5 });
    clock.advance(10);
    const dumped = cache.dump();
    expect(dumped).toEqual([
      ['a', { value: 1, ttlMs: 40, size: 2 }],
      ['b', { value: 2, ttlMs: Number.POSITIVE_INFINITY, size: 2 }],
      ['c', { value: 3, ttlMs: 40, size: 5 }],
    ]);
    // A new process: its own clock, read from a different point.
    const later = new FakeClock(99_000);
    const warm = make<string, number>({ capacity: 4, maxSize: 20, sizeOf: () => 1, clock: later });
    warm.load(dumped);
    expect([...warm.rentries()]).toEqual([...cache.rentries()]);
    expect(warm.totalSize).toBe(9);
    expect(warm.getRemainingTTL('a')).toBe(40);
    expect(warm.getRemainingTTL('b')).toBe(Number.POSITIVE_INFINITY);
    expect(warm.info('c')).toEqual({ value: 3, ttlMs: 40, size: 5 });
    expect(cache.info('gone')).toBeUndefined();
    expect(warm.info('nope')).toBeUndefined();
    later.advance(40);
    expect(warm.get('a')).toBeUndefined();
  });

  it('load() clears first, reporting the old entries to onEvict', () => {
    const evicted: string[] = [];
    const cache = make<string, number>({ capacity: 4, onEvict: (_v, k) => evicted.push(k) });
    cache.set('old', 1);
    cache.load([['new', { value: 2 }]]);
    expect(evicted).toEqual(['old']);
    expect([...cache.keys()]).toEqual(['new']);
  });
});

describe.each(makers)('%s: resize(capacity)', (_name, make) => {
  it('shrinking evicts down to the new capacity, reporting each; growing takes more', () => {
    const clock = new FakeClock();
    const events: [number, EvictionReason][] = [];
    const cache = make<number, number>({
      capacity: 100,
      ttlMs: 50,
      clock,
      onEvict: (_v, k, reason) => events.push([k, reason]),
    });
    for (let k = 0; k < 100; k++) cache.set(k, k, k < 10 ? { ttlMs: 1 } : undefined);
    for (let k = 50; k < 100; k++) cache.get(k);
    clock.advance(5); // 0..9 have expired
    cache.resize(40);
    expect(cache.capacity).toBe(40);
    expect(cache.size).toBe(40);
    expect(events).toHaveLength(60);
    expect(events.filter(([, r]) => r === 'expire').length + cache.stats().evictions).toBe(60);
    expect(cache.stats().expirations).toBe(events.filter(([, r]) => r === 'expire').length);
    for (const [k] of events) expect(cache.has(k)).toBe(false);
    for (let k = 100; k < 200; k++) cache.set(k, k);
    expect(cache.size).toBe(40);
    cache.resize(150);
    for (let k = 200; k < 400; k++) cache.set(k, k);
    expect(cache.size).toBe(150);
    expect([...cache.keys()]).toHaveLength(150);
    for (const [k, v] of cache) expect(v).toBe(k);
  });

  it('grows past the arrays allocated so far, and back down to 1', () => {
    const cache = make<number, string>({ capacity: 10 });
    for (let k = 0; k < 10; k++) cache.set(k, `v${k}`);
    cache.resize(5_000);
    for (let k = 0; k < 5_000; k++) cache.set(k, `v${k}`);
    expect(cache.size).toBe(5_000);
    for (let k = 0; k < 5_000; k++) expect(cache.peek(k)).toBe(`v${k}`);
    cache.resize(1);
    expect(cache.size).toBe(1);
    cache.set(-1, 'last');
    expect([...cache.entries()]).toEqual([[-1, 'last']]);
  });

  it('rejects a capacity that is not an integer from 1 to 2^30, naming it', () => {
    const cache = make<number, number>({ capacity: 3 });
    expect(() => cache.resize(0)).toThrow(RangeError);
    expect(() => cache.resize(0)).toThrow(/capacity/);
    expect(() => cache.resize(1.5)).toThrow(/capacity/);
    expect(() => cache.resize(2 ** 30 + 1)).toThrow(RangeError);
    expect(() => cache.resize('9' as unknown as number)).toThrow(TypeError);
    expect(cache.capacity).toBe(3);
  });
});
