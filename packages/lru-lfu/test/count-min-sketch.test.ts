import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CountMinSketch, hashKey } from '../src/count-min-sketch.js';

describe('CountMinSketch', () => {
  it('rejects a bad expectedKeys, naming it', () => {
    expect(() => new CountMinSketch(0)).toThrow(/expectedKeys must be an integer >= 1, got 0/);
    expect(() => new CountMinSketch(Number.NaN)).toThrow(RangeError);
    expect(() => new CountMinSketch(2.5)).toThrow(RangeError);
    expect(() => new CountMinSketch('64' as unknown as number)).toThrow(TypeError);
    expect(new CountMinSketch(1).width).toBe(128);
  });

  it('never undercounts (up to 15) before aging', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 150 }), (keys) => {
        const sketch = new CountMinSketch(64);
        const counts = new Map<number, number>();
        for (const k of keys) {
          sketch.increment(hashKey(k));
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
        for (const [k, n] of counts)
          expect(sketch.estimate(hashKey(k))).toBeGreaterThanOrEqual(Math.min(n, 15));
      }),
    );
  });

  it('estimates rare keys as rare', () => {
    const sketch = new CountMinSketch(1024);
    for (let k = 0; k < 1000; k++) sketch.increment(hashKey(k));
    let over = 0;
    for (let k = 0; k < 1000; k++) if (sketch.estimate(hashKey(k)) > 2) over++;
    expect(over).toBeLessThan(20);
  });

  it('halves counts on age(), and ages by itself after sampleSize increments', () => {
    const sketch = new CountMinSketch(16);
    expect(sketch.width).toBe(128);
    expect(sketch.sampleSize).toBe(640);
    const hot = hashKey('hot');
    for (let i = 0; i < 12; i++) sketch.increment(hot);
    expect(sketch.estimate(hot)).toBe(12);
    sketch.age();
    expect(sketch.estimate(hot)).toBe(6);
    for (let i = 0; i < 9; i++) sketch.increment(hot);
    let k = 0;
    while (sketch.estimate(hot) >= 15 && k < 1000) sketch.increment(hashKey(`cold${k++}`));
    expect(k).toBeLessThanOrEqual(640);
    expect(sketch.estimate(hot)).toBeLessThanOrEqual(7);
    sketch.clear();
    expect(sketch.estimate(hot)).toBe(0);
  });

  it('hashes by value for numbers and strings, by identity for objects', () => {
    expect(hashKey(42)).toBe(hashKey(42));
    expect(hashKey('k')).toBe(hashKey('k'));
    expect(hashKey(0)).toBe(hashKey(-0));
    expect(hashKey(1.5)).toBe(hashKey(1.5));
    const a = {};
    expect(hashKey(a)).toBe(hashKey(a));
    expect(hashKey(a)).not.toBe(hashKey({}));
  });
});

describe('CountMinSketch layout', () => {
  it('property: the counters of a key share one 64-byte block; keys spread over every block', () => {
    // Black-box: after one increment of a key, the only nonzero words of the table are in one
    // block of 16 words, one in each quarter.
    fc.assert(
      fc.property(fc.integer(), (hash) => {
        const sketch = new CountMinSketch(1024);
        sketch.increment(hash);
        const table = (sketch as unknown as { table: Uint32Array }).table;
        const touched = [...table.keys()].filter((w) => table[w] !== 0);
        expect(touched).toHaveLength(4);
        const block = touched[0]! >> 4;
        expect(touched.map((w) => w >> 4)).toEqual([block, block, block, block]);
        expect(touched.map((w) => (w & 15) >> 2)).toEqual([0, 1, 2, 3]);
      }),
      { numRuns: 50 },
    );
    const sketch = new CountMinSketch(1024);
    const table = (sketch as unknown as { table: Uint32Array }).table;
    for (let k = 0; k < 20_000; k++) sketch.increment(hashKey(`key:${k}`));
    let emptyBlocks = 0;
    for (let b = 0; b < table.length; b += 16)
      if (table.subarray(b, b + 16).every((w) => w === 0)) emptyBlocks++;
    expect(emptyBlocks).toBe(0);
  });
});

describe('CountMinSketch.grow', () => {
  it('widens the table and keeps every estimate', () => {
    const sketch = new CountMinSketch(16);
    const hashes = Array.from({ length: 200 }, (_, i) => hashKey(`key:${i}`));
    hashes.forEach((h, i) => {
      for (let n = 0; n < i % 7; n++) sketch.increment(h);
    });
    const before = hashes.map((h) => sketch.estimate(h));
    sketch.grow(1_000);
    expect(sketch.width).toBe(8 * 1024);
    expect(sketch.sampleSize).toBe(40 * 1024);
    expect(hashes.map((h) => sketch.estimate(h))).toEqual(before);
    sketch.grow(10); // never shrinks
    expect(sketch.width).toBe(8 * 1024);
  });
});
