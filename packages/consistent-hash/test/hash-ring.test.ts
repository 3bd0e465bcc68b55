import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedLoads, HashRing, hash32, Maglev, Rendezvous } from '../src/index.js';

const keys = (count: number, prefix = 'key:') =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`);
const ringOf = (nodes: readonly string[], vnodes = 160) => {
  const ring = new HashRing<string>({ vnodes });
  for (const node of nodes) ring.add(node);
  return ring;
};
const nodeNames = (min: number, max: number) =>
  fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: min, maxLength: max });

describe('HashRing: unit', () => {
  it('returns undefined on an empty ring and [] from getN', () => {
    const ring = new HashRing();
    expect(ring.get('a')).toBeUndefined();
    expect(ring.getN('a', 3)).toEqual([]);
    expect(ring.pointIndexOf('a')).toBe(-1);
    expect(ring.size).toBe(0);
  });

  it('rejects every bad weight, n and options argument, naming the value', () => {
    const ring = new HashRing().add('a');
    expect(() => ring.add('b', { weight: Number.NaN })).toThrow(
      /weight must be a finite number > 0, got NaN/,
    );
    expect(() => ring.add('b', { weight: -1 })).toThrow(
      /weight must be a finite number > 0, got -1/,
    );
    // @ts-expect-error: not a number
    expect(() => ring.add('b', { weight: '2' })).toThrow(/weight must be .*, got "2"/);
    expect(() => ring.add('b', { weight: 1e12 })).toThrow(
      /weight must give at most 10000000 points \(vnodes × weight\), got 1000000000000 × 160/,
    );
    expect(() => new BoundedLoads().add('b', { weight: 1e12 })).toThrow(/weight must give/);
    const ketama = new HashRing({ compatibility: 'ketama' }).add('a').add('b', { weight: 1e12 });
    expect(ketama.stats().points).toBeLessThanOrEqual(320);
    expect(ring.has('b')).toBe(false);
    expect(() => ring.getN('k', 1.5)).toThrow(/n must be an integer >= 0, got 1.5/);
    expect(() => ring.getN('k', Number.NaN)).toThrow(RangeError);
    expect(() => new HashRing({ vnodes: 1e6 + 1 })).toThrow(/got 1000001/);
    // @ts-expect-error: not an object
    expect(() => new HashRing(null)).toThrow(/options must be an object, got null/);
    // @ts-expect-error: not an object
    expect(() => ring.add('b', 2)).toThrow(/options must be an object, got 2/);
    // @ts-expect-error: not an object
    expect(() => new BoundedLoads(null)).toThrow(/options must be an object, got null/);
    // @ts-expect-error: not an object
    expect(() => new BoundedLoads().add('b', null)).toThrow(/options must be an object, got null/);
    // @ts-expect-error: not an object
    expect(() => new Maglev(null)).toThrow(/options must be an object, got null/);
    // @ts-expect-error: not an object
    expect(() => new Maglev().add('b', null)).toThrow(/options must be an object, got null/);
    // @ts-expect-error: not an object
    expect(() => new Rendezvous(null)).toThrow(/options must be an object, got null/);
    // @ts-expect-error: not an object
    expect(() => new Rendezvous().add('b', null)).toThrow(/options must be an object, got null/);
  });

  it('handles removing an absent node and re-adding a node with a new weight', () => {
    const ring = new HashRing().add('a').add('b');
    const before = keys(200).map((key) => ring.get(key));
    expect(ring.remove('zz')).toBe(false);
    expect(keys(200).map((key) => ring.get(key))).toEqual(before);
    ring.add('a', { weight: 2 });
    expect(ring.size).toBe(2);
    expect(ring.weightOf('a')).toBe(2);
    expect(ring.stats()).toEqual({
      name: 'default',
      nodes: 2,
      points: 480,
      totalWeight: 3,
      cachedKeys: 0,
    });
    ring.add('a', { weight: 1 });
    expect(keys(200).map((key) => ring.get(key))).toEqual(before);
    expect(ring.remove('a')).toBe(true);
    expect(ring.remove('b')).toBe(true);
    expect(ring.get('k')).toBeUndefined();
    expect(ring.getN('k', 2)).toEqual([]);
  });

  it('maps every key to the only node', () => {
    const ring = new HashRing().add('only');
    for (const key of keys(100)) expect(ring.get(key)).toBe('only');
    expect(ring.stats()).toEqual({
      name: 'default',
      nodes: 1,
      points: 160,
      totalWeight: 1,
      cachedKeys: 0,
    });
  });

  it('gives round(vnodes × weight) points per node, at least one', () => {
    const ring = new HashRing({ vnodes: 10 }).add('a', { weight: 2.5 }).add('b', { weight: 0.01 });
    expect(ring.stats().points).toBe(25 + 1);
    ring.add('a', { weight: 1 });
    expect(ring.stats()).toEqual({
      name: 'default',
      nodes: 2,
      points: 11,
      totalWeight: 1.01,
      cachedKeys: 0,
    });
    expect(ring.weightOf('a')).toBe(1);
    expect(ring.weightOf('zz')).toBeUndefined();
  });

  it('accepts byte keys, hashed like their UTF-8 string', () => {
    const ring = ringOf(['a', 'b', 'c']);
    for (const key of keys(200))
      expect(ring.get(new TextEncoder().encode(key))).toBe(ring.get(key));
  });

  it('keeps the same mapping in every version (golden values)', () => {
    const ring = ringOf(['cache-a:11211', 'cache-b:11211', 'cache-c:11211']);
    const mapping = keys(8, 'user:').map((key) => ring.get(key));
    expect(mapping).toMatchInlineSnapshot(`
      [
        "cache-c:11211",
        "cache-a:11211",
        "cache-a:11211",
        "cache-a:11211",
        "cache-b:11211",
        "cache-c:11211",
        "cache-c:11211",
        "cache-a:11211",
      ]
    `);
  });

  it('names object nodes with nodeId and removes them by id', () => {
    type Server = { host: string; port: number };
    const ring = new HashRing<Server>({ nodeId: (s) => `${s.host}:${s.port}` });
    const a = { host: '10.0.0.1', port: 6379 };
    ring.add(a).add({ host: '10.0.0.2', port: 6379 });
    expect(ring.has({ host: '10.0.0.1', port: 6379 })).toBe(true);
    expect(ring.remove({ host: '10.0.0.1', port: 6379 })).toBe(true);
    expect(ring.remove(a)).toBe(false);
    expect(ring.nodes).toEqual([{ host: '10.0.0.2', port: 6379 }]);
  });

  it('accepts numbers as nodes', () => {
    const ring = new HashRing<number>().add(1).add(2);
    expect([1, 2]).toContain(ring.get('k'));
  });

  it('rejects bad options and input with messages naming them', () => {
    expect(() => new HashRing({ vnodes: 0 })).toThrow(
      /vnodes must be an integer between 1 and 1000000, got 0/,
    );
    expect(() => new HashRing({ vnodes: 1.5 })).toThrow(RangeError);
    expect(() => new HashRing({ vnodes: Number.NaN })).toThrow(/got NaN/);
    expect(() => new HashRing({ compatibility: 'ketama', vnodes: 10 })).toThrow(/multiple of 4/);
    expect(() => new HashRing({ cacheSize: -1 })).toThrow(
      /cacheSize must be an integer >= 0, got -1/,
    );
    // @ts-expect-error: not a mode
    expect(() => new HashRing({ compatibility: 'nginx' })).toThrow(
      new RangeError(`compatibility must be one of 'libketama', 'hashring', 'ketama', got "nginx"`),
    );
    // @ts-expect-error: not a function
    expect(() => new HashRing({ nodeId: 'id' })).toThrow(/nodeId must be a function/);
    expect(() => new HashRing({ vnode: 100 } as never)).toThrow(
      'unknown option "vnode" in new HashRing(options); did you mean "vnodes"?',
    );
    expect(() => new HashRing().add('b', { wieght: 2 } as never)).toThrow(
      'unknown option "wieght" in add(node, options); did you mean "weight"?',
    );
    expect(() => new Maglev({ size: 7 } as never)).toThrow(
      /unknown option "size" in new Maglev\(options\)/,
    );
    expect(() => new Rendezvous({ nodeID: String } as never)).toThrow(
      'unknown option "nodeID" in new Rendezvous(options); did you mean "nodeId"?',
    );
    const ring = new HashRing();
    expect(() => ring.add('a', { weight: 0 })).toThrow(/weight must be a finite number > 0, got 0/);
    expect(() => ring.add('a', { weight: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => ring.add('')).toThrow(/nodeId must return a non-empty string/);
    const objects = new HashRing<object>();
    expect(() => objects.add({})).toThrow(/unless a nodeId option names it, got {}/);
    ring.add('a');
    // @ts-expect-error: not a key
    expect(() => ring.get(42)).toThrow(/key must be a string or a Uint8Array, got 42/);
    expect(() => ring.getN('k', -1)).toThrow(/n must be an integer >= 0, got -1/);
    expect(() => ring.nodeAtPoint(1e9)).toThrow(RangeError);
  });

  it('publishes add and remove on diagnostics channels, with the name, for every node set', () => {
    const seen: string[] = [];
    const says = (what: string) => (m: unknown) => {
      const { name, node } = m as { name: string; node: string };
      seen.push(`${name} ${what} ${node}`);
    };
    const onAdd = says('add');
    const onRemove = says('remove');
    subscribe('bulwark:consistent-hash:add', onAdd);
    subscribe('bulwark:consistent-hash:remove', onRemove);
    try {
      new HashRing().add('a').remove('a');
      new Rendezvous({ name: 'hrw' }).add('b').remove('b');
      const maglev = new Maglev({ name: 'lb', tableSize: 7 }).add('c');
      maglev.remove('c');
      expect(maglev.remove('c')).toBe(false);
      new BoundedLoads({ name: 'work' }).add('d').remove('d');
    } finally {
      unsubscribe('bulwark:consistent-hash:add', onAdd);
      unsubscribe('bulwark:consistent-hash:remove', onRemove);
    }
    expect(seen).toEqual([
      'default add a',
      'default remove a',
      'hrw add b',
      'hrw remove b',
      'lb add c',
      'lb remove c',
      'work add d',
      'work remove d',
    ]);
  });

  it('getN returns every node when n exceeds the node count', () => {
    const ring = ringOf(['a', 'b', 'c']);
    expect(new Set(ring.getN('k', 10))).toEqual(new Set(['a', 'b', 'c']));
    expect(ring.getN('k', 0)).toEqual([]);
  });

  it('with 160 vnodes and 10 nodes keeps max/mean <= 1.2 over 100k keys', () => {
    const ring = ringOf(Array.from({ length: 10 }, (_, i) => `node-${i}`));
    const counts = new Map<string, number>();
    for (const key of keys(100_000)) {
      const node = ring.get(key)!;
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    expect(Math.max(...counts.values()) / 10_000).toBeLessThanOrEqual(1.2);
  });
});

describe('HashRing: properties', () => {
  it('a ring with a cache answers like one without, through adds and removes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('add' as const),
              node: fc.constantFrom('a', 'b', 'c', 'd'),
            }),
            fc.record({
              op: fc.constant('remove' as const),
              node: fc.constantFrom('a', 'b', 'c', 'd'),
            }),
            fc.record({
              op: fc.constant('get' as const),
              key: fc.constantFrom('k1', 'k2', 'k3', 'k4', 'k5'),
            }),
          ),
          { maxLength: 60 },
        ),
        fc.constantFrom<'ketama' | undefined>(undefined, 'ketama'),
        (ops, compatibility) => {
          const plain = new HashRing<string>({ vnodes: 8, compatibility });
          const cached = new HashRing<string>({ vnodes: 8, compatibility, cacheSize: 3 });
          for (const step of ops) {
            if (step.op === 'add') {
              plain.add(step.node);
              cached.add(step.node);
            } else if (step.op === 'remove') {
              plain.remove(step.node);
              cached.remove(step.node);
            } else {
              expect(cached.get(step.key)).toBe(plain.get(step.key));
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('agrees with a brute-force model of the ring (points at hash32(id-i), first at or after the key, wrapping)', () => {
    fc.assert(
      fc.property(
        nodeNames(1, 8),
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.string(), { maxLength: 30 }),
        (names, vnodes, sample) => {
          const ring = ringOf(names, vnodes);
          const points = names
            .flatMap((id) =>
              Array.from({ length: vnodes }, (_, i) => [hash32(`${id}-${i}`), id] as const),
            )
            .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
          for (const key of [...sample, 'edge', '']) {
            const h = hash32(key);
            const owner = (points.find(([position]) => position >= h) ?? points[0]!)[1];
            expect(ring.get(key)).toBe(owner);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('adding one node moves keys only onto it, about 1/(N+1) of them', () => {
    const sample = keys(5000);
    fc.assert(
      fc.property(nodeNames(2, 21), (names) => {
        const [added, ...existing] = names as [string, ...string[]];
        const ring = ringOf(existing);
        const before = sample.map((key) => ring.get(key));
        ring.add(added);
        let moved = 0;
        sample.forEach((key, i) => {
          const after = ring.get(key);
          if (after !== before[i]) {
            expect(after).toBe(added);
            moved++;
          }
        });
        const expected = 1 / (existing.length + 1);
        expect(Math.abs(moved / sample.length - expected)).toBeLessThanOrEqual(0.5 * expected);
      }),
      { numRuns: 40 },
    );
  });

  it('removing one node moves only its keys', () => {
    const sample = keys(2000);
    fc.assert(
      fc.property(nodeNames(2, 20), fc.nat(), (names, pick) => {
        const ring = ringOf(names);
        const removed = names[pick % names.length]!;
        const before = sample.map((key) => ring.get(key));
        ring.remove(removed);
        sample.forEach((key, i) => {
          if (before[i] !== removed) expect(ring.get(key)).toBe(before[i]);
          else expect(ring.get(key)).not.toBe(removed);
        });
      }),
      { numRuns: 40 },
    );
  });

  it('getN returns distinct nodes and its first is get', () => {
    fc.assert(
      fc.property(nodeNames(1, 12), fc.string(), fc.nat(15), (names, key, n) => {
        const ring = ringOf(names, 20);
        const replicas = ring.getN(key, n);
        expect(replicas.length).toBe(Math.min(n, names.length));
        expect(new Set(replicas).size).toBe(replicas.length);
        if (n > 0) expect(replicas[0]).toBe(ring.get(key));
      }),
      { numRuns: 300 },
    );
  });

  it('getN(n + 1) extends getN(n): the replicas are where keys go when the first leaves', () => {
    fc.assert(
      fc.property(nodeNames(2, 10), fc.string(), (names, key) => {
        const ring = ringOf(names, 20);
        const [first, second] = ring.getN(key, 2);
        ring.remove(first!);
        expect(ring.get(key)).toBe(second);
      }),
      { numRuns: 200 },
    );
  });

  it('weights shift shares proportionally', () => {
    const sample = keys(20_000);
    fc.assert(
      fc.property(nodeNames(3, 6), fc.integer({ min: 2, max: 4 }), (names, weight) => {
        const [heavy, ...light] = names as [string, ...string[]];
        const ring = ringOf(light);
        ring.add(heavy, { weight });
        let heavyCount = 0;
        for (const key of sample) if (ring.get(key) === heavy) heavyCount++;
        const expected = weight / (weight + light.length);
        expect(Math.abs(heavyCount / sample.length - expected) / expected).toBeLessThan(0.25);
      }),
      { numRuns: 15 },
    );
  });

  it('raising a weight moves keys only onto that node', () => {
    const sample = keys(2000);
    fc.assert(
      fc.property(
        nodeNames(2, 8),
        fc.double({ min: 1.1, max: 4, noNaN: true }),
        (names, weight) => {
          const ring = ringOf(names, 40);
          const before = sample.map((key) => ring.get(key));
          ring.add(names[0]!, { weight });
          sample.forEach((key, i) => {
            const after = ring.get(key);
            if (after !== before[i]) expect(after).toBe(names[0]);
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('lookups are identical after rebuilding the ring in another order or history', () => {
    const sample = keys(300);
    fc.assert(
      fc.property(
        nodeNames(1, 12).chain((names) =>
          fc.tuple(
            fc.constant(names),
            fc.shuffledSubarray(names, { minLength: names.length }),
            nodeNames(0, 4),
          ),
        ),
        ([names, shuffled, extra]) => {
          const a = ringOf(names, 40);
          const b = new HashRing<string>({ vnodes: 40 });
          for (const node of extra) b.add(node);
          for (const node of shuffled) b.add(node);
          for (const node of extra) if (!names.includes(node)) b.remove(node);
          for (const key of sample) {
            expect(b.get(key)).toBe(a.get(key));
            expect(b.getN(key, 3)).toEqual(a.getN(key, 3));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
