import { FakeClock } from '@bulwark/test-utils';
import { describe, expect, it } from 'vitest';
import { type EvictionReason, LRUCache } from '../src/index.js';
import { checkAgainstModel } from './model.js';

describe('LRUCache against the reference model', () => {
  const make = (o: ConstructorParameters<typeof LRUCache<number, number>>[0]) =>
    new LRUCache<number, number>(o);
  it('plain: evicts exactly the least recently used', () => {
    checkAgainstModel('lru', make, { weighted: false, ttl: false });
  });
  it('with TTLs (cache-wide and per entry) and a fake clock', () => {
    checkAgainstModel('lru', make, { weighted: false, ttl: true });
  });
  it('with maxSize and sizeOf', () => {
    checkAgainstModel('lru', make, { weighted: true, ttl: false });
  });
  it('with TTLs and weights together', () => {
    checkAgainstModel('lru', make, { weighted: true, ttl: true });
  });
  it('noUpdateTTL: an update keeps the expiry', () => {
    checkAgainstModel('lru', make, { weighted: true, ttl: true, noUpdateTTL: true });
  });
  it('noDisposeOnSet: an update reports no old value', () => {
    checkAgainstModel('lru', make, { weighted: true, ttl: true, noDisposeOnSet: true });
  });
  it('updateAgeOnGet: a hit restarts the TTL', () => {
    checkAgainstModel('lru', make, { weighted: false, ttl: true, updateAgeOnGet: true }, 1000);
  });
  it('updateAgeOnHas: a has that finds the entry restarts the TTL', () => {
    checkAgainstModel('lru', make, { weighted: false, ttl: true, updateAgeOnHas: true }, 1000);
  });
  it('allowStale: get and peek return an expired value once', () => {
    checkAgainstModel('lru', make, { weighted: false, ttl: true, allowStale: true }, 1000);
  });
  it('maxEntrySize: heavier entries are refused, with or without maxSize', () => {
    checkAgainstModel('lru', make, { weighted: true, ttl: true, maxEntrySize: 'below' });
    checkAgainstModel('lru', make, { weighted: true, ttl: false, maxEntrySize: 'alone' });
  });
  it('past the slots allocated at first: the arrays grow as entries arrive', () => {
    checkAgainstModel('lru', make, { weighted: false, ttl: true, big: true }, 40);
    checkAgainstModel('lru', make, { weighted: true, ttl: false, big: true }, 40);
  });
});

describe('LRUCache', () => {
  it('evicts the least recently used, and get promotes while peek does not', () => {
    const cache = new LRUCache<string, number>({ capacity: 3 });
    cache.set('a', 1).set('b', 2).set('c', 3);
    expect(cache.get('a')).toBe(1);
    expect(cache.peek('b')).toBe(2);
    cache.set('d', 4);
    expect(cache.has('b')).toBe(false);
    expect([...cache.keys()]).toEqual(['d', 'a', 'c']);
    expect([...cache.values()]).toEqual([4, 1, 3]);
    expect([...cache]).toEqual([
      ['d', 4],
      ['a', 1],
      ['c', 3],
    ]);
    const seen: string[] = [];
    cache.forEach((v, k) => {
      seen.push(`${k}${v}`);
    });
    expect(seen).toEqual(['d4', 'a1', 'c3']);
  });

  it('counts hits, misses and evictions', () => {
    const cache = new LRUCache<number, number>({ capacity: 2 });
    cache.set(1, 1).set(2, 2).set(3, 3);
    cache.get(1);
    cache.get(3);
    cache.peek(2);
    expect(cache.stats()).toEqual({
      name: 'default',
      hits: 1,
      misses: 1,
      evictions: 1,
      expirations: 0,
      size: 2,
    });
  });

  it('reuses slots freed by delete', () => {
    const cache = new LRUCache<number, number>({ capacity: 3 });
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < 3; k++) cache.set(k, round);
      for (let k = 0; k < 3; k++) expect(cache.delete(k)).toBe(true);
    }
    expect(cache.size).toBe(0);
    cache.set(7, 7).set(8, 8).set(9, 9).set(10, 10);
    expect([...cache.keys()]).toEqual([10, 9, 8]);
  });

  describe('TTL', () => {
    it('expires entries lazily after ttlMs and counts expirations', () => {
      const clock = new FakeClock();
      const events: [number, string, EvictionReason][] = [];
      const cache = new LRUCache<string, number>({
        capacity: 10,
        ttlMs: 100,
        clock,
        onEvict: (v, k, r) => events.push([v, k, r]),
      });
      cache.set('a', 1);
      clock.advance(99);
      expect(cache.get('a')).toBe(1);
      clock.advance(1);
      expect(cache.size).toBe(1);
      expect(cache.get('a')).toBeUndefined();
      expect(cache.size).toBe(0);
      expect(events).toEqual([[1, 'a', 'expire']]);
      expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, expirations: 1 });
    });

    it('per-entry TTL overrides the default; Infinity never expires', () => {
      const clock = new FakeClock();
      const cache = new LRUCache<string, number>({ capacity: 10, ttlMs: 100, clock });
      cache.set('short', 1, { ttlMs: 10 });
      cache.set('forever', 2, { ttlMs: Number.POSITIVE_INFINITY });
      cache.set('default', 3);
      clock.advance(50);
      expect(cache.has('short')).toBe(false);
      expect(cache.has('default')).toBe(true);
      clock.advance(1_000_000);
      expect([...cache.keys()]).toEqual(['forever']);
      expect(cache.prune()).toBe(1);
      expect(cache.size).toBe(1);
    });

    it('per-entry TTL works on a cache with no default TTL', () => {
      const clock = new FakeClock();
      const cache = new LRUCache<string, number>({ capacity: 10, clock });
      cache.set('plain', 1);
      cache.set('ttl', 2, { ttlMs: 5 });
      clock.advance(5);
      expect(cache.get('ttl')).toBeUndefined();
      expect(cache.get('plain')).toBe(1);
    });

    it('set resets the expiry; prune removes every expired entry', () => {
      const clock = new FakeClock();
      const cache = new LRUCache<number, number>({ capacity: 10, ttlMs: 10, clock });
      for (let k = 0; k < 5; k++) cache.set(k, k);
      clock.advance(8);
      cache.set(2, 20);
      clock.advance(5);
      expect(cache.prune()).toBe(4);
      expect([...cache.entries()]).toEqual([[2, 20]]);
    });
  });

  describe('maxSize', () => {
    it('evicts least recently used entries until the weights fit', () => {
      const evicted: string[] = [];
      const cache = new LRUCache<string, string>({
        capacity: 100,
        maxSize: 10,
        sizeOf: (v) => v.length,
        onEvict: (_v, k, r) => evicted.push(`${k}:${r}`),
      });
      cache.set('a', 'xxxx').set('b', 'xxxx');
      expect(cache.totalSize).toBe(8);
      cache.set('c', 'xxxxx');
      expect(evicted).toEqual(['a:evict']);
      expect(cache.totalSize).toBe(9);
      cache.set('c', 'x');
      expect(cache.totalSize).toBe(5);
      expect(evicted).toEqual(['a:evict', 'c:set']);
    });

    it('refuses an entry heavier than maxSize and drops the key’s old value', () => {
      const evicted: string[] = [];
      const cache = new LRUCache<string, string>({
        capacity: 100,
        maxSize: 3,
        sizeOf: (v) => v.length,
        onEvict: (v, k, r) => evicted.push(`${k}=${v}:${r}`),
      });
      cache.set('a', 'x');
      cache.set('a', 'xxxx');
      expect(cache.has('a')).toBe(false);
      expect(evicted).toEqual(['a=x:set', 'a=xxxx:evict']);
      expect(cache.stats().evictions).toBe(1);
    });

    it('rejects a bad weight from sizeOf', () => {
      const cache = new LRUCache<string, number>({ capacity: 2, maxSize: 5, sizeOf: (v) => v });
      expect(() => cache.set('a', -1)).toThrow(
        /sizeOf\(value, key\) must be a finite number >= 0, got -1/,
      );
      expect(() => cache.set('a', Number.NaN)).toThrow(RangeError);
      expect(cache.size).toBe(0);
    });
  });

  describe('onEvict', () => {
    it('reports evict, expire, delete and set, and not a set of the same value', () => {
      const clock = new FakeClock();
      const events: string[] = [];
      const cache = new LRUCache<string, number>({
        capacity: 2,
        clock,
        onEvict: (v, k, r) => events.push(`${k}=${v}:${r}`),
      });
      const same = 1;
      cache.set('a', same).set('a', same);
      cache.set('a', 2);
      cache.set('b', 1, { ttlMs: 5 });
      cache.set('c', 1);
      clock.advance(5);
      cache.delete('c');
      cache.set('d', 4, { ttlMs: 1 });
      clock.advance(1);
      cache.get('d');
      cache.set('e', 5).set('f', 6);
      cache.clear();
      expect(events).toEqual([
        'a=1:set',
        'a=2:evict',
        'c=1:delete',
        'd=4:expire',
        'b=1:expire',
        'f=6:delete',
        'e=5:delete',
      ]);
      expect(cache.size).toBe(0);
      expect(cache.get('f')).toBeUndefined();
    });

    it('leaves the cache consistent when onEvict throws', () => {
      const cache = new LRUCache<number, number>({
        capacity: 1,
        onEvict: () => {
          throw new Error('boom');
        },
      });
      cache.set(1, 1);
      expect(() => cache.set(2, 2)).toThrow('boom');
      expect(cache.size).toBe(1);
      expect(cache.get(2)).toBe(2);
      expect(() => cache.set(3, 3)).toThrow('boom');
      expect([...cache.keys()]).toEqual([3]);
    });
  });
});
