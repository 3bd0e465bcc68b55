// The cache of recent keys: the adaptive mode turns on when keys repeat and off when they stop;
// a fixed size is always on; 0 is never on. And, model-based, a ring whose cache is on answers
// exactly as an uncached ring through any sequence of adds, removes and lookups.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashRing, hash32 } from '../src/index.js';
import { KeyCache } from '../src/key-cache.js';

/** Look `keys` up through a cache as the ring does; returns how many hit. */
function lookUp(cache: KeyCache<string>, keys: readonly string[]): number {
  let hits = 0;
  for (const key of keys) {
    if (cache.on && cache.map.get(key) !== undefined) {
      if (cache.hits < cache.window) cache.hits++;
      hits++;
      continue;
    }
    const hash = hash32(key);
    if (cache.on) cache.remember(key, 'node');
    else if ((hash & cache.watchMask) === 0) cache.watch(key, hash);
  }
  return hits;
}

const hot = Array.from({ length: 200 }, (_, i) => `hot:${i}`);
const repeat = (keys: readonly string[], times: number) =>
  Array.from({ length: times }, () => keys).flat();
let distinct = 0;
const fresh = (count: number) => Array.from({ length: count }, () => `cold:${distinct++}`);

describe('KeyCache', () => {
  it('adaptive: off for keys that do not repeat, on once they do, off again when they stop', () => {
    const cache = new KeyCache<string>(undefined, 512);
    lookUp(cache, fresh(5000));
    expect(cache.on).toBe(false);
    expect(cache.map.size).toBe(0);
    lookUp(cache, repeat(hot, 60));
    expect(cache.on).toBe(true);
    expect(lookUp(cache, hot)).toBe(hot.length);
    // The first window after turning on fills the cache and is not judged; the next is.
    lookUp(cache, fresh(200));
    expect(cache.on).toBe(true);
    lookUp(cache, fresh(5000));
    expect(cache.on).toBe(false);
    expect(cache.map.size).toBe(0);
  });

  it('a hot set as large as the cache still turns it on and keeps it on', () => {
    const cache = new KeyCache<string>(undefined, 4096);
    const large = Array.from({ length: 3000 }, (_, i) => `large:${i}`);
    lookUp(cache, repeat(large, 40));
    expect(cache.on).toBe(true);
    expect(lookUp(cache, large)).toBe(large.length);
  });

  it('a fixed size is always on and empties itself when full', () => {
    const cache = new KeyCache<string>(3);
    expect(cache.on).toBe(true);
    lookUp(cache, ['a', 'b', 'c']);
    expect(cache.map.size).toBe(3);
    lookUp(cache, ['d']);
    expect([...cache.map.keys()]).toEqual(['d']);
    lookUp(cache, fresh(1000));
    expect(cache.on).toBe(true);
  });

  it('size 0 is never on', () => {
    const cache = new KeyCache<string>(0, 64);
    lookUp(cache, repeat(hot, 50));
    expect(cache.on).toBe(false);
    expect(cache.map.size).toBe(0);
  });
});

describe('HashRing lookup cache', () => {
  const nodes = ['a', 'b', 'c', 'd'];
  const ringOf = (options = {}) => {
    const ring = new HashRing<string>(options);
    for (const node of nodes) ring.add(node);
    return ring;
  };
  const hotKeys = Array.from({ length: 600 }, (_, i) => `user:${i * 7919}`);

  it('turns itself on for hot keys with no option set, and stays off for uniform keys', () => {
    const ring = ringOf();
    for (let i = 0; i < 40_000; i++) ring.get(`user:${i * 7919}`);
    expect(ring.stats().cachedKeys).toBe(0);
    for (let i = 0; i < 60_000; i++) ring.get(hotKeys[i % hotKeys.length]!);
    expect(ring.stats().cachedKeys).toBe(hotKeys.length);
    // A change to the ring empties it.
    ring.remove('d');
    expect(ring.stats().cachedKeys).toBe(0);
  });

  it('cacheSize 0 never caches', () => {
    const ring = ringOf({ cacheSize: 0 });
    for (let i = 0; i < 60_000; i++) ring.get(hotKeys[i % hotKeys.length]!);
    expect(ring.stats().cachedKeys).toBe(0);
  });

  it('answers as an uncached ring through adds, removes and lookups (model-based)', () => {
    interface Real {
      ring: HashRing<string>;
    }
    interface Model {
      reference: HashRing<string>;
    }
    type Command = fc.Command<Model, Real>;
    const check = (model: Model, real: Real, key: string) =>
      expect(real.ring.get(key)).toBe(model.reference.get(key));
    class Add implements Command {
      constructor(readonly node: string) {}
      check = () => true;
      run(model: Model, real: Real) {
        model.reference.add(this.node);
        real.ring.add(this.node);
      }
      toString = () => `add(${this.node})`;
    }
    class Remove implements Command {
      constructor(readonly node: string) {}
      check = () => true;
      run(model: Model, real: Real) {
        expect(real.ring.remove(this.node)).toBe(model.reference.remove(this.node));
      }
      toString = () => `remove(${this.node})`;
    }
    class Get implements Command {
      constructor(readonly index: number) {}
      check = () => true;
      run(model: Model, real: Real) {
        check(model, real, hotKeys[this.index % hotKeys.length]!);
      }
      toString = () => `get(${this.index})`;
    }
    class Sweep implements Command {
      check = () => true;
      run(model: Model, real: Real) {
        for (const key of hotKeys) check(model, real, key);
      }
      toString = () => 'sweep';
    }
    const node = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    const commands = [
      node.map((n) => new Add(n)),
      node.map((n) => new Remove(n)),
      fc.nat(1000).map((i) => new Get(i)),
      fc.nat(1000).map((i) => new Get(i)),
      fc.constant(new Sweep()),
    ];
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 30 }), (cmds) => {
        const ring = ringOf();
        const reference = ringOf({ cacheSize: 0 });
        // Warm: the hot keys turn the cache on before the commands run.
        for (let i = 0; i < 40_000; i++) ring.get(hotKeys[i % hotKeys.length]!);
        expect(ring.stats().cachedKeys).toBeGreaterThan(0);
        fc.modelRun(() => ({ model: { reference }, real: { ring } }), cmds);
      }),
      { numRuns: 40 },
    );
  });
});
