// Behaviour the three caches share, run against each.
import { FakeClock } from '@bulwark/test-utils';
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
    expect(cache.purgeStale()).toBe(1);
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
