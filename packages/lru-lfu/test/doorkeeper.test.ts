import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CountMinSketch, hashKey } from '../src/count-min-sketch.js';
import { Doorkeeper } from '../src/doorkeeper.js';

describe('Doorkeeper', () => {
  it('admits a key on its second sight, never forgets one before clear()', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 200 }), (keys) => {
        const door = new Doorkeeper(1024);
        const seen = new Set<number>();
        for (const k of keys) {
          const h = hashKey(k);
          const before = door.admit(h);
          if (seen.has(k)) expect(before).toBe(true); // no false negatives
          seen.add(k);
          expect(door.has(h)).toBe(true);
        }
        door.clear();
        for (const k of seen) expect(door.has(hashKey(k))).toBe(false);
      }),
    );
  });

  it('keeps one-off keys out of the sketch, and counts them as one in estimates', () => {
    const sketch = new CountMinSketch(64, true);
    const once = hashKey('once');
    sketch.increment(once);
    expect(sketch.estimate(once)).toBe(1);
    sketch.increment(once);
    sketch.increment(once);
    expect(sketch.estimate(once)).toBe(3);
    sketch.age(); // halves the table, empties the doorkeeper
    expect(sketch.estimate(once)).toBe(1);
    sketch.grow(10_000); // a bigger doorkeeper starts empty, the table keeps its counts
    expect(sketch.estimate(once)).toBe(1);
    sketch.clear();
    expect(sketch.estimate(once)).toBe(0);
  });
});
