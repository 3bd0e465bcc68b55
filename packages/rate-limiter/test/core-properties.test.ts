// Properties of every algorithm, checked with fast-check over random call sequences on a fake
// clock: (1) each decision equals the naive reference's (definition + brute force, see
// core-reference.ts), through the step function and through MemoryRateLimiter alike; (2) the
// algorithm's own invariant holds over the whole history (never more than the limit in any
// window of its definition, bucket levels within bounds, GCRA's exact schedule).
import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AlgorithmSpec,
  algorithmFor,
  fixedWindow,
  gcra,
  leakyBucket,
  MemoryRateLimiter,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../src/index.js';
import { type Admitted, naiveDecision, naiveFor } from './core-reference.js';

interface Call {
  dt: number;
  cost: number;
  peek: boolean;
}

const calls = (maxDt: number, maxCost: number) =>
  fc.array(
    fc.record({
      dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: maxDt })),
      cost: fc.integer({ min: 1, max: maxCost }),
      peek: fc.boolean(),
    }),
    { minLength: 1, maxLength: 60, size: 'max' },
  );

const start = fc.integer({ min: 0, max: 1_000_000 });

/** Runs `seq` through the step function, MemoryRateLimiter and the reference; returns the history. */
function runAll(spec: AlgorithmSpec, t0: number, seq: Call[], onStep?: (state: unknown) => void) {
  const algo = algorithmFor(spec);
  const naive = naiveFor(spec);
  const clock = new FakeClock(t0);
  const limiter = new MemoryRateLimiter(spec, { clock });
  const state = algo.fresh(spec);
  const history: Admitted[] = [];
  for (const { dt, cost, peek } of seq) {
    clock.advance(dt);
    const now = clock.now();
    const c = Math.min(cost, naive.limit);
    const expected = naiveDecision(naive, history, now, peek ? 1 : c, !peek);
    const direct = algo.step(spec, state, now, peek ? 1 : c, !peek);
    const stored = peek ? limiter.peek('k') : limiter.consume('k', c);
    expect(direct).toEqual(expected);
    expect(stored).toEqual(expected);
    onStep?.(state);
  }
  return history;
}

const admittedIn = (h: Admitted[], from: number, to: number) =>
  h.reduce((s, e) => (e.t >= from && e.t < to ? s + e.cost : s), 0);

const RUNS = { numRuns: 300 };

describe('token bucket', () => {
  it('matches the reference; tokens stay in [0, capacity]; admitted <= capacity + rate x elapsed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 50, max: 4000 }),
        start,
        calls(300, 6),
        (capacity, rate, t0, seq) => {
          const spec = tokenBucket({ capacity, refillPerSecond: rate });
          const h = runAll(spec, t0, seq, (s) => {
            const { milli } = s as { milli: number };
            expect(milli).toBeGreaterThanOrEqual(0);
            expect(milli).toBeLessThanOrEqual(capacity * 1000);
          });
          for (const a of h)
            for (const b of h)
              if (b.t >= a.t)
                expect(admittedIn(h, a.t, b.t + 1)).toBeLessThanOrEqual(
                  capacity + (rate * (b.t - a.t)) / 1000,
                );
        },
      ),
      RUNS,
    );
  });

  it('keeps its bounds with fractional rates (decisions may round, the invariants may not)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.double({ min: 0.01, max: 5000, noNaN: true }),
        start,
        calls(5000, 6),
        (capacity, rate, t0, seq) => {
          const spec = tokenBucket({ capacity, refillPerSecond: rate });
          const algo = algorithmFor(spec);
          const state = algo.fresh(spec) as { milli: number };
          const h: Admitted[] = [];
          let now = t0;
          for (const { dt, cost } of seq) {
            now += dt;
            const c = Math.min(cost, capacity);
            const d = algo.step(spec, state, now, c, true);
            if (d.allowed) h.push({ t: now, cost: c });
            expect(state.milli).toBeGreaterThanOrEqual(0);
            expect(state.milli).toBeLessThanOrEqual(capacity * 1000);
            expect(d.remaining).toBeGreaterThanOrEqual(0);
            expect(d.remaining).toBeLessThanOrEqual(capacity);
          }
          for (const a of h)
            for (const b of h)
              if (b.t >= a.t)
                expect(admittedIn(h, a.t, b.t + 1)).toBeLessThanOrEqual(
                  capacity + (rate * (b.t - a.t)) / 1000 + 1e-9,
                );
        },
      ),
      RUNS,
    );
  });
});

describe('leaky bucket (meter)', () => {
  it('matches the reference; level stays in [0, capacity]; admitted <= capacity + rate x elapsed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 50, max: 4000 }),
        start,
        calls(300, 6),
        (capacity, rate, t0, seq) => {
          const spec = leakyBucket({ capacity, leakPerSecond: rate });
          const h = runAll(spec, t0, seq, (s) => {
            const { milli } = s as { milli: number };
            expect(milli).toBeGreaterThanOrEqual(0);
            expect(milli).toBeLessThanOrEqual(capacity * 1000);
          });
          for (const a of h)
            for (const b of h)
              if (b.t >= a.t)
                expect(admittedIn(h, a.t, b.t + 1)).toBeLessThanOrEqual(
                  capacity + (rate * (b.t - a.t)) / 1000,
                );
        },
      ),
      RUNS,
    );
  });
});

describe('fixed window', () => {
  it('matches the reference; each aligned window admits at most limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 60 }),
        start,
        calls(90, 8),
        (limit, windowMs, t0, seq) => {
          const h = runAll(fixedWindow({ limit, windowMs }), t0, seq);
          for (const e of h) {
            const ws = e.t - (e.t % windowMs);
            expect(admittedIn(h, ws, ws + windowMs)).toBeLessThanOrEqual(limit);
          }
        },
      ),
      RUNS,
    );
  });

  it('anchored at the first hit: matches the reference; each window from its first hit admits at most limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 60 }),
        start,
        calls(90, 8),
        (limit, windowMs, t0, seq) => {
          const h = runAll(fixedWindow({ limit, windowMs, anchor: 'first-hit' }), t0, seq);
          let ws: number | undefined;
          for (const e of h) {
            if (ws !== undefined && e.t < ws + windowMs) continue;
            ws = e.t; // this admission opened a window: it and the rest of it fit the limit
            expect(admittedIn(h, ws, ws + windowMs)).toBeLessThanOrEqual(limit);
          }
        },
      ),
      RUNS,
    );
  });
});

describe('sliding window log', () => {
  it('matches the reference; any interval of windowMs admits at most limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 60 }),
        start,
        calls(90, 8),
        (limit, windowMs, t0, seq) => {
          const h = runAll(slidingWindowLog({ limit, windowMs }), t0, seq);
          // The busiest interval (t - windowMs, t] ends at an admission.
          for (const e of h)
            expect(admittedIn(h, e.t - windowMs + 1, e.t + 1)).toBeLessThanOrEqual(limit);
        },
      ),
      RUNS,
    );
  });
});

describe('sliding window counter', () => {
  it('matches the reference; the weighted count never exceeds limit at any admission', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 60 }),
        start,
        calls(150, 8),
        (limit, windowMs, t0, seq) => {
          const h = runAll(slidingWindowCounter({ limit, windowMs }), t0, seq);
          for (const e of h) {
            const upTo = h.filter((x) => x.t <= e.t);
            const ws = e.t - (e.t % windowMs);
            const weighted =
              admittedIn(upTo, ws - windowMs, ws) * ((windowMs - (e.t - ws)) / windowMs) +
              admittedIn(upTo, ws, ws + windowMs);
            expect(weighted).toBeLessThanOrEqual(limit + 1e-9);
          }
        },
      ),
      RUNS,
    );
  });
});

describe('GCRA', () => {
  it('admits exactly the theoretical schedule (exact TAT reference); any period admits <= limit + burst', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 4 }),
        start,
        calls(60, 5),
        (limit, periodMs, burst, t0, seq) => {
          const h = runAll(gcra({ limit, periodMs, burst }), t0, seq);
          for (const e of h)
            expect(admittedIn(h, e.t, e.t + periodMs)).toBeLessThanOrEqual(limit + burst);
        },
      ),
      RUNS,
    );
  });

  // Time is whole ms, and a late arrival loses the fraction of an interval it was late by (TAT
  // moves up to now). So the exact long-run pace needs a tolerance of at least 1 ms
  // (burst * periodMs / limit >= 1) or a whole-ms interval; the reference test covers the rest.
  it('paces a client polling every ms at exactly limit per period over the long run', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 5 }),
        (limit, periodMs, burst) => {
          fc.pre(burst * periodMs >= limit || periodMs % limit === 0);
          const spec = gcra({ limit, periodMs, burst });
          const algo = algorithmFor(spec);
          const state = algo.fresh(spec);
          let admitted = 0;
          const end = 10 * periodMs;
          for (let t = 0; t < end; t++)
            while (algo.step(spec, state, t, 1, true).allowed) admitted++;
          // burst + 1 at t = 0, then unit j (j >= 1) at ceil(j * periodMs / limit), while < end.
          const expected = burst + 1 + Math.floor(((end - 1) * limit) / periodMs);
          expect(admitted).toBe(expected);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('every algorithm, with a clock that steps back', () => {
  const anySpec: fc.Arbitrary<AlgorithmSpec> = fc.oneof(
    fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 50, max: 4000 }))
      .map(([capacity, r]) => tokenBucket({ capacity, refillPerSecond: r })),
    fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 50, max: 4000 }))
      .map(([capacity, r]) => leakyBucket({ capacity, leakPerSecond: r })),
    fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 60 }))
      .map(([limit, windowMs]) => fixedWindow({ limit, windowMs })),
    fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 60 }))
      .map(([limit, windowMs]) => fixedWindow({ limit, windowMs, anchor: 'first-hit' })),
    fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 60 }))
      .map(([limit, windowMs]) => slidingWindowLog({ limit, windowMs })),
    fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 60 }))
      .map(([limit, windowMs]) => slidingWindowCounter({ limit, windowMs })),
    fc
      .tuple(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 3 }),
      )
      .map(([limit, periodMs, burst]) => gcra({ limit, periodMs, burst })),
  );

  it('never admits at an earlier time what it would deny at the latest time seen', () => {
    fc.assert(
      fc.property(
        anySpec,
        start,
        calls(90, 6),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 6 }),
        (spec, t0, seq, back, cost) => {
          const algo = algorithmFor(spec);
          const state = algo.fresh(spec);
          const limit = algo.limitOf(spec);
          let now = t0;
          for (const { dt, cost: c } of seq) {
            now += dt;
            algo.step(spec, state, now, Math.min(c, limit), true);
          }
          const c = Math.min(cost, limit);
          const earlier = algo.step(spec, state, Math.max(0, now - back), c, false);
          const latest = algo.step(spec, state, now, c, false);
          if (earlier.allowed) expect(latest.allowed).toBe(true);
        },
      ),
      RUNS,
    );
  });
});
