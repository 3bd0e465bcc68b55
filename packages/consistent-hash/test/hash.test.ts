import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash32, hashWord } from '../src/index.js';

describe('hash32 (MurmurHash3 x86_32)', () => {
  it('matches the reference test vectors', () => {
    expect(hash32('')).toBe(0);
    expect(hash32('', 1)).toBe(0x514e28b7);
    expect(hash32('', 0xffffffff)).toBe(0x81f16f39);
    expect(hash32('\0\0\0\0')).toBe(0x2362f9de);
    expect(hash32('aaaa', 0x9747b28c)).toBe(0x5a97808a);
    expect(hash32('Hello, world!', 0x9747b28c)).toBe(0x24884cba);
    expect(hash32('ππππππππ', 0x9747b28c)).toBe(0xd58063c1);
    expect(hash32('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it('hashes a string as its UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer(), (s, seed) => {
        expect(hash32(s, seed)).toBe(hash32(new Uint8Array(Buffer.from(s, 'utf8')), seed));
      }),
      { numRuns: 300 },
    );
  });

  it('treats a lone surrogate as U+FFFD, as Buffer.from does', () => {
    expect(hash32('a\ud800b')).toBe(hash32('a\ufffdb'));
  });

  it('returns unsigned 32-bit integers', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer(), fc.integer(), (s, word, seed) => {
        for (const h of [hash32(s), hashWord(word, seed)]) {
          expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('hashWord is MurmurHash3 of the word as 4 little-endian bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.nat(), (word, seed) => {
        const bytes = new Uint8Array(4);
        new DataView(bytes.buffer).setUint32(0, word, true);
        expect(hashWord(word, seed)).toBe(hash32(bytes, seed));
      }),
      { numRuns: 200 },
    );
  });

  it('spreads sequential keys evenly over 16 buckets (chi-square)', () => {
    const buckets = new Array(16).fill(0);
    const n = 64_000;
    for (let i = 0; i < n; i++) buckets[hash32(`key:${i}`) >>> 28]++;
    const expected = n / 16;
    const chi = buckets.reduce((sum, b) => sum + (b - expected) ** 2 / expected, 0);
    // 15 degrees of freedom: p = 0.001 at 37.7.
    expect(chi).toBeLessThan(37.7);
  });
});
