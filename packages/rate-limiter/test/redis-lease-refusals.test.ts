// Lease mode's cache of refusals: once Redis refuses a key with 0 units remaining, this instance
// refuses it locally, with no round trip, until Redis said more quota would be available (units
// it leased before the refusal are still spent first). A model
// test (fast-check commands) checks the cache against a one-field model and, at every local
// refusal, that Redis itself would refuse too (a peek from a limiter without a lease).
import { describeRedis, FakeClock, sharedStandalone, uniquePrefix } from '@bulwark/test-utils';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { expect, it } from 'vitest';
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

const specs: AlgorithmSpec[] = [
  tokenBucket({ capacity: 6, refillPerSecond: 3 }),
  leakyBucket({ capacity: 6, leakPerSecond: 3 }),
  fixedWindow({ limit: 6, windowMs: 2_000 }),
  slidingWindowLog({ limit: 6, windowMs: 2_000 }),
  slidingWindowCounter({ limit: 6, windowMs: 2_000 }),
  gcra({ limit: 6, periodMs: 2_000, burst: 2 }),
];

describeRedis('lease mode: the cache of refusals', () => {
  let redis: Redis;
  sharedStandalone((client) => {
    redis = client;
  });

  /** The model: the local time and until when the key is refused locally. */
  interface Model {
    now: number;
    blockedUntil: number;
  }
  interface Real {
    clock: FakeClock;
    leased: RedisRateLimiter;
    /** Another instance without a lease, on the same keys: Redis' own answer. */
    plain: RedisRateLimiter;
  }
  type Command = fc.AsyncCommand<Model, Real>;

  class Consume implements Command {
    constructor(readonly cost: number) {}
    check = () => true;
    async run(m: Model, r: Real): Promise<void> {
      const before = r.leased.stats().roundTrips;
      const decision = await r.leased.consume('k', this.cost);
      const trips = r.leased.stats().roundTrips - before;
      if (m.blockedUntil > m.now) {
        // Answered here, at no cost: from units this instance leased before the refusal, or
        // refused, as Redis would refuse it (other instances only ever take units).
        expect(trips).toBe(0);
        if (!decision.allowed) {
          expect(decision.remaining).toBe(0);
          expect(decision.resetMs).toBe(m.blockedUntil - m.now);
          expect(decision.retryAfterMs).toBeGreaterThanOrEqual(decision.resetMs);
          expect((await r.plain.peek('k')).allowed).toBe(false);
        }
      } else if (!decision.allowed) {
        expect(trips).toBe(1); // outside a block only Redis refuses
        if (decision.remaining === 0) m.blockedUntil = m.now + decision.resetMs;
      }
    }
    toString = () => `consume(${this.cost})`;
  }

  class Elsewhere implements Command {
    constructor(readonly cost: number) {}
    check = () => true;
    async run(_m: Model, r: Real): Promise<void> {
      await r.plain.consume('k', this.cost); // takes units; never makes a cached refusal wrong
    }
    toString = () => `elsewhere(${this.cost})`;
  }

  class Advance implements Command {
    constructor(readonly ms: number) {}
    check = () => true;
    async run(m: Model, r: Real): Promise<void> {
      m.now += this.ms;
      r.clock.advance(this.ms);
    }
    toString = () => `advance(${this.ms})`;
  }

  class Reset implements Command {
    check = () => true;
    async run(m: Model, r: Real): Promise<void> {
      await r.leased.reset('k');
      m.blockedUntil = 0; // this instance's own reset forgets its cached refusal
      expect((await r.leased.consume('k')).allowed).toBe(true);
    }
    toString = () => 'reset';
  }

  it('refuses locally exactly while the model says the key is exhausted, and Redis agrees', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...specs),
        fc.commands(
          [
            fc.integer({ min: 1, max: 3 }).map((cost) => new Consume(cost)),
            fc.integer({ min: 1, max: 3 }).map((cost) => new Elsewhere(cost)),
            fc.integer({ min: 1, max: 1_500 }).map((ms) => new Advance(ms)),
            fc.constant(new Reset()),
          ],
          { maxCommands: 40 },
        ),
        async (spec, commands) => {
          const clock = new FakeClock(1_764_600_000_000);
          const prefix = uniquePrefix('refusals');
          const real: Real = {
            clock,
            leased: new RedisRateLimiter(spec, { redis, prefix, clock, lease: { batch: 2 } }),
            plain: new RedisRateLimiter(spec, { redis, prefix, clock }),
          };
          await fc.asyncModelRun(() => ({ model: { now: 0, blockedUntil: 0 }, real }), commands);
          runs++;
        },
      ),
      { numRuns: 200 },
    );
    expect(runs).toBe(200);
  });

  it('a flood on an exhausted key costs no round trips once it is known to be exhausted', async () => {
    const clock = new FakeClock(1_764_600_000_000);
    const prefix = uniquePrefix('flood');
    const spec = fixedWindow({ limit: 100, windowMs: 60_000 });
    const processes = [1, 2, 3].map(
      () => new RedisRateLimiter(spec, { redis, prefix, clock, lease: { batch: 10 } }),
    );
    const trips = () => processes.reduce((sum, p) => sum + p.stats().roundTrips, 0);
    // 3 processes x 50 concurrent callers, 20 waves: 3,000 calls for a quota of 100.
    let admitted = 0;
    const perWave: number[] = [];
    for (let wave = 0; wave < 20; wave++) {
      const before = trips();
      const decisions = await Promise.all(
        processes.flatMap((p) => Array.from({ length: 50 }, () => p.consume('attacker'))),
      );
      admitted += decisions.filter((d) => d.allowed).length;
      perWave.push(trips() - before);
    }
    expect(admitted).toBe(100);
    // The first waves spend the quota in leases and learn the refusal (a process whose callers
    // were all served from its leases learns it in the second); later waves ask Redis nothing.
    expect(perWave[0]! + perWave[1]!).toBeLessThanOrEqual(150);
    expect(perWave.slice(2)).toEqual(Array(18).fill(0));
    const total = processes.reduce(
      (sum, p) => {
        const s = p.stats();
        return { rejected: sum.rejected + s.rejected, local: sum.local + s.localDecisions };
      },
      { rejected: 0, local: 0 },
    );
    expect(total.rejected).toBe(3_000 - 100);
    expect(total.local).toBeGreaterThanOrEqual(3_000 - 150);
    // Past the window, Redis is asked again and admits.
    clock.advance(60_000);
    expect((await processes[0]!.consume('attacker')).allowed).toBe(true);
  });
});
