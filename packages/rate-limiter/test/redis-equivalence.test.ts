// The same random sequence of calls (key, cost, time advance, peek, reset) gives identical
// decisions from the memory store and from Redis, on a standalone server and on a 3-node
// Cluster: the Lua scripts mirror src/algorithms operation for operation. Both are driven by one
// FakeClock (the Redis limiter's test-only `now` option sends its time to the scripts).
import {
  connectCluster,
  connectStandalone,
  describeRedis,
  FakeClock,
  uniquePrefix,
} from '@bulwark/test-utils';
import fc from 'fast-check';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  fixedWindow,
  gcra,
  leakyBucket,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../src/index.js';
import { RedisRateLimiter } from '../src/redis.js';
import type { AlgorithmSpec, Decision } from '../src/types.js';
import { memoryLimiter } from './redis-helpers.js';

type Op =
  | { kind: 'consume'; key: string; cost: number; advance: number }
  | { kind: 'peek'; key: string; advance: number }
  | { kind: 'reset'; key: string; advance: number };

// Mostly small steps (many decisions inside one window), sometimes long idle gaps.
const advance = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 50 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 2_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 20_000 }) },
);
const key = fc.constantFrom('a', 'b', 'c');

function ops(maxCost: number): fc.Arbitrary<Op[]> {
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 10,
      arbitrary: fc.record({
        kind: fc.constant('consume' as const),
        key,
        cost: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: maxCost })),
        advance,
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('peek' as const), key, advance }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), key, advance }) },
  );
  return fc.array(op, { minLength: 1, maxLength: 40 });
}

// Fractional rates on purpose: the stored state is then fractional, and must round-trip exactly.
const rate = fc.oneof(
  fc.constantFrom(1, 0.5, 3, 7.5, 1000 / 3, 0.1, 2.2),
  fc.integer({ min: 1, max: 50_000 }).map((n) => n / 1000),
);
const windowMs = fc.oneof(fc.constantFrom(1000, 60_000, 333), fc.integer({ min: 1, max: 5_000 }));
const limit = fc.integer({ min: 1, max: 12 });

const specs: Record<string, fc.Arbitrary<AlgorithmSpec>> = {
  'token bucket': fc.record({ capacity: limit, refillPerSecond: rate }).map((o) => tokenBucket(o)),
  'leaky bucket': fc.record({ capacity: limit, leakPerSecond: rate }).map((o) => leakyBucket(o)),
  'fixed window': fc.record({ limit, windowMs }).map((o) => fixedWindow(o)),
  'fixed window from the first hit': fc
    .record({ limit, windowMs })
    .map((o) => fixedWindow({ ...o, anchor: 'first-hit' })),
  'sliding window log': fc.record({ limit, windowMs }).map((o) => slidingWindowLog(o)),
  'sliding window counter': fc.record({ limit, windowMs }).map((o) => slidingWindowCounter(o)),
  gcra: fc
    .record({
      limit,
      periodMs: fc.oneof(fc.constantFrom(1000, 60_000, 7), fc.integer({ min: 1, max: 10_000 })),
      burst: fc.integer({ min: 0, max: 6 }),
    })
    .map((o) => gcra(o)),
};

function maxCostOf(spec: AlgorithmSpec): number {
  switch (spec.kind) {
    case 'token-bucket':
    case 'leaky-bucket':
      return spec.capacity;
    case 'gcra':
      return spec.burst + 1;
    default:
      return spec.limit;
  }
}

async function runBoth(
  redis: Redis | Cluster,
  spec: AlgorithmSpec,
  sequence: Op[],
  start: number,
): Promise<void> {
  const clock = new FakeClock(start);
  const memory = memoryLimiter(spec, clock);
  const remote = new RedisRateLimiter(spec, {
    redis,
    prefix: uniquePrefix('eq'),
    clock,
    onStoreError: () => {
      throw new Error('Redis failed during the equivalence test');
    },
  });
  const seen: [Op, Decision, Decision][] = [];
  for (const op of sequence) {
    clock.advance(op.advance);
    if (op.kind === 'reset') {
      memory.reset(op.key);
      await remote.reset(op.key);
      continue;
    }
    const expected = op.kind === 'consume' ? memory.consume(op.key, op.cost) : memory.peek(op.key);
    const actual =
      op.kind === 'consume' ? await remote.consume(op.key, op.cost) : await remote.peek(op.key);
    seen.push([op, expected as Decision, actual]);
    if (JSON.stringify(actual) !== JSON.stringify(expected))
      expect({ at: clock.now(), history: seen }).toEqual({
        at: clock.now(),
        history: seen.map(([o, e]) => [o, e, e]),
      });
  }
  expect(remote.stats().fallbackDecisions).toBe(0);
}

describeRedis('memory and Redis decide alike (fast-check)', () => {
  let standalone: Redis;
  let cluster: Cluster;
  beforeAll(async () => {
    standalone = connectStandalone();
    cluster = connectCluster();
    await Promise.all([standalone.ping(), cluster.ping()]);
  });
  afterAll(async () => {
    await Promise.all([standalone.quit(), cluster.quit()]);
  });

  for (const [name, specArb] of Object.entries(specs)) {
    for (const target of ['standalone', 'cluster'] as const) {
      it(`${name} on ${target}`, async () => {
        const redis = () => (target === 'standalone' ? standalone : cluster);
        await fc.assert(
          fc.asyncProperty(
            specArb.chain((spec) =>
              fc.tuple(
                fc.constant(spec),
                ops(maxCostOf(spec)),
                // Both epoch-sized times (precision) and small ones (window alignment at 0).
                fc.oneof(fc.constant(1_764_600_000_123), fc.integer({ min: 0, max: 100_000 })),
              ),
            ),
            async ([spec, sequence, start]) => runBoth(redis(), spec, sequence, start),
          ),
          { numRuns: target === 'standalone' ? 100 : 30 },
        );
      });
    }
  }
});
