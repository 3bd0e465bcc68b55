// XFetch: the probability that a hit g ms before expiry refreshes early is exp(−g / (δ·β)).
// Measured with a seeded random over many draws, within a tolerance of 4.5 standard deviations.
import { FakeClock, seededRandom } from '@bulwark/test-utils';
import { describe, expect, it } from 'vitest';
import { createCache, refreshesEarly } from '../src/index.js';

const DRAWS = 20_000;

function tolerance(p: number, n: number): number {
  return 4.5 * Math.sqrt((p * (1 - p)) / n) + 1e-3;
}

describe('XFetch refresh probability', () => {
  for (const beta of [0.5, 1, 2]) {
    it(`follows exp(−g/(δ·β)) at each remaining time, β = ${beta}`, () => {
      const random = seededRandom(42 + beta * 10);
      const delta = 40;
      const expiry = 10_000;
      for (const ratio of [0.05, 0.25, 0.5, 1, 2, 4]) {
        const gap = ratio * delta * beta;
        let refreshes = 0;
        for (let i = 0; i < DRAWS; i++)
          if (refreshesEarly(expiry - gap, expiry, delta, beta, random)) refreshes++;
        const expected = Math.exp(-ratio);
        expect(Math.abs(refreshes / DRAWS - expected)).toBeLessThan(tolerance(expected, DRAWS));
      }
    });
  }

  it('never refreshes when the expiry is beyond reach of any draw, and draws nothing then', () => {
    let draws = 0;
    const random = () => {
      draws++;
      return Number.MIN_VALUE;
    };
    expect(refreshesEarly(0, 40 * 100, 100, 1, random)).toBe(false);
    expect(refreshesEarly(0, 1, 0, 1, random)).toBe(false);
    expect(draws).toBe(0);
    expect(refreshesEarly(0, 3_000, 100, 1, random)).toBe(true);
  });

  it('through the cache: hits g ms before expiry start early refreshes at the predicted rate', async () => {
    const clock = new FakeClock(0);
    const keys = 4_000;
    const cache = createCache<number>({
      clock,
      ttlMs: 1_000,
      max: keys,
      eviction: 'lru',
      random: seededRandom(7),
    });
    // Every key's load takes δ = 100 ms on the fake clock.
    const slow = () => new Promise<number>((resolve) => clock.setTimeout(() => resolve(1), 100));
    const loads = Array.from({ length: keys }, (_, i) => cache.get(`k${i}`, slow));
    await clock.advanceAsync(100);
    await Promise.all(loads);
    clock.advance(1_000 - 100); // 100 ms (= δ) before expiry
    for (let i = 0; i < keys; i++) await cache.get(`k${i}`, slow);
    const rate = cache.stats().earlyRefreshes / keys;
    const expected = Math.exp(-1);
    expect(Math.abs(rate - expected)).toBeLessThan(tolerance(expected, keys));
    await clock.advanceAsync(100);
    await cache.close();
  });
});
