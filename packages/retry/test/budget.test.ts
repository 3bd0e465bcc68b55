import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../src/index.js';
import { fakeClock } from './helpers.js';

describe('RetryBudget', () => {
  it('allows ratio × attempts plus the floor per window', () => {
    const clock = fakeClock();
    const budget = new RetryBudget({
      ratio: 0.2,
      minRetriesPerSecond: 1,
      window: { ms: 5_000 },
      clock,
    });
    // Floor: 1/s × 5 s = 5 retries with no traffic at all.
    for (let i = 0; i < 5; i++) expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
    for (let i = 0; i < 10; i++) budget.recordAttempt();
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
    expect(budget.stats()).toEqual({
      attempts: 10,
      retries: 7,
      allowed: expect.closeTo(7, 6),
      available: 0,
      totalAttempts: 10,
      totalRetries: 7,
      rejected: 2,
    });
  });

  it('forgets counts as the window slides past them', () => {
    const clock = fakeClock();
    const budget = new RetryBudget({
      ratio: 0.5,
      minRetriesPerSecond: 0,
      window: { ms: 1_000, buckets: 10 },
      clock,
    });
    for (let i = 0; i < 4; i++) budget.recordAttempt();
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
    clock.advance(999);
    expect(budget.stats().attempts).toBe(4);
    clock.advance(1);
    expect(budget.stats()).toMatchObject({ attempts: 0, retries: 0, available: 0 });
    expect(budget.tryRetry()).toBe(false);
    clock.advance(60_000);
    budget.recordAttempt();
    budget.recordAttempt();
    expect(budget.tryRetry()).toBe(true);
    expect(budget.stats()).toMatchObject({ totalAttempts: 6, totalRetries: 3, rejected: 2 });
  });

  it('never grants more than ratio × attempts + floor within a window (model-based property)', () => {
    type Op = { kind: 'attempt' } | { kind: 'retry' } | { kind: 'advance'; ms: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.constant({ kind: 'attempt' } as Op) },
      { weight: 5, arbitrary: fc.constant({ kind: 'retry' } as Op) },
      {
        weight: 1,
        arbitrary: fc.integer({ min: 1, max: 3_000 }).map((ms) => ({ kind: 'advance', ms }) as Op),
      },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }).map((p) => p / 100),
        fc.integer({ min: 0, max: 3 }),
        fc.array(op, { maxLength: 300 }),
        (ratio, perSecond, ops) => {
          const clock = fakeClock();
          const windowMs = 1_000;
          const budget = new RetryBudget({
            ratio,
            minRetriesPerSecond: perSecond,
            window: { ms: windowMs, buckets: 10 },
            clock,
          });
          // Model: every event with its time; the window holds the events of the last 10 buckets.
          const events: { at: number; kind: 'attempt' | 'retry' }[] = [];
          const bucketOf = (t: number) => Math.floor(t / 100);
          for (const o of ops) {
            if (o.kind === 'advance') {
              clock.advance(o.ms);
              continue;
            }
            const now = clock.now();
            const live = events.filter((e) => bucketOf(e.at) > bucketOf(now) - 10);
            const attempts = live.filter((e) => e.kind === 'attempt').length;
            const retries = live.length - attempts;
            if (o.kind === 'attempt') {
              budget.recordAttempt();
              events.push({ at: now, kind: 'attempt' });
            } else {
              const allowed = ratio * attempts + perSecond;
              const expected = retries + 1 <= allowed + 1e-9;
              expect(budget.tryRetry()).toBe(expected);
              if (expected) events.push({ at: now, kind: 'retry' });
              // The invariant itself: granted retries in the window never exceed the allowance.
              expect(retries + (expected ? 1 : 0)).toBeLessThanOrEqual(allowed + 1e-9);
            }
          }
        },
      ),
    );
  });

  it('matches a reference model under any sequence of commands (fc.commands)', () => {
    interface Model {
      now: number;
      events: { at: number; kind: 'attempt' | 'retry' }[];
    }
    interface Real {
      clock: ReturnType<typeof fakeClock>;
      budget: RetryBudget;
    }
    const RATIO = 0.25;
    const FLOOR = 2; // minRetriesPerSecond 2 × 1 s window
    const live = (m: Model) =>
      m.events.filter((e) => Math.floor(e.at / 100) > Math.floor(m.now / 100) - 10);
    class Attempt implements fc.Command<Model, Real> {
      check = () => true;
      run(m: Model, r: Real) {
        r.budget.recordAttempt();
        m.events.push({ at: m.now, kind: 'attempt' });
      }
      toString = () => 'attempt';
    }
    class Retry implements fc.Command<Model, Real> {
      check = () => true;
      run(m: Model, r: Real) {
        const window = live(m);
        const attempts = window.filter((e) => e.kind === 'attempt').length;
        const retries = window.length - attempts;
        const expected = retries + 1 <= RATIO * attempts + FLOOR + 1e-9;
        expect(r.budget.tryRetry()).toBe(expected);
        if (expected) m.events.push({ at: m.now, kind: 'retry' });
        const stats = r.budget.stats();
        expect(stats.retries).toBe(retries + (expected ? 1 : 0));
        expect(stats.attempts).toBe(attempts);
        expect(stats.retries).toBeLessThanOrEqual(stats.allowed);
      }
      toString = () => 'retry';
    }
    class Advance implements fc.Command<Model, Real> {
      constructor(readonly ms: number) {}
      check = () => true;
      run(m: Model, r: Real) {
        m.now += this.ms;
        r.clock.advance(this.ms);
      }
      toString = () => `advance(${this.ms})`;
    }
    const commands = [
      fc.constant(new Attempt()),
      fc.constant(new Retry()),
      fc.integer({ min: 1, max: 1_500 }).map((ms) => new Advance(ms)),
    ];
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 200 }), (cmds) => {
        const clock = fakeClock();
        const budget = new RetryBudget({
          ratio: RATIO,
          minRetriesPerSecond: 2,
          window: { ms: 1_000, buckets: 10 },
          clock,
        });
        fc.modelRun(
          () => ({ model: { now: clock.now(), events: [] }, real: { clock, budget } }),
          cmds,
        );
      }),
    );
  });

  it('rejects bad options, naming them', () => {
    expect(() => new RetryBudget({ ratio: -0.1 })).toThrow(
      'ratio must be a number between 0 and 1000, got -0.1',
    );
    expect(() => new RetryBudget({ window: { ms: 0 } })).toThrow(/window\.ms must be a number > 0/);
    expect(() => new RetryBudget({ minRetriesPerSecond: Number.NaN })).toThrow(
      /minRetriesPerSecond/,
    );
    expect(() => new RetryBudget({ window: { buckets: 0 } })).toThrow(
      'window.buckets must be an integer between 1 and 1000, got 0',
    );
    expect(() => new RetryBudget({ window: { buckets: 5_000 } })).toThrow(
      /window\.buckets must be an integer between 1 and 1000/,
    );
    expect(() => new RetryBudget({ clock: {} as never })).toThrow(
      /clock must be an object with now/,
    );
    expect(() => new RetryBudget({ windowMs: 5 } as never)).toThrow(
      'unknown option "windowMs" in new RetryBudget(options); use "window.ms" instead',
    );
    expect(() => new RetryBudget({ buckets: 5 } as never)).toThrow(
      'unknown option "buckets" in new RetryBudget(options); use "window.buckets" instead',
    );
    expect(() => new RetryBudget({ window: { ms: 5, bucket: 2 } } as never)).toThrow(
      'unknown option "bucket" in window; did you mean "buckets"?',
    );
    expect(() => new RetryBudget({ ratio: '1' as never })).toThrow(TypeError);
  });
});
