import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BackoffStrategy,
  backoffDelay,
  exponentialDelay,
  resolveBackoff,
} from '../src/index.js';

const params = fc.record({
  baseMs: fc.double({ min: 0, max: 10_000, noNaN: true }).map((x) => x + 0),
  extra: fc.double({ min: 0, max: 100_000, noNaN: true }).map((x) => x + 0),
  factor: fc.double({ min: 1, max: 10, noNaN: true }),
  n: fc.integer({ min: 1, max: 2_000 }),
  previous: fc.double({ min: 0, max: 200_000, noNaN: true }),
  r: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});

describe('backoff strategies stay within their bounds (property)', () => {
  it('constant = min(base, cap)', () => {
    fc.assert(
      fc.property(params, ({ baseMs, extra, factor, n, previous, r }) => {
        const cap = baseMs + extra;
        expect(backoffDelay('constant', n, previous, () => r, baseMs, cap, factor)).toBe(baseMs);
      }),
    );
  });

  it('exponential = min(cap, base × factor^(n-1)), never decreasing in n', () => {
    fc.assert(
      fc.property(params, ({ baseMs, extra, factor, n }) => {
        const cap = baseMs + extra;
        const d = backoffDelay('exponential', n, 0, Math.random, baseMs, cap, factor);
        expect(d).toBe(baseMs === 0 ? 0 : Math.min(cap, baseMs * factor ** (n - 1)));
        expect(d).toBeLessThanOrEqual(cap);
        expect(d).toBeGreaterThanOrEqual(Math.min(baseMs, cap));
        expect(
          backoffDelay('exponential', n + 1, 0, Math.random, baseMs, cap, factor),
        ).toBeGreaterThanOrEqual(d);
      }),
    );
  });

  it('full jitter lies in [0, exponential(n)] and reaches both ends', () => {
    fc.assert(
      fc.property(params, ({ baseMs, extra, factor, n, r }) => {
        const cap = baseMs + extra;
        const e = exponentialDelay(n, baseMs, cap, factor);
        const d = backoffDelay('full-jitter', n, 0, () => r, baseMs, cap, factor);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(e);
        expect(backoffDelay('full-jitter', n, 0, () => 0, baseMs, cap, factor)).toBe(0);
      }),
    );
  });

  it('equal jitter lies in [exponential(n)/2, exponential(n)]', () => {
    fc.assert(
      fc.property(params, ({ baseMs, extra, factor, n, r }) => {
        const cap = baseMs + extra;
        const e = exponentialDelay(n, baseMs, cap, factor);
        const d = backoffDelay('equal-jitter', n, 0, () => r, baseMs, cap, factor);
        expect(d).toBeGreaterThanOrEqual(e / 2);
        expect(d).toBeLessThanOrEqual(e);
      }),
    );
  });

  it('decorrelated jitter lies in [min(base, cap), min(cap, max(base, 3 × previous))]', () => {
    fc.assert(
      fc.property(params, ({ baseMs, extra, factor, n, previous, r }) => {
        const cap = baseMs + extra;
        const d = backoffDelay('decorrelated-jitter', n, previous, () => r, baseMs, cap, factor);
        const prev = previous > 0 ? previous : baseMs;
        expect(d).toBeGreaterThanOrEqual(Math.min(baseMs, cap));
        expect(d).toBeLessThanOrEqual(Math.min(cap, Math.max(baseMs, 3 * prev)) + 1e-9);
      }),
    );
  });

  it('every strategy: a chain of delays never exceeds the cap nor goes negative', () => {
    const strategies: BackoffStrategy[] = [
      'constant',
      'exponential',
      'full-jitter',
      'equal-jitter',
      'decorrelated-jitter',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...strategies),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
          minLength: 1,
          maxLength: 40,
        }),
        (strategy, baseMs, extra, randoms) => {
          const backoff = resolveBackoff({ strategy, baseMs, maxDelayMs: baseMs + extra });
          let previous = 0;
          randoms.forEach((r, i) => {
            const d = backoff.delay(i + 1, previous, () => r);
            expect(d).toBeGreaterThanOrEqual(0);
            expect(d).toBeLessThanOrEqual(baseMs + extra);
            previous = d;
          });
        },
      ),
    );
  });
});

describe('resolveBackoff', () => {
  it('defaults to full jitter, 100 ms base, 30 s cap, factor 2', () => {
    const b = resolveBackoff(undefined);
    expect([b.strategy, b.baseMs, b.maxDelayMs, b.factor]).toEqual(['full-jitter', 100, 30_000, 2]);
    expect(b.delay(3, 0, () => 0.5)).toBe(200);
  });

  it('a baseMs above the default cap lifts the default cap to it', () => {
    const b = resolveBackoff({ strategy: 'constant', baseMs: 60_000 });
    expect([b.baseMs, b.maxDelayMs]).toEqual([60_000, 60_000]);
    expect(b.delay(1, 0, Math.random)).toBe(60_000);
    expect(resolveBackoff({ strategy: 'exponential', baseMs: 50 }).maxDelayMs).toBe(30_000);
  });

  it('wraps a custom function and clamps what it returns', () => {
    const b = resolveBackoff((n) => (n === 1 ? -5 : n === 2 ? Number.NaN : n * 10));
    expect(b.delay(1, 0, Math.random)).toBe(0);
    expect(b.delay(2, 0, Math.random)).toBe(0);
    expect(b.delay(3, 0, Math.random)).toBe(30);
  });

  it('rejects bad options, naming them', () => {
    expect(() => resolveBackoff({ strategy: 'linear' as BackoffStrategy })).toThrow(
      /backoff.strategy must be one of .*got "linear"/,
    );
    expect(() => resolveBackoff({ baseMs: -1 })).toThrow(RangeError);
    expect(() => resolveBackoff({ baseMs: -1 })).toThrow(/backoff.baseMs/);
    expect(() => resolveBackoff({ baseMs: 500, maxDelayMs: 100 })).toThrow(
      'backoff.maxDelayMs must be >= baseMs (500), got 100',
    );
    expect(() => resolveBackoff({ factor: 0.5 })).toThrow(/backoff.factor .* got 0.5/);
    expect(() => resolveBackoff({ baseMs: '1' as unknown as number })).toThrow(TypeError);
    expect(() => resolveBackoff(5 as unknown as undefined)).toThrow(
      /backoff must be an object or a function, got 5/,
    );
  });
});
