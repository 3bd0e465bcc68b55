// The buckets and GCRA keep a key's TTL while it lasts: their state carries a third double,
// `expires` (script ms), the end of the TTL last set. Checked here against a real server:
// - after every admitted write, `expires` is no earlier than the moment the stored state decides
//   like a fresh key (the algorithm's isIdle), and no later than the longest idle time the
//   parameters allow; the key's TTL in Redis runs at least to `expires`;
// - a fresh key gets exactly its idle time; a key written again gets twice it, and later writes
//   within that keep the TTL;
// - state written by the previous scripts (two doubles, test/previous-scripts.ts) reads on: a
//   sequence run first through a previous script and then through the current one decides as
//   the memory store does.
import { describeRedis, FakeClock, sharedStandalone, uniquePrefix } from '@bulwark/test-utils';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { algorithmFor } from '../src/algorithms/index.js';
import { gcra, leakyBucket, tokenBucket } from '../src/index.js';
import { RedisRateLimiter } from '../src/redis.js';
import type { AlgorithmSpec, Decision } from '../src/types.js';
import { previousScript } from './previous-scripts.js';
import { memoryLimiter } from './redis-helpers.js';

// What the scripts add to every TTL when the test clock, not the server, gives the time.
const PAD = 3_600_000;

type Op = { key: string; cost: number; advance: number };

const ops = (maxCost: number): fc.Arbitrary<Op[]> =>
  fc.array(
    fc.record({
      key: fc.constantFrom('a', 'b'),
      // 0 is a peek
      cost: fc.oneof(
        { weight: 1, arbitrary: fc.constant(0) },
        { weight: 6, arbitrary: fc.integer({ min: 1, max: maxCost }) },
      ),
      advance: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0, max: 50 }) },
        { weight: 3, arbitrary: fc.integer({ min: 0, max: 2_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 20_000 }) },
      ),
    }),
    { minLength: 1, maxLength: 40 },
  );

const rate = fc.oneof(
  fc.constantFrom(1, 0.5, 3, 7.5, 1000 / 3, 0.1, 2.2),
  fc.integer({ min: 1, max: 50_000 }).map((n) => n / 1000),
);
const limit = fc.integer({ min: 1, max: 12 });
const spec: fc.Arbitrary<AlgorithmSpec> = fc.oneof(
  fc.record({ capacity: limit, refillPerSecond: rate }).map((o) => tokenBucket(o)),
  fc.record({ capacity: limit, leakPerSecond: rate }).map((o) => leakyBucket(o)),
  fc
    .record({
      limit,
      periodMs: fc.oneof(fc.constantFrom(1000, 60_000, 7), fc.integer({ min: 1, max: 10_000 })),
      burst: fc.integer({ min: 0, max: 6 }),
    })
    .map((o) => gcra(o)),
);

const maxCostOf = (s: AlgorithmSpec): number =>
  s.kind === 'gcra'
    ? s.burst + 1
    : s.kind === 'token-bucket' || s.kind === 'leaky-bucket'
      ? s.capacity
      : 1;

// The longest TTL a key of `s` can need (the scripts' `longest`).
function longestIdle(s: AlgorithmSpec): number {
  if (s.kind === 'token-bucket') return Math.ceil((s.capacity * 1000) / s.refillPerSecond) + 1;
  if (s.kind === 'leaky-bucket') return Math.ceil((s.capacity * 1000) / s.leakPerSecond) + 1;
  if (s.kind === 'gcra') return Math.ceil(((s.burst + 1) * s.periodMs) / s.limit);
  throw new TypeError(s.kind);
}

// A stored state: the algorithm's two doubles, then `expires` when there are three.
function decode(s: AlgorithmSpec, raw: Buffer): { state: object; expires: number | undefined } {
  const a = raw.readDoubleLE(0);
  const b = raw.readDoubleLE(8);
  const expires = raw.length === 24 ? raw.readDoubleLE(16) : undefined;
  const state = s.kind === 'gcra' ? { tatMs: a, tatFrac: b } : { milli: a, last: b };
  return { state, expires };
}

// The first integer ms, from `now` on, at which `state` decides like a fresh key.
function idleAt(s: AlgorithmSpec, state: object, now: number): number {
  const isIdle = (t: number) => algorithmFor(s).isIdle(s, state, t);
  if (isIdle(now)) return now;
  let below = now;
  let step = 1;
  while (!isIdle(now + step)) {
    below = now + step;
    step *= 2;
  }
  let above = now + step;
  while (above - below > 1) {
    const mid = Math.floor((below + above) / 2);
    if (isIdle(mid)) above = mid;
    else below = mid;
  }
  return above;
}

function decisionOf(reply: number[], s: AlgorithmSpec): Decision {
  return {
    allowed: reply[0] === 1,
    limit: maxCostOf(s),
    remaining: reply[1]!,
    resetMs: reply[2]!,
    retryAfterMs: reply[3]!,
  };
}

describeRedis('buckets and GCRA keep their TTL while it lasts', () => {
  let redis: Redis;
  sharedStandalone((client) => {
    redis = client;
  });

  it('after every write the TTL runs at least until the key is idle, at most the longest idle time', async () => {
    await fc.assert(
      fc.asyncProperty(
        spec.chain((s) => fc.tuple(fc.constant(s), ops(maxCostOf(s)))),
        fc.oneof(fc.constant(1_764_600_000_123), fc.integer({ min: 0, max: 100_000 })),
        async ([s, sequence], start) => {
          const clock = new FakeClock(start);
          const prefix = uniquePrefix('ttl-kept');
          const limiter = new RedisRateLimiter(s, { redis, prefix, clock });
          for (const op of sequence) {
            clock.advance(op.advance);
            const decision =
              op.cost === 0 ? await limiter.peek(op.key) : await limiter.consume(op.key, op.cost);
            if (op.cost === 0 || !decision.allowed) continue;
            const key = `${prefix}{${op.key}}`;
            const [raw, pttl] = await Promise.all([redis.getBuffer(key), redis.pttl(key)]);
            const { state, expires } = decode(s, raw!);
            const now = clock.now();
            expect(expires).toBeDefined();
            expect(expires!).toBeGreaterThanOrEqual(idleAt(s, state, now));
            expect(expires! - now).toBeLessThanOrEqual(longestIdle(s));
            // The TTL was set with `expires` at or before this write: Redis keeps the key at
            // least that long (the pad is the test clock's hour; this test runs in seconds).
            expect(pttl).toBeGreaterThan(expires! - now + PAD - 60_000);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a fresh key gets its idle time, a key written again twice it, and writes within that keep it', async () => {
    const clock = new FakeClock(1_000_000);
    const prefix = uniquePrefix('ttl-twice');
    // 2 tokens a second: a token is 500 ms of idle time, plus the ms of margin.
    const limiter = new RedisRateLimiter(tokenBucket({ capacity: 100, refillPerSecond: 2 }), {
      redis,
      prefix,
      clock,
    });
    const key = `${prefix}{k}`;
    const expiresOf = async () => (await redis.getBuffer(key))!.readDoubleLE(16);
    await limiter.consume('k', 2);
    expect(await expiresOf()).toBe(1_000_000 + 1001);
    await limiter.consume('k', 1);
    expect(await expiresOf()).toBe(1_000_000 + 2 * 1501);
    const set = await redis.pexpiretime(key);
    for (const advance of [0, 100, 400]) {
      clock.advance(advance);
      await limiter.consume('k', 1);
      expect(await expiresOf()).toBe(1_000_000 + 2 * 1501);
      expect(await redis.pexpiretime(key)).toBe(set);
    }
    // 1 token refilled over the 500 ms, 6 taken: idle in 3001 ms, past the TTL kept (the last
    // write kept it with 1 ms to spare: 5 out, idle at 1_000_500 + 2501)
    await limiter.consume('k', 1);
    expect(await expiresOf()).toBe(1_000_500 + 2 * 3001);
    expect(await redis.pexpiretime(key)).toBeGreaterThan(set);
  });

  it('state written by the previous scripts reads on: decisions stay the memory store’s', async () => {
    await fc.assert(
      fc.asyncProperty(
        spec.chain((s) =>
          fc.tuple(fc.constant(s), ops(maxCostOf(s)), fc.integer({ min: 0, max: 40 })),
        ),
        fc.oneof(fc.constant(1_764_600_000_123), fc.integer({ min: 0, max: 100_000 })),
        async ([s, sequence, switchAt], start) => {
          const clock = new FakeClock(start);
          const memory = memoryLimiter(s, clock);
          const prefix = uniquePrefix('ttl-previous');
          const previous = previousScript(s);
          const current = new RedisRateLimiter(s, { redis, prefix, clock });
          for (const [i, op] of sequence.entries()) {
            clock.advance(op.advance);
            const expected = op.cost === 0 ? memory.peek(op.key) : memory.consume(op.key, op.cost);
            let actual: Decision;
            if (i < switchAt) {
              const reply = (await redis.eval(
                previous,
                1,
                `${prefix}{${op.key}}`,
                op.cost,
                op.cost,
                clock.now(),
              )) as number[];
              actual = decisionOf(reply, s);
            } else {
              actual =
                op.cost === 0 ? await current.peek(op.key) : await current.consume(op.key, op.cost);
            }
            expect({ i, switchAt, op, actual }).toEqual({ i, switchAt, op, actual: expected });
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
