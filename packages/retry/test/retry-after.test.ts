import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryAfterOf } from '../src/index.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 3 ', NOW)).toBe(3_000);
    expect(parseRetryAfter('1.5', NOW)).toBe(1_500);
  });

  it('reads an HTTP-date against now, a past date being 0', () => {
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 12:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', NOW)).toBe(0);
  });

  it('gives undefined for anything else', () => {
    for (const bad of ['', '  ', '-5', 'soon', '1e3', 'NaN'])
      expect(parseRetryAfter(bad, NOW)).toBeUndefined();
  });

  it('any non-negative integer of seconds round-trips (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (s) => {
        expect(parseRetryAfter(String(s), NOW)).toBe(s * 1000);
      }),
    );
  });
});

describe('retryAfterOf', () => {
  it('prefers retryAfterMs, then headers, then response.headers', () => {
    expect(retryAfterOf({ retryAfterMs: 250, headers: { 'retry-after': '9' } }, NOW)).toBe(250);
    expect(retryAfterOf({ retryAfterMs: Number.POSITIVE_INFINITY }, NOW)).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(retryAfterOf({ retryAfterMs: -1, headers: { 'retry-after': '9' } }, NOW)).toBe(9_000);
    expect(retryAfterOf({ headers: { 'Retry-After': '2' } }, NOW)).toBe(2_000);
    expect(retryAfterOf({ headers: { 'retry-after': ['4', '5'] } }, NOW)).toBe(4_000);
    expect(retryAfterOf({ response: { headers: new Headers({ 'retry-after': '1' }) } }, NOW)).toBe(
      1_000,
    );
  });

  it('gives undefined when nothing usable is carried', () => {
    for (const e of [
      undefined,
      null,
      'str',
      42,
      new Error('x'),
      { headers: null },
      { headers: { 'retry-after': 'later' } },
    ])
      expect(retryAfterOf(e, NOW)).toBeUndefined();
  });
});
