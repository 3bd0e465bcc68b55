import { FakeClock } from '@bulwark/test-utils';
import { describe, expect, it } from 'vitest';
import { LFUCache } from '../src/index.js';
import { checkAgainstModel } from './model.js';

describe('LFUCache against the reference model', () => {
  const make = (o: ConstructorParameters<typeof LFUCache<number, number>>[0]) =>
    new LFUCache<number, number>(o);
  it('plain: evicts exactly the least frequent, least recent among equals', () => {
    checkAgainstModel('lfu', make, { weighted: false, ttl: false }, 300);
  });
  it('with TTLs (cache-wide and per entry) and a fake clock', () => {
    checkAgainstModel('lfu', make, { weighted: false, ttl: true });
  });
  it('with maxSize and sizeOf', () => {
    checkAgainstModel('lfu', make, { weighted: true, ttl: false });
  });
  it('with TTLs and weights together', () => {
    checkAgainstModel('lfu', make, { weighted: true, ttl: true });
  });
  it('noUpdateTTL: an update keeps the expiry', () => {
    checkAgainstModel('lfu', make, { weighted: true, ttl: true, noUpdateTTL: true });
  });
  it('noDisposeOnSet: an update reports no old value', () => {
    checkAgainstModel('lfu', make, { weighted: true, ttl: true, noDisposeOnSet: true });
  });
  it('updateAgeOnGet: a hit restarts the TTL', () => {
    checkAgainstModel('lfu', make, { weighted: false, ttl: true, updateAgeOnGet: true }, 1000);
  });
  it('updateAgeOnHas: a has that finds the entry restarts the TTL', () => {
    checkAgainstModel('lfu', make, { weighted: false, ttl: true, updateAgeOnHas: true }, 1000);
  });
  it('allowStale: get and peek return an expired value once', () => {
    checkAgainstModel('lfu', make, { weighted: false, ttl: true, allowStale: true }, 1000);
  });
  it('maxEntrySize: heavier entries are refused, with or without maxSize', () => {
    checkAgainstModel('lfu', make, { weighted: true, ttl: true, maxEntrySize: 'below' });
    checkAgainstModel('lfu', make, { weighted: true, ttl: false, maxEntrySize: 'alone' });
  });
  it('past the slots allocated at first: the arrays grow as entries arrive', () => {
    checkAgainstModel('lfu', make, { weighted: false, ttl: true, big: true }, 40);
    checkAgainstModel('lfu', make, { weighted: true, ttl: false, big: true }, 40);
  });
});

describe('LFUCache', () => {
  it('evicts the least frequently used, the least recent among equals', () => {
    const cache = new LFUCache<string, number>({ capacity: 3 });
    cache.set('a', 1).set('b', 2).set('c', 3);
    cache.get('a');
    cache.get('a');
    cache.get('c');
    expect(cache.frequencyOf('a')).toBe(3);
    expect(cache.frequencyOf('b')).toBe(1);
    cache.set('d', 4); // b: frequency 1
    expect(cache.has('b')).toBe(false);
    cache.set('e', 5); // d: frequency 1, the only one
    expect(cache.has('d')).toBe(false);
    cache.get('e'); // c and e both at 2; c is less recent
    cache.set('f', 6); // so c goes; f alone at 1 ...
    cache.set('g', 7); // ... so f goes
    expect([...cache.keys()]).toEqual(['a', 'e', 'g']);
    expect(cache.stats()).toEqual({
      name: 'default',
      hits: 4,
      misses: 0,
      evictions: 4,
      expirations: 0,
      size: 3,
    });
  });

  it('a set of a present key counts as a use; peek and has do not', () => {
    const cache = new LFUCache<string, number>({ capacity: 2 });
    cache.set('a', 1).set('b', 1);
    cache.set('a', 2);
    cache.peek('b');
    cache.has('b');
    cache.set('c', 3);
    expect([...cache.entries()]).toEqual([
      ['a', 2],
      ['c', 3],
    ]);
  });

  it('keeps frequencies apart over many uses (buckets created, merged and reused)', () => {
    const cache = new LFUCache<number, number>({ capacity: 50 });
    for (let k = 0; k < 50; k++) cache.set(k, k);
    for (let round = 0; round < 20; round++) {
      for (let k = 0; k < 50; k++) if (k % (round + 1) === 0) cache.get(k);
    }
    const freq = [...cache.keys()].map((k) => cache.frequencyOf(k));
    expect(freq).toEqual([...freq].sort((x, y) => y - x));
    cache.set(1000, 0);
    expect(cache.has(1000)).toBe(true);
    expect(cache.size).toBe(50);
  });

  it('expires lazily, purges, and reports an expired victim as expired', () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const cache = new LFUCache<string, number>({
      capacity: 2,
      ttlMs: 10,
      clock,
      onEvict: (v, k, r) => events.push(`${k}=${v}:${r}`),
    });
    cache.set('a', 1);
    cache.set('b', 2, { ttlMs: Number.POSITIVE_INFINITY });
    clock.advance(10);
    cache.set('c', 3);
    expect(events).toEqual(['a=1:expire']);
    clock.advance(10);
    expect(cache.prune()).toBe(1);
    expect([...cache.keys()]).toEqual(['b']);
    expect(cache.stats().expirations).toBe(2);
  });

  it('evicts by weight and never the entry just written', () => {
    const cache = new LFUCache<string, number>({ capacity: 10, maxSize: 10, sizeOf: (v) => v });
    cache.set('a', 3).set('b', 3);
    cache.get('b');
    cache.get('b');
    cache.set('a', 8); // a is least frequent, but it is the entry being written: b goes
    expect([...cache.keys()]).toEqual(['a']);
    expect(cache.totalSize).toBe(8);
  });
});
