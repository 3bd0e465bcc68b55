import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rendezvous } from '../src/index.js';

const names = (min: number, max: number) =>
  fc.uniqueArray(fc.string({ minLength: 1, maxLength: 10 }), { minLength: min, maxLength: max });
const build = (nodes: readonly string[]) => {
  const hrw = new Rendezvous<string>();
  for (const node of nodes) hrw.add(node);
  return hrw;
};

describe('Rendezvous: unit', () => {
  it('handles empty and single-node sets', () => {
    const hrw = new Rendezvous();
    expect(hrw.get('k')).toBeUndefined();
    expect(hrw.getN('k', 2)).toEqual([]);
    hrw.add('a');
    expect(hrw.get('k')).toBe('a');
    expect(hrw.has('a')).toBe(true);
    expect(hrw.remove('a')).toBe(true);
    expect(hrw.remove('a')).toBe(false);
    expect(hrw.size).toBe(0);
  });

  it('rejects bad input with messages naming it', () => {
    // @ts-expect-error: not a function
    expect(() => new Rendezvous({ nodeId: 3 })).toThrow(/nodeId must be a function, got 3/);
    const hrw = new Rendezvous().add('a');
    expect(() => hrw.add('b', { weight: 0 })).toThrow(/weight must be a finite number > 0, got 0/);
    expect(() => hrw.getN('k', 1.5)).toThrow(/n must be an integer >= 0, got 1.5/);
    // @ts-expect-error: not a key
    expect(() => hrw.get(null)).toThrow(TypeError);
  });

  it('gives weighted nodes proportional shares', () => {
    const hrw = new Rendezvous()
      .add('a')
      .add('b', { weight: 3 })
      .add('c', { weight: 0.5 })
      .add('d');
    const counts = new Map<string, number>();
    for (let i = 0; i < 40_000; i++) {
      const node = hrw.get(`key:${i}`)!;
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    const total = 5.5;
    expect(hrw.stats()).toEqual({ name: 'default', nodes: 4, totalWeight: total });
    for (const [node, weight] of [
      ['a', 1],
      ['b', 3],
      ['c', 0.5],
      ['d', 1],
    ] as const) {
      const share = (counts.get(node) ?? 0) / 40_000;
      expect(Math.abs(share - weight / total) / (weight / total)).toBeLessThan(0.06);
    }
  });
});

describe('Rendezvous: properties', () => {
  it('adding a node moves keys only onto it; removing moves only its keys', () => {
    fc.assert(
      fc.property(names(2, 12), (nodes) => {
        const [extra, ...rest] = nodes as [string, ...string[]];
        const hrw = build(rest);
        const before = Array.from({ length: 500 }, (_, i) => hrw.get(`k${i}`));
        hrw.add(extra);
        const after = before.map((_, i) => hrw.get(`k${i}`));
        after.forEach((node, i) => {
          if (node !== before[i]) expect(node).toBe(extra);
        });
        hrw.remove(extra);
        before.forEach((node, i) => {
          expect(hrw.get(`k${i}`)).toBe(node);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('changing one weight moves keys only to or from that node', () => {
    fc.assert(
      fc.property(names(2, 8), fc.double({ min: 0.1, max: 5, noNaN: true }), (nodes, weight) => {
        const hrw = build(nodes);
        const before = Array.from({ length: 300 }, (_, i) => hrw.get(`k${i}`));
        hrw.add(nodes[0]!, { weight });
        before.forEach((node, i) => {
          const now = hrw.get(`k${i}`);
          if (now !== node) expect(now === nodes[0] || node === nodes[0]).toBe(true);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('getN returns distinct nodes, first is get, and does not depend on insertion order', () => {
    fc.assert(
      fc.property(
        names(1, 10).chain((n) =>
          fc.tuple(fc.constant(n), fc.shuffledSubarray(n, { minLength: n.length })),
        ),
        fc.string(),
        fc.nat(12),
        ([nodes, shuffled], key, n) => {
          const a = build(nodes);
          const b = build(shuffled);
          const top = a.getN(key, n);
          expect(top.length).toBe(Math.min(n, nodes.length));
          expect(new Set(top).size).toBe(top.length);
          if (n > 0) expect(top[0]).toBe(a.get(key));
          expect(b.getN(key, n)).toEqual(top);
        },
      ),
      { numRuns: 200 },
    );
  });
});
