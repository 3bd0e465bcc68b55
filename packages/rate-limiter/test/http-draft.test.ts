// The examples of draft-ietf-httpapi-ratelimit-headers-11 (sections 3.2, 4.2 and 6), rebuilt by
// the gate and read back with an independent Structured Field parser (RFC 9651), so a header is
// checked for what a client parses, not for the exact text we happen to write.
import { createHash } from 'node:crypto';
import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { base64ToArrayBuffer, parseList } from 'structured-headers';
import { describe, expect, it } from 'vitest';
import { Gate, type Verdict } from '../src/http/gate.js';
import {
  fixedWindow,
  gcra,
  leakyBucket,
  MemoryRateLimiter,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../src/index.js';
import type { Decision, RateLimiter } from '../src/types.js';

type Member = { name: unknown; params: Record<string, unknown> };

/** A field value as a client sees it: list members with their parameters (byte sequences as hex). */
function parsed(field: string): Member[] {
  return parseList(field).map(([name, params]) => ({
    name,
    params: Object.fromEntries(
      [...params].map(([key, value]) => [
        key,
        value instanceof ArrayBuffer ? Buffer.from(value).toString('hex') : value,
      ]),
    ),
  }));
}

function fixed(
  name: string,
  windowMs: number,
  decision: Omit<Decision, 'limit'> & { limit: number },
) {
  return {
    policy: { name, limit: decision.limit, windowMs },
    consume: () => decision,
    peek: () => decision,
    reset() {},
  } satisfies RateLimiter;
}

const verdictOf = (options: ConstructorParameters<typeof Gate<object>>[0]) =>
  new Gate<object>(options, () => 'client-1').check({}) as Verdict;

const bytes = (base64: string) => new Uint8Array(base64ToArrayBuffer(base64));

describe('draft-ietf-httpapi-ratelimit-headers-11 examples', () => {
  it('3.2: RateLimit-Policy: "default";q=100;w=10', () => {
    const limiter = fixed('default', 10_000, {
      allowed: true,
      limit: 100,
      remaining: 50,
      resetMs: 30_000,
      retryAfterMs: 0,
    });
    const verdict = verdictOf({ limiter });
    expect(parsed(verdict.policy)).toEqual(parsed('"default";q=100;w=10'));
    // 4.2: RateLimit: "default";r=50;t=30
    expect(parsed(verdict.rateLimit)).toEqual(parsed('"default";r=50;t=30'));
  });

  it('3.2: several policies: "permin";q=50;w=60,"perhr";q=1000;w=3600, one service limit each', () => {
    const perMinute = fixed('permin', 60_000, {
      allowed: true,
      limit: 50,
      remaining: 20,
      resetMs: 23_000,
      retryAfterMs: 0,
    });
    const perHour = fixed('perhr', 3_600_000, {
      allowed: true,
      limit: 1000,
      remaining: 399,
      resetMs: 2_402_000,
      retryAfterMs: 0,
    });
    const verdict = verdictOf({ limiter: [perMinute, perHour] });
    expect(parsed(verdict.policy)).toEqual(parsed('"permin";q=50;w=60,"perhr";q=1000;w=3600'));
    expect(parsed(verdict.rateLimit)).toEqual(parsed('"permin";r=20;t=23,"perhr";r=399;t=2402'));
  });

  it('3.2: a policy with a partition key: "peruser";q=100;w=60;pk=:cHsdsRa894==:', () => {
    const limiter = fixed('peruser', 60_000, {
      allowed: true,
      limit: 100,
      remaining: 4,
      resetMs: 60_000,
      retryAfterMs: 0,
    });
    const verdict = verdictOf({ limiter, partitionKey: () => bytes('cHsdsRa894==') });
    expect(parsed(verdict.policy)).toEqual(parsed('"peruser";q=100;w=60;pk=:cHsdsRa894==:'));
    expect(parsed(verdict.rateLimit)).toEqual(parsed('"peruser";r=4;t=60;pk=:cHsdsRa894==:'));
  });

  it('4.2: "default";r=300000000;t=60;pk=:QXBwLTk5OQ==: (the partition key of App-999)', () => {
    const limiter = fixed('default', 60_000, {
      allowed: true,
      limit: 300_000_000,
      remaining: 300_000_000,
      resetMs: 60_000,
      retryAfterMs: 0,
    });
    const verdict = verdictOf({
      limiter,
      partitionKey: () => Buffer.from('App-999'),
    });
    expect(parsed(verdict.rateLimit)).toEqual(
      parsed('"default";r=300000000;t=60;pk=:QXBwLTk5OQ==:'),
    );
  });

  it('6: "problemPolicy";r=0;t=10, and Retry-After never points before the effective window ends', () => {
    const limiter = fixed('problemPolicy', 10_000, {
      allowed: false,
      limit: 5,
      remaining: 0,
      resetMs: 10_000,
      retryAfterMs: 4_000, // a custom limiter's Retry-After earlier than its own t
    });
    const verdict = verdictOf({ limiter });
    expect(verdict.allowed).toBe(false);
    expect(parsed(verdict.rateLimit)).toEqual(parsed('"problemPolicy";r=0;t=10'));
    expect(verdict.retryAfter).toBe(10);
  });

  it('pk by default: 12 bytes of the SHA-256 of the key, never the key itself', () => {
    const limiter = new MemoryRateLimiter(fixedWindow({ limit: 3, windowMs: 60_000 }), {
      clock: new FakeClock(0),
    });
    const verdict = verdictOf({ limiter, partitionKey: true });
    const expected = createHash('sha256').update('client-1').digest().subarray(0, 12);
    const [member] = parsed(verdict.rateLimit);
    expect(member!.params.pk).toBe(expected.toString('hex'));
    expect(parsed(verdict.policy)[0]!.params.pk).toBe(expected.toString('hex'));
    expect(verdict.rateLimit).not.toContain('client-1');
    expect(() => verdictOf({ limiter, partitionKey: 'yes' as never })).toThrow(
      new TypeError('partitionKey must be a boolean or a function, got "yes"'),
    );
    expect(() => verdictOf({ limiter, partitionKey: () => 'abc' as never })).toThrow(
      /partitionKey\(key\) must return a Uint8Array, got "abc"/,
    );
  });
});

describe('every algorithm: t is the wait for more quota, and Retry-After is never earlier', () => {
  const specs = [
    tokenBucket({ capacity: 5, refillPerSecond: 0.7 }),
    leakyBucket({ capacity: 5, leakPerSecond: 0.7 }),
    fixedWindow({ limit: 5, windowMs: 7_000 }),
    slidingWindowLog({ limit: 5, windowMs: 7_000 }),
    slidingWindowCounter({ limit: 5, windowMs: 7_000 }),
    gcra({ limit: 5, periodMs: 7_000, burst: 2 }),
  ];

  it.each(specs.map((spec) => [spec.kind, spec] as const))('%s', (_, spec) => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 1, max: 3 })), {
          minLength: 1,
          maxLength: 30,
        }),
        (steps) => {
          const clock = new FakeClock(1_000_000);
          const limiter = new MemoryRateLimiter(spec, { clock });
          for (const [gap, cost] of steps) {
            clock.advance(gap);
            const verdict = new Gate<object>({ limiter, cost }, () => 'k').check({}) as Verdict;
            const [member] = parsed(verdict.rateLimit);
            const t = member!.params.t as number;
            expect(member!.params.r).toBe(verdict.decision.remaining);
            expect(t).toBe(Math.ceil(verdict.decision.resetMs / 1000));
            // t is 0 only at full quota; a refusal's Retry-After never points before t
            expect(t === 0).toBe(verdict.decision.remaining === limiter.limit);
            if (!verdict.allowed) {
              expect(verdict.decision.resetMs).toBeLessThanOrEqual(verdict.decision.retryAfterMs);
              expect(verdict.retryAfter).toBeGreaterThanOrEqual(t);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
