import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash32, jumpHash } from '../src/index.js';

// The paper's algorithm, written with BigInt exactly as its C++ listing reads.
function jumpReference(key: bigint, buckets: number): number {
  let b = -1n;
  let j = 0n;
  while (j < BigInt(buckets)) {
    b = j;
    key = BigInt.asUintN(64, key * 2862933555777941757n + 1n);
    j = BigInt(Math.floor(Number(b + 1n) * (2 ** 31 / Number((key >> 33n) + 1n))));
  }
  return Number(b);
}

describe('jumpHash', () => {
  it('matches the paper’s 64-bit algorithm for integer keys', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.integer({ min: 1, max: 100_000 }),
        (key, buckets) => {
          expect(jumpHash(key, buckets)).toBe(jumpReference(key, buckets));
        },
      ),
      { numRuns: 2000 },
    );
    expect(jumpHash(Number.MAX_SAFE_INTEGER, 1000)).toBe(jumpReference(2n ** 53n - 1n, 1000));
    expect(jumpHash(-1n, 1000)).toBe(jumpReference(2n ** 64n - 1n, 1000));
  });

  it('hashes strings and bytes to 64 bits with two seeds', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 1000 }), (key, buckets) => {
        const wide = (BigInt(hash32(key, 0x9747b28c)) << 32n) | BigInt(hash32(key));
        expect(jumpHash(key, buckets)).toBe(jumpReference(wide, buckets));
        expect(jumpHash(new TextEncoder().encode(key), buckets)).toBe(jumpHash(key, buckets));
      }),
      { numRuns: 300 },
    );
  });

  it('moves keys only into the new bucket when one is added', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (buckets) => {
        let moved = 0;
        for (let i = 0; i < 2000; i++) {
          const before = jumpHash(`key:${i}`, buckets);
          const after = jumpHash(`key:${i}`, buckets + 1);
          if (after !== before) {
            expect(after).toBe(buckets);
            moved++;
          }
        }
        const expected = 2000 / (buckets + 1);
        expect(Math.abs(moved - expected)).toBeLessThanOrEqual(6 * Math.sqrt(expected) + 1);
      }),
      { numRuns: 30 },
    );
  });

  it('stays in [0, buckets)', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 2 ** 31 }), (key, buckets) => {
        const bucket = jumpHash(key, buckets);
        expect(bucket >= 0 && bucket < buckets && Number.isInteger(bucket)).toBe(true);
      }),
    );
  });

  it('rejects bad input with messages naming it', () => {
    expect(() => jumpHash('k', 0)).toThrow(/buckets must be an integer in \[1, 2\^31\], got 0/);
    expect(() => jumpHash('k', 2 ** 31 + 1)).toThrow(RangeError);
    expect(() => jumpHash(-1, 10)).toThrow(/key must be a safe integer >= 0, got -1/);
    expect(() => jumpHash(0.5, 10)).toThrow(RangeError);
    // @ts-expect-error: not a key
    expect(() => jumpHash({}, 10)).toThrow(TypeError);
  });
});
