import { describe, expect, it } from 'vitest';
import {
  type AlgorithmSpec,
  algorithmFor,
  algorithms,
  type Decision,
  fixedWindow,
  gcra,
  leakyBucket,
  policyOf,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../src/index.js';

/** Runs `[now, cost]` steps on a fresh state, returning the decisions. */
function run(spec: AlgorithmSpec, steps: [number, number][]): Decision[] {
  const algo = algorithmFor(spec);
  const state = algo.fresh(spec);
  return steps.map(([now, cost]) => algo.step(spec, state, now, cost, true));
}

const d = (
  allowed: boolean,
  limit: number,
  remaining: number,
  resetMs: number,
  retryAfterMs: number,
): Decision => ({ allowed, limit, remaining, resetMs, retryAfterMs });

describe('token bucket', () => {
  it('spends a burst, then refills continuously', () => {
    const spec = tokenBucket({ capacity: 3, refillPerSecond: 2 });
    expect(
      run(spec, [
        [1000, 1],
        [1000, 2],
        [1000, 1],
        [1200, 1],
        [1500, 1],
        [3000, 3],
      ]),
    ).toEqual([
      d(true, 3, 2, 500, 0), // t: one more token in 500 ms
      d(true, 3, 0, 500, 0),
      d(false, 3, 0, 500, 500),
      d(false, 3, 0, 300, 300), // 0.4 tokens back; 0.6 more take 300 ms
      d(true, 3, 0, 500, 0),
      d(true, 3, 0, 500, 0), // full again after 1.5 s, a cost of 3 empties it
    ]);
  });

  it('rounds remaining down and times up with a fractional rate', () => {
    const spec = tokenBucket({ capacity: 2, refillPerSecond: 0.3 });
    const [a, b, c] = run(spec, [
      [0, 2],
      [1000, 1],
      [4000, 1],
    ]);
    expect(a).toEqual(d(true, 2, 0, Math.ceil(1000 / 0.3), 0));
    expect(b).toEqual(d(false, 2, 0, Math.ceil(700 / 0.3), Math.ceil(700 / 0.3)));
    expect(c!.allowed).toBe(true); // 1.2 tokens at 4 s
    expect(c!.remaining).toBe(0);
  });
});

describe('leaky bucket (meter)', () => {
  it('fills by cost and drains continuously', () => {
    const spec = leakyBucket({ capacity: 3, leakPerSecond: 2 });
    expect(
      run(spec, [
        [1000, 1],
        [1000, 2],
        [1000, 1],
        [1200, 1],
        [1500, 1],
      ]),
    ).toEqual([
      d(true, 3, 2, 500, 0),
      d(true, 3, 0, 500, 0),
      d(false, 3, 0, 500, 500),
      d(false, 3, 0, 300, 300),
      d(true, 3, 0, 500, 0),
    ]);
  });
});

describe('fixed window', () => {
  it('counts per aligned window and resets at its end', () => {
    const spec = fixedWindow({ limit: 3, windowMs: 1000 });
    expect(
      run(spec, [
        [1000, 1],
        [1500, 2],
        [1999, 1],
        [2000, 3],
        [2999, 1],
      ]),
    ).toEqual([
      d(true, 3, 2, 1000, 0),
      d(true, 3, 0, 500, 0),
      d(false, 3, 0, 1, 1),
      d(true, 3, 0, 1000, 0),
      d(false, 3, 0, 1, 1),
    ]);
  });

  it('anchored at the first hit: each key counts from its own first request', () => {
    const clock = fixedWindow({ limit: 2, windowMs: 1000 });
    const firstHit = fixedWindow({ limit: 2, windowMs: 1000, anchor: 'first-hit' });
    const calls: Array<[number, number]> = [
      [900, 1],
      [950, 1],
      [1000, 1], // clock: a new aligned window; first hit: still the window opened at 900
      [1050, 1],
      [1900, 1], // first hit: the window of 900 is over, this request opens the next one
    ];
    expect(run(clock, calls)).toEqual([
      d(true, 2, 1, 100, 0),
      d(true, 2, 0, 50, 0),
      d(true, 2, 1, 1000, 0),
      d(true, 2, 0, 950, 0),
      d(false, 2, 0, 100, 100), // the aligned window of 1000 is full
    ]);
    expect(run(firstHit, calls)).toEqual([
      d(true, 2, 1, 1000, 0),
      d(true, 2, 0, 950, 0),
      d(false, 2, 0, 900, 900),
      d(false, 2, 0, 850, 850),
      d(true, 2, 1, 1000, 0),
    ]);
    expect(() => fixedWindow({ limit: 1, windowMs: 1, anchor: 'sliding' as never })).toThrow(
      new TypeError(`anchor must be 'clock' or 'first-hit', got "sliding"`),
    );
  });

  it('lets 2 x limit through around a boundary (by definition)', () => {
    const spec = fixedWindow({ limit: 2, windowMs: 100 });
    const out = run(spec, [
      [99, 2],
      [100, 2],
    ]);
    expect(out.every((x) => x.allowed)).toBe(true);
  });
});

describe('sliding window log', () => {
  it('counts the exact last windowMs and waits for the oldest entries to leave', () => {
    const spec = slidingWindowLog({ limit: 3, windowMs: 1000 });
    expect(
      run(spec, [
        [1000, 1],
        [1500, 2],
        [1999, 1],
        [2000, 1], // the entry at 1000 left at 2000
        [2400, 2], // needs 2 units gone: 1500's entry (2 units) leaves at 2500
        [2500, 2],
      ]),
    ).toEqual([
      d(true, 3, 2, 1000, 0), // t: until the oldest entry leaves
      d(true, 3, 0, 500, 0),
      d(false, 3, 0, 1, 1),
      d(true, 3, 0, 500, 0),
      d(false, 3, 0, 100, 100),
      d(true, 3, 0, 500, 0),
    ]);
  });

  it('retryAfter walks as many entries as the cost needs', () => {
    const spec = slidingWindowLog({ limit: 4, windowMs: 100 });
    const out = run(spec, [
      [0, 1],
      [10, 1],
      [20, 1],
      [30, 1],
      [50, 3], // needs 3 units gone: the entry at 20 leaves at 120
    ]);
    expect(out[4]).toEqual(d(false, 4, 0, 50, 70));
  });

  it('drops expired entries and compacts its log', () => {
    const spec = slidingWindowLog({ limit: 1, windowMs: 1 });
    const algo = algorithms['sliding-window-log'];
    const state = algo.fresh(spec);
    for (let t = 0; t < 1000; t++) expect(algo.step(spec, state, t, 1, true).allowed).toBe(true);
    expect(state.times.length - state.head).toBe(1);
    expect(state.times.length).toBeLessThan(40);
  });
});

describe('sliding window counter', () => {
  it('weights the previous window by its overlap', () => {
    const spec = slidingWindowCounter({ limit: 10, windowMs: 1000 });
    expect(
      run(spec, [
        [1000, 10],
        [1500, 1], // curr is full: wait into the next window until 10 x weight <= 9
        [2000, 1], // prev 10 at weight 1
        [2500, 5], // 10 x 0.5 + 5 = 10
        [2500, 1],
        [2600, 1], // 10 x 0.4 + 5 + 1 = 10
      ]),
    ).toEqual([
      d(true, 10, 0, 1100, 0), // t: one unit fits once 10 x weight <= 9
      d(false, 10, 0, 600, 600),
      d(false, 10, 0, 100, 100),
      d(true, 10, 0, 100, 0),
      d(false, 10, 0, 100, 100),
      d(true, 10, 0, 100, 0),
    ]);
  });

  it('forgets everything after two windows', () => {
    const spec = slidingWindowCounter({ limit: 2, windowMs: 10 });
    const out = run(spec, [
      [0, 2],
      [25, 2],
    ]);
    expect(out[1]).toEqual(d(true, 2, 0, 10, 0));
  });
});

describe('GCRA', () => {
  it('admits burst + 1 at once, then one every periodMs / limit', () => {
    const spec = gcra({ limit: 3, periodMs: 1000, burst: 1 });
    expect(
      run(spec, [
        [1000, 1],
        [1000, 1],
        [1000, 1],
        [1333, 1],
        [1334, 1], // TAT 1666.67: lead 666.67 <= 2 x 333.33
        [1666, 1],
        [2000, 2],
      ]),
    ).toEqual([
      d(true, 2, 1, 334, 0), // t: until the next unit of the pace
      d(true, 2, 0, 334, 0),
      d(false, 2, 0, 334, 334),
      d(false, 2, 0, 1, 1),
      d(true, 2, 0, 333, 0),
      d(false, 2, 0, 1, 1),
      d(true, 2, 0, 334, 0),
    ]);
  });

  it('keeps the fraction of a ms exactly (no drift with periodMs / limit = 1000 / 3)', () => {
    const spec = gcra({ limit: 3, periodMs: 1000 });
    const algo = algorithms.gcra;
    const state = algo.fresh(spec);
    let admitted = 0;
    // Each admission lands on the first whole ms at or after k * 333.33...
    for (let t = 0; t < 30_000; t++) if (algo.step(spec, state, t, 1, true).allowed) admitted++;
    expect(admitted).toBe(30 * 3);
  });
});

describe('every algorithm', () => {
  const specs: AlgorithmSpec[] = [
    tokenBucket({ capacity: 4, refillPerSecond: 10 }),
    leakyBucket({ capacity: 4, leakPerSecond: 10 }),
    fixedWindow({ limit: 4, windowMs: 100 }),
    slidingWindowLog({ limit: 4, windowMs: 100 }),
    slidingWindowCounter({ limit: 4, windowMs: 100 }),
    gcra({ limit: 4, periodMs: 100, burst: 3 }),
  ];

  it.each(specs.map((s) => [s.kind, s] as const))(
    '%s: a fresh key is idle and admits the limit at once',
    (_, spec) => {
      const algo = algorithmFor(spec);
      const state = algo.fresh(spec);
      expect(algo.isIdle(spec, state, 12_345)).toBe(true);
      const first = algo.step(spec, state, 12_345, 4, true);
      expect(first).toMatchObject({ allowed: true, limit: 4, remaining: 0, retryAfterMs: 0 });
      expect(first.resetMs).toBeGreaterThan(0);
      expect(algo.isIdle(spec, state, 12_345)).toBe(false);
      // resetMs is exactly when one more unit is available again (the header's `t`)
      const probe = algo.fresh(spec);
      algo.copy(state, probe);
      expect(algo.step(spec, probe, 12_345 + first.resetMs - 1, 1, false).allowed).toBe(false);
      expect(algo.step(spec, probe, 12_345 + first.resetMs, 1, false).allowed).toBe(true);
    },
  );

  it.each(specs.map((s) => [s.kind, s] as const))(
    '%s: a denied or peeked step leaves the state alone',
    (_, spec) => {
      const algo = algorithmFor(spec);
      const state = algo.fresh(spec);
      algo.step(spec, state, 500, 3, true);
      const copy = algo.fresh(spec);
      algo.copy(state, copy);
      expect(algo.step(spec, state, 500, 2, true).allowed).toBe(false);
      expect(algo.step(spec, state, 500, 1, false).allowed).toBe(true);
      expect(state).toEqual(copy);
    },
  );

  it.each(specs.map((s) => [s.kind, s] as const))(
    '%s: a clock that steps back is not a way to get more',
    (_, spec) => {
      const algo = algorithmFor(spec);
      const state = algo.fresh(spec);
      algo.step(spec, state, 1000, 4, true);
      const back = algo.step(spec, state, 900, 1, true);
      expect(back.allowed).toBe(false);
      expect(back.retryAfterMs).toBeGreaterThan(0);
    },
  );
});

describe('factories', () => {
  it('return frozen specs', () => {
    const spec = tokenBucket({ capacity: 1, refillPerSecond: 1 });
    expect(Object.isFrozen(spec)).toBe(true);
    expect(spec).toEqual({ kind: 'token-bucket', capacity: 1, refillPerSecond: 1 });
    expect(gcra({ limit: 1, periodMs: 1 })).toEqual({
      kind: 'gcra',
      limit: 1,
      periodMs: 1,
      burst: 0,
    });
  });

  const bad: [string, () => unknown, ErrorConstructor, string][] = [
    [
      'tokenBucket()',
      () => tokenBucket(undefined as never),
      TypeError,
      'tokenBucket options must be an object, got undefined',
    ],
    [
      'capacity 0',
      () => tokenBucket({ capacity: 0, refillPerSecond: 1 }),
      RangeError,
      'capacity must be an integer >= 1, got 0',
    ],
    [
      'capacity 1.5',
      () => tokenBucket({ capacity: 1.5, refillPerSecond: 1 }),
      RangeError,
      'capacity must be an integer >= 1, got 1.5',
    ],
    [
      'capacity string',
      () => tokenBucket({ capacity: '5' as never, refillPerSecond: 1 }),
      TypeError,
      'capacity must be an integer, got "5"',
    ],
    [
      'capacity huge',
      () => tokenBucket({ capacity: 2 ** 41, refillPerSecond: 1 }),
      RangeError,
      'capacity must be an integer <= 2^40',
    ],
    [
      'refillPerSecond 0',
      () => tokenBucket({ capacity: 1, refillPerSecond: 0 }),
      RangeError,
      'refillPerSecond must be a finite number > 0, got 0',
    ],
    [
      'refillPerSecond NaN',
      () => tokenBucket({ capacity: 1, refillPerSecond: Number.NaN }),
      RangeError,
      'refillPerSecond must be a finite number > 0, got NaN',
    ],
    [
      'refillPerSecond Infinity',
      () => tokenBucket({ capacity: 1, refillPerSecond: Number.POSITIVE_INFINITY }),
      RangeError,
      'refillPerSecond',
    ],
    [
      'refillPerSecond too small',
      () => tokenBucket({ capacity: 10, refillPerSecond: 1e-15 }),
      RangeError,
      'refillPerSecond must be at least capacity * 1000 / (2^53 - 1)',
    ],
    [
      'leakPerSecond too small',
      () => leakyBucket({ capacity: 10, leakPerSecond: 1e-300 }),
      RangeError,
      'leakPerSecond must be at least',
    ],
    [
      'refillPerSecond missing',
      () => tokenBucket({ capacity: 1 } as never),
      TypeError,
      'refillPerSecond must be a number, got undefined',
    ],
    [
      'leakyBucket()',
      () => leakyBucket(null as never),
      TypeError,
      'leakyBucket options must be an object, got null',
    ],
    [
      'leaky capacity -1',
      () => leakyBucket({ capacity: -1, leakPerSecond: 1 }),
      RangeError,
      'capacity must be an integer >= 1, got -1',
    ],
    [
      'leakPerSecond -1',
      () => leakyBucket({ capacity: 1, leakPerSecond: -1 }),
      RangeError,
      'leakPerSecond must be a finite number > 0, got -1',
    ],
    [
      'leakPerSecond missing',
      () => leakyBucket({ capacity: 1 } as never),
      TypeError,
      'leakPerSecond must be a number',
    ],
    [
      'fixedWindow()',
      () => fixedWindow(5 as never),
      TypeError,
      'fixedWindow options must be an object, got 5',
    ],
    [
      'fixed limit 0',
      () => fixedWindow({ limit: 0, windowMs: 1 }),
      RangeError,
      'limit must be an integer >= 1, got 0',
    ],
    [
      'fixed windowMs 0.5',
      () => fixedWindow({ limit: 1, windowMs: 0.5 }),
      RangeError,
      'windowMs must be an integer >= 1, got 0.5',
    ],
    [
      'fixed windowMs missing',
      () => fixedWindow({ limit: 1 } as never),
      TypeError,
      'windowMs must be an integer, got undefined',
    ],
    [
      'slidingWindowLog()',
      () => slidingWindowLog([] as never),
      TypeError,
      'slidingWindowLog options must be an object, got []',
    ],
    [
      'log limit NaN',
      () => slidingWindowLog({ limit: Number.NaN, windowMs: 1 }),
      RangeError,
      'limit must be an integer >= 1, got NaN',
    ],
    [
      'log windowMs -5',
      () => slidingWindowLog({ limit: 1, windowMs: -5 }),
      RangeError,
      'windowMs must be an integer >= 1, got -5',
    ],
    [
      'slidingWindowCounter()',
      () => slidingWindowCounter('x' as never),
      TypeError,
      'slidingWindowCounter options must be an object, got "x"',
    ],
    [
      'counter limit 2.5',
      () => slidingWindowCounter({ limit: 2.5, windowMs: 1 }),
      RangeError,
      'limit must be an integer >= 1, got 2.5',
    ],
    [
      'counter windowMs Infinity',
      () => slidingWindowCounter({ limit: 1, windowMs: Number.POSITIVE_INFINITY }),
      RangeError,
      'windowMs must be an integer >= 1, got Infinity',
    ],
    [
      'counter limit x windowMs',
      () => slidingWindowCounter({ limit: 2 ** 30, windowMs: 2 ** 30 }),
      RangeError,
      'limit * windowMs must be <= 9007199254740991',
    ],
    [
      'gcra()',
      () => gcra(undefined as never),
      TypeError,
      'gcra options must be an object, got undefined',
    ],
    [
      'gcra limit 0',
      () => gcra({ limit: 0, periodMs: 1 }),
      RangeError,
      'limit must be an integer >= 1, got 0',
    ],
    [
      'gcra periodMs 0',
      () => gcra({ limit: 1, periodMs: 0 }),
      RangeError,
      'periodMs must be an integer >= 1, got 0',
    ],
    [
      'gcra burst -1',
      () => gcra({ limit: 1, periodMs: 1, burst: -1 }),
      RangeError,
      'burst must be an integer >= 0, got -1',
    ],
    [
      'gcra burst string',
      () => gcra({ limit: 1, periodMs: 1, burst: '2' as never }),
      TypeError,
      'burst must be an integer, got "2"',
    ],
    [
      'gcra too large',
      () => gcra({ limit: 1, periodMs: 2 ** 30, burst: 2 ** 30 }),
      RangeError,
      'burst and periodMs are too large together',
    ],
  ];
  it.each(bad)('reject %s, naming the option', (_, make, type, message) => {
    expect(make).toThrow(type);
    expect(make).toThrow(message);
  });
});

describe('policyOf', () => {
  it('describes each algorithm as limit per window', () => {
    expect(policyOf(tokenBucket({ capacity: 10, refillPerSecond: 3 }))).toEqual({
      name: 'default',
      limit: 10,
      windowMs: 3334,
    });
    expect(policyOf(leakyBucket({ capacity: 5, leakPerSecond: 10 }), 'p')).toEqual({
      name: 'p',
      limit: 5,
      windowMs: 500,
    });
    for (const f of [fixedWindow, slidingWindowLog, slidingWindowCounter])
      expect(policyOf(f({ limit: 7, windowMs: 60_000 }))).toEqual({
        name: 'default',
        limit: 7,
        windowMs: 60_000,
      });
    expect(policyOf(gcra({ limit: 10, periodMs: 1000, burst: 4 }))).toEqual({
      name: 'default',
      limit: 14,
      windowMs: 1000,
    });
    expect(Object.isFrozen(policyOf(gcra({ limit: 1, periodMs: 1 })))).toBe(true);
  });

  it('rejects a bad spec or name', () => {
    expect(() => policyOf({ kind: 'x' } as never)).toThrow(TypeError);
    expect(() => policyOf(null as never)).toThrow(
      'spec must be built by one of the algorithm factories, got null',
    );
    expect(() => policyOf(fixedWindow({ limit: 1, windowMs: 1 }), '')).toThrow(
      'name must be a non-empty string',
    );
  });
});
