import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash32, Maglev } from '../src/index.js';

const build = (nodes: readonly string[], tableSize = 1009) => {
  const maglev = new Maglev<string>({ tableSize });
  for (const node of nodes) maglev.add(node);
  return maglev;
};

describe('Maglev: unit', () => {
  it('handles empty and single-node tables', () => {
    const maglev = new Maglev({ tableSize: 7 });
    expect(maglev.get('k')).toBeUndefined();
    maglev.add('a');
    expect(maglev.lookupTable()).toEqual(new Array(7).fill('a'));
    expect(maglev.remove('a')).toBe(true);
    expect(maglev.remove('a')).toBe(false);
  });

  it('looks keys up as table[hash32(key) mod M]', () => {
    const maglev = build(['a', 'b', 'c']);
    const table = maglev.lookupTable();
    for (let i = 0; i < 100; i++) expect(maglev.get(`k${i}`)).toBe(table[hash32(`k${i}`) % 1009]);
  });

  it('gives each node M/N entries, give or take one, with equal weights', () => {
    const table = build(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 65537).lookupTable();
    const counts = new Map<string, number>();
    for (const node of table) counts.set(node, (counts.get(node) ?? 0) + 1);
    for (const count of counts.values()) expect(Math.abs(count - 65537 / 7)).toBeLessThanOrEqual(1);
    const stats = build(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 65537).stats();
    expect(stats).toEqual({
      name: 'default',
      nodes: 7,
      tableSize: 65537,
      minEntries: 9362,
      maxEntries: 9363,
    });
    expect(new Maglev().stats()).toEqual({
      name: 'default',
      nodes: 0,
      tableSize: 65537,
      minEntries: 0,
      maxEntries: 0,
    });
  });

  it('honours weights through its turns', () => {
    const maglev = new Maglev({ tableSize: 10007 })
      .add('a')
      .add('b', { weight: 2 })
      .add('c', { weight: 0.5 });
    const counts = new Map<string, number>();
    for (const node of maglev.lookupTable()) counts.set(node, (counts.get(node) ?? 0) + 1);
    expect(counts.get('b')! / counts.get('a')!).toBeCloseTo(2, 1);
    expect(counts.get('c')! / counts.get('a')!).toBeCloseTo(0.5, 1);
  });

  it('rejects bad input with messages naming it', () => {
    expect(() => new Maglev({ tableSize: 100 })).toThrow(
      /tableSize must be a prime below 2\^31, got 100/,
    );
    expect(() => new Maglev({ tableSize: 1 })).toThrow(RangeError);
    expect(() => new Maglev({ tableSize: 65536 })).toThrow(/got 65536/);
    expect(() => new Maglev({ tableSize: 65535 })).toThrow(/got 65535/);
    // @ts-expect-error: not a function
    expect(() => new Maglev({ nodeId: true })).toThrow(TypeError);
    const tiny = new Maglev({ tableSize: 2 }).add('a').add('b');
    expect(() => tiny.add('c')).toThrow(/tableSize 2 leaves no entry/);
    expect(() => tiny.add('a', { weight: -2 })).toThrow(/weight must be/);
  });
});

describe('Maglev: properties', () => {
  it('fills the table, does not depend on insertion order, and removal moves little besides the node’s keys', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 3, maxLength: 10 })
          .chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray(n, { minLength: n.length }))),
        ([nodes, shuffled]) => {
          const a = build(nodes);
          const b = build(shuffled);
          const before = a.lookupTable();
          expect(before.every((node) => nodes.includes(node))).toBe(true);
          expect(b.lookupTable()).toEqual(before);
          a.remove(nodes[0]!);
          const after = a.lookupTable();
          let others = 0;
          before.forEach((node, i) => {
            expect(after[i]).not.toBe(nodes[0]);
            if (node !== nodes[0] && after[i] !== node) others++;
          });
          // The paper's disruption: a few percent of the table, never a large share.
          expect(others / before.length).toBeLessThan(0.2);
        },
      ),
      { numRuns: 60 },
    );
  });
});
