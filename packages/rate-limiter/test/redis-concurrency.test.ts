// 200 concurrent clients on 3 limiter instances (3 connections, as 3 processes would have) share
// one Redis with its real TIME: the global limit holds. Windows and rates are chosen so that the
// run cannot see a refill (a 1 h window, a refill of one unit per 100 s); where a fixed window
// could still straddle a boundary, the bound counts the windows the run touched (read from TIME).
import { connectStandalone, describeRedis, uniquePrefix } from '@bulwark/test-utils';
import type { Redis } from 'ioredis';
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
import type { AlgorithmSpec } from '../src/types.js';

const HOUR = 3_600_000;
const LIMIT = 100;
const CLIENTS = 200;
const ATTEMPTS = 5; // per client: 1000 in all

const cases: [string, AlgorithmSpec][] = [
  ['token bucket', tokenBucket({ capacity: LIMIT, refillPerSecond: 0.01 })],
  ['leaky bucket', leakyBucket({ capacity: LIMIT, leakPerSecond: 0.01 })],
  ['fixed window', fixedWindow({ limit: LIMIT, windowMs: HOUR })],
  ['sliding window log', slidingWindowLog({ limit: LIMIT, windowMs: 60_000 })],
  ['sliding window counter', slidingWindowCounter({ limit: LIMIT, windowMs: HOUR })],
  ['gcra', gcra({ limit: 1, periodMs: HOUR / LIMIT, burst: LIMIT - 1 })],
];

async function serverMs(redis: Redis): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

describeRedis('200 concurrent clients, 3 instances, one Redis', () => {
  let clients: Redis[];
  beforeAll(async () => {
    clients = [connectStandalone(), connectStandalone(), connectStandalone()];
    await Promise.all(clients.map((c) => c.ping()));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  async function run(spec: AlgorithmSpec, lease?: { batch: number }) {
    const prefix = uniquePrefix('conc');
    const limiters = clients.map(
      (redis) => new RedisRateLimiter(spec, { redis, prefix, lease, onStoreError: 'fail-closed' }),
    );
    const started = await serverMs(clients[0]!);
    let admitted = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        const limiter = limiters[client % limiters.length]!;
        for (let i = 0; i < ATTEMPTS; i++)
          if ((await limiter.consume('shared')).allowed) admitted++;
      }),
    );
    const ended = await serverMs(clients[0]!);
    for (const limiter of limiters) expect(limiter.stats().storeErrors).toBe(0);
    return { admitted, started, ended };
  }

  for (const [name, spec] of cases) {
    it(`${name}: never more than the global limit`, async () => {
      const { admitted, started, ended } = await run(spec);
      let bound = LIMIT;
      if (spec.kind === 'fixed-window' || spec.kind === 'sliding-window-counter')
        bound = LIMIT * (Math.floor(ended / HOUR) - Math.floor(started / HOUR) + 1);
      if (spec.kind === 'gcra') bound = LIMIT + Math.ceil((ended - started) / (HOUR / LIMIT));
      expect(admitted).toBeLessThanOrEqual(bound);
      expect(admitted).toBeGreaterThanOrEqual(LIMIT); // and the limit is reached, not starved
    });
  }

  it('lease mode (batch 10) inside one window: still never more than the limit', async () => {
    const { admitted } = await run(slidingWindowLog({ limit: LIMIT, windowMs: 60_000 }), {
      batch: 10,
    });
    // Every leased unit was logged in Redis when taken; spending it later inside the same
    // window cannot exceed the limit. (Overshoot needs a window boundary: see redis-lease.)
    expect(admitted).toBeLessThanOrEqual(LIMIT);
    expect(admitted).toBeGreaterThanOrEqual(LIMIT - 3 * 10);
  });
});
