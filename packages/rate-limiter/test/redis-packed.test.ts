// The packed reply of an admission (src/redis/packed.ts): pack and unpack are exact over the
// whole documented range and refuse anything outside it; and on a real Redis, with parameters
// chosen so that `remaining` and `resetMs` straddle the bounds, every script replies packed
// exactly when the JS model says the fields fit, falls back to the table otherwise, and decides
// like the memory store either way.
import { describeRedis, FakeClock, sharedStandalone, uniquePrefix } from '@bulwark/test-utils';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  fixedWindow,
  gcra,
  leakyBucket,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../src/index.js';
import {
  pack,
  packedRemaining,
  packedResetMs,
  REMAINING_LIMIT,
  RESET_LIMIT,
} from '../src/redis/packed.js';
import { RedisRateLimiter } from '../src/redis.js';
import type { AlgorithmSpec } from '../src/types.js';
import { memoryLimiter } from './redis-helpers.js';

// Integers in [min, max], with the ends and their neighbours drawn often.
function edgy(min: number, max: number): fc.Arbitrary<number> {
  return fc.oneof(fc.constantFrom(min, min + 1, max - 1, max), fc.integer({ min, max }));
}

describe('packed reply', () => {
  it('unpacks to the same fields over the whole range, below 2^53', () => {
    fc.assert(
      fc.property(edgy(0, REMAINING_LIMIT - 1), edgy(0, RESET_LIMIT - 1), (remaining, resetMs) => {
        const packed = pack(remaining, resetMs);
        expect(packed).toBeDefined();
        expect(Number.isSafeInteger(packed)).toBe(true);
        expect(packedRemaining(packed!)).toBe(remaining);
        expect(packedResetMs(packed!)).toBe(resetMs);
      }),
    );
    expect(pack(REMAINING_LIMIT - 1, RESET_LIMIT - 1)).toBe(2 ** 53 - 1);
  });

  it('refuses a field that does not fit, so the script replies with the table', () => {
    const beyond = (limit: number) => fc.oneof(edgy(limit, limit * 4), edgy(-4, -1));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(beyond(REMAINING_LIMIT), edgy(0, RESET_LIMIT - 1)),
          fc.tuple(edgy(0, REMAINING_LIMIT - 1), beyond(RESET_LIMIT)),
          fc.tuple(beyond(REMAINING_LIMIT), beyond(RESET_LIMIT)),
        ),
        ([remaining, resetMs]) => {
          expect(pack(remaining, resetMs)).toBeUndefined();
        },
      ),
    );
  });
});

const R = REMAINING_LIMIT;
const T = RESET_LIMIT;
const nearR = edgy(R - 3, R + 3);
const nearT = edgy(T - 3, T + 3);
const small = fc.integer({ min: 1, max: 5 });
// Refill or leak rates whose time to one unit is about 2^23 ms, or short ones.
const slowRate = fc.constantFrom(1000 / (T - 1), 1000 / T, 1000 / (T + 1), 1000 / (T + 7));
const fastRate = fc.constantFrom(1, 0.5, 1000 / 3);
// A bucket of about 2^30 units (refilling fast) or a small one refilling in about 2^23 ms: the
// factories refuse both at once (the time to full must stay below 2^53 ms).
const bucket = fc.oneof(fc.tuple(nearR, fastRate), fc.tuple(small, slowRate));
// A quota near 2^30 or a time near 2^23 (both, where the algorithm allows it).
const specs: Record<string, fc.Arbitrary<AlgorithmSpec>> = {
  'token bucket': bucket.map(([capacity, refillPerSecond]) =>
    tokenBucket({ capacity, refillPerSecond }),
  ),
  'leaky bucket': bucket.map(([capacity, leakPerSecond]) =>
    leakyBucket({ capacity, leakPerSecond }),
  ),
  gcra: fc
    .oneof(
      fc.record({ limit: fc.constantFrom(1, 2), periodMs: fc.constantFrom(1000, 7), burst: nearR }),
      fc.record({ limit: fc.constantFrom(1, 2), periodMs: nearT, burst: small }),
    )
    .map((o) => gcra(o)),
  'fixed window': fc
    .record({ limit: fc.oneof(nearR, small), windowMs: fc.oneof(nearT, fc.constant(1000)) })
    .map((o) => fixedWindow(o)),
  'fixed window from the first hit': fc
    .record({ limit: fc.oneof(nearR, small), windowMs: fc.oneof(nearT, fc.constant(1000)) })
    .map((o) => fixedWindow({ ...o, anchor: 'first-hit' })),
  'sliding window log': fc
    .record({ limit: fc.oneof(nearR, small), windowMs: fc.oneof(nearT, fc.constant(1000)) })
    .map((o) => slidingWindowLog(o)),
  // limit x windowMs must stay below 2^53: a quota near 2^30 or a window near 2^23.
  'sliding window counter': fc
    .oneof(
      fc.record({ limit: nearR, windowMs: fc.constant(1000) }),
      fc.record({ limit: small, windowMs: nearT }),
    )
    .map((o) => slidingWindowCounter(o)),
};

// The largest cost the spec takes at once.
function maxCostOf(spec: AlgorithmSpec): number {
  if (spec.kind === 'token-bucket' || spec.kind === 'leaky-bucket') return spec.capacity;
  if (spec.kind === 'gcra') return spec.burst + 1;
  return spec.limit;
}

type Op = { peek: boolean; cost: number; advance: number };
const op: fc.Arbitrary<Op> = fc.record({
  peek: fc.boolean(),
  cost: fc.integer({ min: 1, max: 4 }),
  advance: fc.oneof(fc.integer({ min: 0, max: 50 }), edgy(T - 3, T + 3)),
});

describeRedis('packed replies from the scripts', () => {
  let redis: Redis;
  sharedStandalone((client) => {
    redis = client;
  });

  for (const [name, specArb] of Object.entries(specs)) {
    it(`${name}: packed exactly when the fields fit, and decides like memory`, async () => {
      let replies: unknown[] = [];
      // The caller's client, recording every raw script reply.
      const record = (reply: unknown) => {
        replies.push(reply);
        return reply;
      };
      const recording = {
        evalsha: (...a: Parameters<Redis['evalsha']>) => redis.evalsha(...a).then(record),
        eval: (...a: Parameters<Redis['eval']>) => redis.eval(...a).then(record),
      };
      const shapes = { packed: 0, table: 0 };
      await fc.assert(
        fc.asyncProperty(
          specArb,
          fc.array(op, { minLength: 1, maxLength: 8 }),
          async (spec, sequence) => {
            const clock = new FakeClock(1_764_600_000_123);
            const memory = memoryLimiter(spec, clock);
            const remote = new RedisRateLimiter(spec, {
              redis: recording as never,
              prefix: uniquePrefix('packed'),
              clock,
              onStoreError: () => {
                throw new Error('Redis failed during the packed-reply test');
              },
            });
            for (const { peek, advance, ...rest } of sequence) {
              const cost = Math.min(rest.cost, maxCostOf(spec));
              clock.advance(advance);
              replies = [];
              const expected = peek ? memory.peek('k') : memory.consume('k', cost);
              const actual = peek ? await remote.peek('k') : await remote.consume('k', cost);
              expect(actual).toEqual(expected);
              expect(replies).toHaveLength(1);
              const fits = actual.allowed && pack(actual.remaining, actual.resetMs) !== undefined;
              expect(typeof replies[0] === 'number').toBe(fits);
              shapes[fits ? 'packed' : 'table']++;
            }
          },
        ),
        { numRuns: 40 },
      );
      // Both shapes came up: the bounds were straddled.
      expect(shapes.packed).toBeGreaterThan(0);
      expect(shapes.table).toBeGreaterThan(0);
    });
  }

  it('lease mode reads a packed admission (a cost of at least the batch asks for no more)', async () => {
    const spec = fixedWindow({ limit: 10, windowMs: 60_000 });
    const clock = new FakeClock(1_764_600_000_123);
    const memory = memoryLimiter(spec, clock);
    const leased = new RedisRateLimiter(spec, {
      redis,
      prefix: uniquePrefix('packed-lease'),
      clock,
      lease: { batch: 2 },
    });
    for (const cost of [2, 3, 2, 4]) {
      clock.advance(10);
      expect(await leased.consume('k', cost)).toEqual(memory.consume('k', cost));
    }
    expect(leased.stats()).toMatchObject({ allowed: 3, rejected: 1, storeErrors: 0 });
  });
});
