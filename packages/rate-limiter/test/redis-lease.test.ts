// Lease mode: one round trip takes up to `batch` units, spent locally afterwards. Its worst-case
// global overshoot is instances x batch: units leased before a window boundary (or before a
// bucket refills) can still be spent after it, on top of the fresh quota. Driven by a FakeClock
// through the `now` option, so windows are crossed exactly where the test says.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  describeRedis,
  FakeClock,
  RedisServer,
  sharedStandalone,
  uniquePrefix,
} from '@bulwark/test-utils';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import {
  type Decision,
  fixedWindow,
  gcra,
  type LimitedEvent,
  leakyBucket,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../src/index.js';
import { type LeaseOptions, RedisRateLimiter } from '../src/redis.js';
import type { AlgorithmSpec } from '../src/types.js';

describeRedis('lease mode', () => {
  let redis: Redis;
  sharedStandalone((client) => {
    redis = client;
  });

  function instances(
    spec: AlgorithmSpec,
    clock: FakeClock,
    count: number,
    lease: LeaseOptions,
    prefix = uniquePrefix('lease'),
  ) {
    return Array.from(
      { length: count },
      () => new RedisRateLimiter(spec, { redis, prefix, lease, clock }),
    );
  }

  it('publishes every refused consume on bulwark:rate-limiter:limited, as without a lease', async () => {
    const clock = new FakeClock(1_000_000);
    const prefix = uniquePrefix('lease-limited');
    const spec = fixedWindow({ limit: 10, windowMs: 60_000 });
    const leased = new RedisRateLimiter(spec, {
      redis,
      prefix,
      name: 'leased',
      lease: { batch: 4 },
      clock,
    });
    const events: LimitedEvent[] = [];
    const listener = (message: unknown) => events.push(message as LimitedEvent);
    subscribe('bulwark:rate-limiter:limited', listener);
    try {
      const decisions: Decision[] = [];
      for (let i = 0; i < 14; i++) decisions.push(await leased.consume('k'));
      // And concurrent ones, refused together once the window is spent.
      decisions.push(...(await Promise.all([1, 2, 3].map(() => leased.consume('k', 2)))));
      const refused = decisions.filter((d) => !d.allowed);
      expect(refused).toHaveLength(7);
      expect(events).toHaveLength(7);
      expect(events[0]).toMatchObject({ name: 'leased', key: 'k', cost: 1 });
      expect(events[0]!.decision).toEqual(refused[0]);
      expect(events.at(-1)).toMatchObject({ cost: 2 });
      // The NOSCRIPT retry path publishes too (on a server of its own: SCRIPT FLUSH on the
      // shared one would disturb suites running in parallel).
      const server = await RedisServer.start();
      const own = new Redis({ host: server.host, port: server.port });
      try {
        const plain = new RedisRateLimiter(spec, { redis: own, prefix, clock });
        for (let i = 0; i < 10; i++) await plain.consume('k');
        await own.script('FLUSH');
        expect((await plain.consume('k')).allowed).toBe(false);
        expect(events).toHaveLength(8);
      } finally {
        own.disconnect();
        await server.dispose();
      }
    } finally {
      unsubscribe('bulwark:rate-limiter:limited', listener);
    }
  });

  it('answers most calls locally: 100 sequential consumes, batch 10, take 10 round trips', async () => {
    const clock = new FakeClock(1_000_000);
    const [limiter] = instances(fixedWindow({ limit: 1000, windowMs: 60_000 }), clock, 1, {
      batch: 10,
    });
    const decisions = [];
    for (let i = 0; i < 100; i++) decisions.push(await limiter!.consume('k'));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(limiter!.stats()).toMatchObject({ roundTrips: 10, localDecisions: 90 });
    // remaining: Redis' remaining at the last lease plus this instance's unspent allowance.
    expect(decisions[0]).toMatchObject({ remaining: 999 });
    expect(decisions[99]).toMatchObject({ remaining: 900 });
  });

  it('concurrent callers share lease requests: 50 at once, batch 10, take 5 round trips', async () => {
    const clock = new FakeClock(1_000_000);
    const [limiter] = instances(fixedWindow({ limit: 1000, windowMs: 60_000 }), clock, 1, {
      batch: 10,
    });
    const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter!.consume('k')));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(limiter!.stats().roundTrips).toBe(5);
    // The fixed window's state: two little-endian doubles, the window start and the count.
    const state = await redis.getBuffer(`${limiter!.prefix}{k}`);
    expect(state!.readDoubleLE(8)).toBe(50);
  });

  for (const spec of [
    tokenBucket({ capacity: 10, refillPerSecond: 1 }),
    leakyBucket({ capacity: 10, leakPerSecond: 1 }),
    fixedWindow({ limit: 10, windowMs: 60_000 }),
    slidingWindowLog({ limit: 10, windowMs: 60_000 }),
    slidingWindowCounter({ limit: 10, windowMs: 60_000 }),
    gcra({ limit: 1, periodMs: 60_000, burst: 9 }),
  ]) {
    it(`${spec.kind}: leases of 3 hand out exactly the quota (3 + 3 + 3 + 1), then Redis denies once`, async () => {
      const clock = new FakeClock(1_764_600_000_000);
      const [limiter] = instances(spec, clock, 1, { batch: 3 });
      let admitted = 0;
      for (let i = 0; i < 15; i++) if ((await limiter!.consume('k')).allowed) admitted++;
      expect(admitted).toBe(10);
      // 4 leases (the last one partial), one denied round trip, then the cached refusal answers.
      expect(limiter!.stats()).toMatchObject({
        roundTrips: 4 + 1,
        localDecisions: 6 + 4,
        allowed: 10,
        rejected: 5,
      });
    });
  }

  it('takes what is left when less than a batch is: the rest is rejected by Redis', async () => {
    const clock = new FakeClock(1_000_000);
    const [a, b] = instances(fixedWindow({ limit: 15, windowMs: 60_000 }), clock, 2, {
      batch: 10,
    });
    expect((await a!.consume('k')).allowed).toBe(true); // a leases 10
    expect((await b!.consume('k')).allowed).toBe(true); // b gets the 5 left
    for (let i = 0; i < 4; i++) expect((await b!.consume('k')).allowed).toBe(true);
    const denied = await b!.consume('k');
    expect(denied).toMatchObject({ allowed: false, remaining: 0 });
    expect(denied.retryAfterMs).toBeGreaterThan(0);
    for (let i = 0; i < 9; i++) expect((await a!.consume('k')).allowed).toBe(true);
    expect((await a!.consume('k')).allowed).toBe(false);
  });

  it('worst case: 3 instances x batch 10 leased before a window ends are spent after it', async () => {
    const clock = new FakeClock(0);
    const spec = fixedWindow({ limit: 100, windowMs: 1000 });
    const prefix = uniquePrefix('overshoot');
    const leased = instances(spec, clock, 3, { batch: 10, maxAgeMs: 60_000 }, prefix);
    const plain = new RedisRateLimiter(spec, { redis, prefix, clock });
    clock.advance(900);
    expect((await plain.consume('k', 70)).allowed).toBe(true);
    for (const limiter of leased) expect((await limiter.consume('k')).allowed).toBe(true);
    expect((await plain.consume('k')).allowed).toBe(false); // window 1: exactly 100 taken
    clock.advance(100); // window 2 begins; each instance still holds 9 units
    let admitted = 0;
    for (const limiter of leased) while ((await limiter.consume('k')).allowed) admitted++;
    expect(admitted).toBe(100 + 3 * 9);
    expect(admitted).toBeLessThanOrEqual(100 + 3 * 10);
  });

  it('property: per fixed window, admitted <= limit + instances x batch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 8 }),
        fc.array(
          fc.record({
            instance: fc.integer({ min: 0, max: 2 }),
            cost: fc.integer({ min: 1, max: 4 }),
            advance: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 400 })),
          }),
          { minLength: 1, maxLength: 80 },
        ),
        async (batch, ops) => {
          const clock = new FakeClock(0);
          const limit = 12;
          const windowMs = 1000;
          const limiters = instances(fixedWindow({ limit, windowMs }), clock, 3, {
            batch,
            maxAgeMs: 10_000,
          });
          const perWindow = new Map<number, number>();
          for (const op of ops) {
            clock.advance(op.advance);
            const d = await limiters[op.instance]!.consume('k', op.cost);
            if (d.allowed) {
              const w = Math.floor(clock.now() / windowMs);
              perWindow.set(w, (perWindow.get(w) ?? 0) + op.cost);
            }
          }
          for (const admitted of perWindow.values())
            expect(admitted).toBeLessThanOrEqual(limit + 3 * batch);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('property: a token bucket admits at most capacity + refill + instances x batch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 6 }),
        fc.array(
          fc.record({
            instance: fc.integer({ min: 0, max: 2 }),
            advance: fc.integer({ min: 0, max: 300 }),
          }),
          { minLength: 1, maxLength: 80 },
        ),
        async (batch, ops) => {
          const clock = new FakeClock(5_000);
          const spec = tokenBucket({ capacity: 10, refillPerSecond: 5 });
          const limiters = instances(spec, clock, 3, { batch, maxAgeMs: 60_000 });
          let admitted = 0;
          let elapsed = 0;
          for (const op of ops) {
            clock.advance(op.advance);
            elapsed += op.advance;
            if ((await limiters[op.instance]!.consume('k')).allowed) admitted++;
          }
          // Over the whole run: what the bucket could ever hand out, and never more than that
          // plus what the instances may hold beyond it.
          expect(admitted).toBeLessThanOrEqual(10 + Math.floor((elapsed * 5) / 1000) + 3 * batch);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('unspent units expire after maxAgeMs; peek adds them; reset drops them', async () => {
    const clock = new FakeClock(1_000_000);
    const [limiter] = instances(slidingWindowLog({ limit: 100, windowMs: 60_000 }), clock, 1, {
      batch: 10,
      maxAgeMs: 500,
    });
    await limiter!.consume('k');
    expect(limiter!.stats()).toMatchObject({ roundTrips: 1, keys: 1 });
    // Redis has 90 left after the lease; a peek would take one of them, and 9 are held here.
    expect(await limiter!.peek('k')).toMatchObject({ allowed: true, remaining: 89 + 9 });
    clock.advance(500);
    await limiter!.consume('k'); // the 9 held units expired: a new round trip
    expect(limiter!.stats().roundTrips).toBe(3);
    await limiter!.reset('k');
    expect(await redis.exists(`${limiter!.prefix}{k}`)).toBe(0);
    expect(await limiter!.peek('k')).toMatchObject({ remaining: 99 });
  });

  it('a store error in lease mode goes to onStoreError like any other call', async () => {
    const broken = {
      evalsha: () => Promise.reject(new Error('down')),
      eval: () => Promise.reject(new Error('down')),
    };
    const limiter = new RedisRateLimiter(fixedWindow({ limit: 10, windowMs: 1000 }), {
      redis: broken as never,
      lease: { batch: 5 },
      onStoreError: 'fail-closed',
    });
    const decisions = await Promise.all([limiter.consume('k'), limiter.consume('k')]);
    expect(decisions.map((d) => d.allowed)).toEqual([false, false]);
    expect(limiter.stats()).toMatchObject({ storeErrors: 2, fallbackDecisions: 2, keys: 0 });
  });
});
