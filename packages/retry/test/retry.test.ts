import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { BrokenCircuitError, CircuitBreaker } from '@bulwark/circuit-breaker';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  type GiveUpEvent,
  isBulwarkError,
  isTimeoutError,
  RetryBudget,
  RetryBudgetExhaustedError,
  type RetryEvent,
  retry,
  retryPolicy,
  TimeoutError,
  timeout,
  timeoutPolicy,
} from '../src/index.js';
import { HttpStatusError } from '../src/undici.js';
import { drive, EPOCH, fakeClock, flaky } from './helpers.js';

const constant = (baseMs: number) => ({ strategy: 'constant' as const, baseMs });

describe('retry', () => {
  it('returns the first success without arming a timer', async () => {
    const clock = fakeClock();
    const fn = vi.fn(async (_ctx: { attempt: number }) => 'ok');
    await expect(retry(fn, { clock })).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn.mock.calls[0]![0]).toMatchObject({ attempt: 1 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('works without options', async () => {
    await expect(retry(async () => 'plain')).resolves.toBe('plain');
    await expect(retry(() => 2)).resolves.toBe(2);
  });

  it('accepts sync values, sync throws and foreign thenables', async () => {
    const clock = fakeClock();
    await expect(retry(() => 7, { clock })).resolves.toBe(7);
    let n = 0;
    const sync = () => {
      if (++n < 3) throw new Error('sync');
      return 'third';
    };
    expect(await drive(clock, retry(sync, { clock, backoff: constant(10) }))).toEqual({
      ok: true,
      value: 'third',
    });
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: a foreign thenable is the point
      then: (res: (v: number) => void) => res(9),
    } as unknown as PromiseLike<number>;
    await expect(retry(() => thenable, { clock })).resolves.toBe(9);
  });

  it('retries until success, waiting the backoff between attempts', async () => {
    const clock = fakeClock();
    const { fn, calls } = flaky(2, 'done');
    const events: RetryEvent[] = [];
    const p = retry(fn, {
      clock,
      attempts: 5,
      backoff: { strategy: 'exponential', baseMs: 100 },
      onRetry: (e) => events.push(e),
    });
    await clock.advanceAsync(99);
    expect(calls()).toBe(1);
    await clock.advanceAsync(1);
    expect(calls()).toBe(2);
    await clock.advanceAsync(199);
    expect(calls()).toBe(2);
    await clock.advanceAsync(1);
    await expect(p).resolves.toBe('done');
    expect(events.map((e) => [e.attempt, e.delayMs, (e.error as Error).message])).toEqual([
      [1, 100, 'fail 1'],
      [2, 200, 'fail 2'],
    ]);
  });

  it('passes the attempt number and the signal to each attempt', async () => {
    const clock = fakeClock();
    const seen: number[] = [];
    const controller = new AbortController();
    const fn = async ({ attempt, signal }: { attempt: number; signal: AbortSignal }) => {
      seen.push(attempt);
      expect(signal).toBe(controller.signal);
      if (attempt < 3) throw new Error('x');
      return attempt;
    };
    const r = await drive(
      clock,
      retry(fn, { clock, signal: controller.signal, backoff: constant(5) }),
    );
    expect(r).toEqual({ ok: true, value: 3 });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('gives up after `attempts` with the last error', async () => {
    const clock = fakeClock();
    const { fn, calls } = flaky(10, 'never');
    const giveUps: GiveUpEvent[] = [];
    const r = await drive(
      clock,
      retry(fn, { clock, attempts: 3, backoff: constant(1), onGiveUp: (e) => giveUps.push(e) }),
    );
    expect(r.ok).toBe(false);
    expect((r as { error: Error }).error.message).toBe('fail 3');
    expect(calls()).toBe(3);
    expect(giveUps).toEqual([
      { name: 'default', attempts: 3, error: expect.any(Error), reason: 'attempts-exhausted' },
    ]);
  });

  it('does not retry what retryOn refuses (a throwing predicate refuses)', async () => {
    const clock = fakeClock();
    const fatal = Object.assign(new Error('fatal'), { fatal: true });
    const onGiveUp = vi.fn();
    let calls = 0;
    const fn = async () => {
      calls++;
      throw calls === 1 ? new Error('transient') : fatal;
    };
    const r = await drive(
      clock,
      retry(fn, {
        clock,
        attempts: 5,
        backoff: constant(1),
        retryOn: (e) => !(e as { fatal?: boolean }).fatal,
        onGiveUp,
      }),
    );
    expect(r).toEqual({ ok: false, error: fatal });
    expect(calls).toBe(2);
    expect(onGiveUp).toHaveBeenCalledWith({
      name: 'default',
      attempts: 2,
      error: fatal,
      reason: 'not-retryable',
    });

    const first = vi.fn(async () => {
      throw new Error('no');
    });
    const onGiveUp2 = vi.fn();
    await expect(
      retry(first, {
        clock,
        retryOn: () => {
          throw new Error('predicate bug');
        },
        onGiveUp: onGiveUp2,
      }),
    ).rejects.toThrow('no');
    expect(first).toHaveBeenCalledTimes(1);
    expect(onGiveUp2).not.toHaveBeenCalled();
  });

  it('only `true` from retryOn retries: a truthy value or an async predicate means no', async () => {
    for (const retryOn of [() => 1 as unknown as boolean, async () => true] as never[]) {
      const fn = vi.fn(async () => {
        throw new Error('x');
      });
      await expect(retry(fn, { retryOn })).rejects.toThrow('x');
      expect(fn).toHaveBeenCalledTimes(1);
    }
  });

  it('attempts: 1 never retries and reports no give-up', async () => {
    const onGiveUp = vi.fn();
    const error = new Error('once');
    await expect(retry(() => Promise.reject(error), { attempts: 1, onGiveUp })).rejects.toBe(error);
    expect(onGiveUp).not.toHaveBeenCalled();
  });

  it('a listener that throws does not change the outcome', async () => {
    const clock = fakeClock();
    const uncaught: unknown[] = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((cb) => {
      try {
        cb();
      } catch (e) {
        uncaught.push(e);
      }
    });
    try {
      const { fn } = flaky(1, 'ok');
      const r = await drive(
        clock,
        retry(fn, {
          clock,
          backoff: constant(1),
          onRetry: () => {
            throw new Error('listener');
          },
        }),
      );
      expect(r).toEqual({ ok: true, value: 'ok' });
      expect(uncaught).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('publishes on bulwark:retry:retry and bulwark:retry:give-up', async () => {
    const clock = fakeClock();
    const got: [string, unknown][] = [];
    const onRetry = (m: unknown) => got.push(['retry', m]);
    const onGiveUp = (m: unknown) => got.push(['give-up', m]);
    subscribe('bulwark:retry:retry', onRetry);
    subscribe('bulwark:retry:give-up', onGiveUp);
    try {
      const { fn } = flaky(5, 'x');
      await drive(clock, retry(fn, { clock, attempts: 2, backoff: constant(3) }));
    } finally {
      unsubscribe('bulwark:retry:retry', onRetry);
      unsubscribe('bulwark:retry:give-up', onGiveUp);
    }
    expect(got.map(([name]) => name)).toEqual(['retry', 'give-up']);
    expect(got[0]![1]).toMatchObject({ attempt: 1, delayMs: 3 });
    expect(got[1]![1]).toMatchObject({ attempts: 2, reason: 'attempts-exhausted' });
  });

  it('delays observed through the policy stay within the strategy bounds (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'full-jitter',
          'equal-jitter',
          'decorrelated-jitter',
          'exponential',
        ) as fc.Arbitrary<'full-jitter' | 'equal-jitter' | 'decorrelated-jitter' | 'exponential'>,
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
          minLength: 6,
          maxLength: 6,
        }),
        async (strategy, baseMs, extra, randoms) => {
          const clock = fakeClock();
          const maxDelayMs = baseMs + extra;
          let i = 0;
          const delays: number[] = [];
          const { fn } = flaky(5, 'ok');
          const r = await drive(
            clock,
            retry(fn, {
              clock,
              attempts: 6,
              backoff: { strategy, baseMs, maxDelayMs },
              random: () => randoms[i++]!,
              onRetry: (e) => delays.push(e.delayMs),
            }),
          );
          expect(r).toEqual({ ok: true, value: 'ok' });
          expect(delays).toHaveLength(5);
          let previous = baseMs;
          delays.forEach((d, k) => {
            const e = Math.min(maxDelayMs, baseMs * 2 ** k);
            if (strategy === 'exponential') expect(d).toBe(e);
            if (strategy === 'full-jitter') expect(d).toBeLessThanOrEqual(e);
            if (strategy === 'equal-jitter') expect(d).toBeGreaterThanOrEqual(e / 2);
            if (strategy === 'equal-jitter') expect(d).toBeLessThanOrEqual(e);
            if (strategy === 'decorrelated-jitter') {
              expect(d).toBeGreaterThanOrEqual(baseMs);
              expect(d).toBeLessThanOrEqual(Math.min(maxDelayMs, 3 * previous) + 1e-9);
            }
            expect(d).toBeGreaterThanOrEqual(0);
            expect(d).toBeLessThanOrEqual(maxDelayMs);
            previous = d;
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('retry loop (properties)', () => {
  it('calls fn until the first success or `attempts` calls, waiting exactly the reported delays', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 500 }),
        async (outcomes, attempts, baseMs) => {
          const clock = fakeClock();
          const start = clock.now();
          const events: RetryEvent[] = [];
          const giveUps: GiveUpEvent[] = [];
          let calls = 0;
          const fn = async () => {
            const ok = outcomes[calls] ?? false;
            calls++;
            if (!ok) throw new Error(`fail ${calls}`);
            return calls;
          };
          const r = await drive(
            clock,
            retry(fn, {
              clock,
              attempts,
              backoff: { strategy: 'exponential', baseMs, maxDelayMs: 2_000 },
              onRetry: (e) => events.push(e),
              onGiveUp: (e) => giveUps.push(e),
            }),
          );
          const firstOk = outcomes.indexOf(true);
          const expectedCalls = firstOk >= 0 && firstOk < attempts ? firstOk + 1 : attempts;
          expect(calls).toBe(expectedCalls);
          expect(events.map((e) => e.attempt)).toEqual(
            Array.from({ length: calls - 1 }, (_, i) => i + 1),
          );
          expect(clock.now() - start).toBe(events.reduce((sum, e) => sum + e.delayMs, 0));
          if (firstOk >= 0 && firstOk < attempts) {
            expect(r).toEqual({ ok: true, value: calls });
            expect(giveUps).toEqual([]);
          } else {
            expect((r as { error: Error }).error.message).toBe(`fail ${attempts}`);
            expect(giveUps).toHaveLength(attempts > 1 ? 1 : 0);
          }
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('an abort at any moment rejects with its reason, stops calling fn and leaves no timer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2_000 }), async (abortAt) => {
        const clock = fakeClock();
        const controller = new AbortController();
        let calls = 0;
        const fn = ({ signal }: { signal: AbortSignal }) => {
          calls++;
          // Each attempt takes 150 ms, then fails; it honours its signal.
          return new Promise<never>((_, reject) => {
            const t = clock.setTimeout(() => reject(new Error('fail')), 150);
            signal.addEventListener('abort', () => {
              clock.clearTimeout(t);
              reject(signal.reason);
            });
          });
        };
        const p = retry(fn, {
          clock,
          attempts: 100,
          signal: controller.signal,
          backoff: { strategy: 'constant', baseMs: 100 },
        });
        const outcome = p.catch((e) => e);
        await clock.advanceAsync(abortAt);
        const reason = new Error('stop');
        controller.abort(reason);
        expect(await outcome).toBe(reason);
        const callsAtAbort = calls;
        await clock.advanceAsync(5_000);
        expect(calls).toBe(callsAtAbort);
        expect(clock.pendingTimers).toBe(0);
        // 250 ms per failed attempt and its wait: the attempt running at abortAt is the last one.
        expect(calls).toBe(Math.floor(abortAt / 250) + 1);
      }),
      { numRuns: 60 },
    );
  });
});

describe('Retry-After', () => {
  it('waits max(backoff, retryAfterMs)', async () => {
    const clock = fakeClock();
    const delays: number[] = [];
    let n = 0;
    const fn = async () => {
      n++;
      if (n === 1) throw Object.assign(new Error('slow down'), { retryAfterMs: 500 });
      if (n === 2) throw Object.assign(new Error('short'), { retryAfterMs: 5 });
      return 'ok';
    };
    const r = await drive(
      clock,
      retry(fn, {
        clock,
        attempts: 3,
        backoff: constant(50),
        onRetry: (e) => delays.push(e.delayMs),
      }),
    );
    expect(r).toEqual({ ok: true, value: 'ok' });
    expect(delays).toEqual([500, 50]);
  });

  it('reads a Retry-After header in seconds or as an HTTP-date', async () => {
    const clock = fakeClock();
    const delays: number[] = [];
    let n = 0;
    const date = new Date(EPOCH + 7_000).toUTCString();
    const fn = async () => {
      n++;
      if (n === 1) throw Object.assign(new Error('a'), { headers: { 'retry-after': '2' } });
      if (n === 2)
        throw Object.assign(new Error('b'), {
          response: { headers: new Headers({ 'Retry-After': date }) },
        });
      return 'ok';
    };
    const r = await drive(
      clock,
      retry(fn, {
        clock,
        attempts: 3,
        backoff: constant(1),
        onRetry: (e) => delays.push(e.delayMs),
      }),
    );
    expect(r).toEqual({ ok: true, value: 'ok' });
    // The second Retry-After is read 2 s later on the clock: 7 s − 2 s.
    expect(delays).toEqual([2_000, 5_000]);
  });

  it('gives up at once when Retry-After exceeds maxRetryAfterMs', async () => {
    const clock = fakeClock();
    const error = Object.assign(new Error('later'), { retryAfterMs: 120_000 });
    const onGiveUp = vi.fn();
    const fn = vi.fn(async () => {
      throw error;
    });
    await expect(retry(fn, { clock, maxRetryAfterMs: 60_000, onGiveUp })).rejects.toBe(error);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(onGiveUp).toHaveBeenCalledWith({
      name: 'default',
      attempts: 1,
      error,
      reason: 'retry-after-too-long',
    });
  });

  it('can be ignored with respectRetryAfter: false', async () => {
    const clock = fakeClock();
    const delays: number[] = [];
    const { fn } = flaky(1, 'ok', () => Object.assign(new Error('x'), { retryAfterMs: 1e9 }));
    const r = await drive(
      clock,
      retry(fn, {
        clock,
        respectRetryAfter: false,
        backoff: constant(10),
        onRetry: (e) => delays.push(e.delayMs),
      }),
    );
    expect(r).toEqual({ ok: true, value: 'ok' });
    expect(delays).toEqual([10]);
  });

  it('waits out an open circuit breaker instead of hammering it', async () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({
      window: { calls: 2 },
      minimumCalls: 2,
      openMs: 1_000,
      clock,
    });
    const failing = () => Promise.reject(new Error('down'));
    await breaker.execute(failing).catch(() => {});
    await breaker.execute(failing).catch(() => {});
    expect(breaker.state).toBe('open');
    await clock.advanceAsync(400);
    const delays: number[] = [];
    const r = await drive(
      clock,
      retry(() => breaker.execute(async () => 'up'), {
        clock,
        backoff: constant(10),
        onRetry: (e) => {
          expect(e.error).toBeInstanceOf(BrokenCircuitError);
          delays.push(e.delayMs);
        },
      }),
    );
    expect(r).toEqual({ ok: true, value: 'up' });
    expect(delays).toEqual([600]);
  });
});

describe('abort', () => {
  it('an aborted signal rejects with its reason without calling fn', async () => {
    const fn = vi.fn(async () => 1);
    const reason = new Error('gone');
    await expect(retry(fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
  });

  it('aborting during a wait rejects at once and clears the timer', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    const { fn, calls } = flaky(5, 'x');
    const p = retry(fn, { clock, signal: controller.signal, backoff: constant(1_000) });
    const outcome = p.catch((e) => e);
    await clock.advanceAsync(10);
    expect(clock.pendingTimers).toBe(1);
    controller.abort(new Error('stop'));
    expect(((await outcome) as Error).message).toBe('stop');
    expect(clock.pendingTimers).toBe(0);
    expect(calls()).toBe(1);
  });

  it('aborting during an attempt that ignores its signal rejects at once', async () => {
    const controller = new AbortController();
    const never = new Promise<never>(() => {});
    const p = retry(() => never, { signal: controller.signal });
    controller.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
  });

  it('aborting during a retry attempt rejects at once', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    let n = 0;
    const fn = () => (++n === 1 ? Promise.reject(new Error('x')) : new Promise<never>(() => {}));
    const p = retry(fn, { clock, signal: controller.signal, backoff: constant(5) });
    const outcome = p.catch((e) => e);
    await clock.advanceAsync(5);
    expect(n).toBe(2);
    controller.abort('reason-string');
    expect(await outcome).toBe('reason-string');
  });

  it('a signal aborted by onRetry stops before the wait, arming no timer', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    const { fn, calls } = flaky(5, 'x');
    const reason = new Error('enough');
    const p = retry(fn, {
      clock,
      signal: controller.signal,
      backoff: constant(1_000),
      onRetry: () => controller.abort(reason),
    });
    await expect(p).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
    expect(calls()).toBe(1);
  });

  it('a signal aborted while fn fails stops retrying, with the reason', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    const fn = vi.fn(({ signal }: { signal: AbortSignal }) => {
      controller.abort(new Error('mine'));
      return Promise.reject(signal.reason);
    });
    const r = await drive(clock, retry(fn, { clock, signal: controller.signal }));
    expect((r as { error: Error }).error.message).toBe('mine');
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('budget', () => {
  it('a refused retry rejects with RetryBudgetExhaustedError carrying the last error', async () => {
    const clock = fakeClock();
    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0, clock });
    const error = new Error('down');
    const onGiveUp = vi.fn();
    const p = retry(() => Promise.reject(error), { clock, budget, onGiveUp });
    const e = (await p.catch((x) => x)) as RetryBudgetExhaustedError;
    expect(e).toBeInstanceOf(RetryBudgetExhaustedError);
    expect(e.name).toBe('RetryBudgetExhaustedError');
    expect(e.cause).toBe(error);
    expect(e.attempts).toBe(1);
    expect(onGiveUp).toHaveBeenCalledWith({
      name: 'default',
      attempts: 1,
      error,
      reason: 'budget-exhausted',
    });
    expect(budget.stats()).toMatchObject({ totalAttempts: 1, totalRetries: 0, rejected: 1 });
  });

  it('caps the retries of many failing calls sharing it', async () => {
    const clock = fakeClock();
    const budget = new RetryBudget({
      ratio: 0.1,
      minRetriesPerSecond: 0,
      window: { ms: 10_000 },
      clock,
    });
    const policy = retryPolicy({ clock, budget, attempts: 3, backoff: constant(1) });
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('down');
    };
    const results = await Promise.all(
      Array.from({ length: 100 }, () => drive(clock, policy.execute(failing))),
    );
    expect(results.every((r) => !r.ok)).toBe(true);
    // 100 first attempts allow 10 retries in all: 110 calls rather than 300.
    expect(calls).toBe(110);
    expect(budget.stats()).toMatchObject({ attempts: 100, retries: 10, available: 0 });
  });
});

describe('budget shared across policies', () => {
  it('one budget caps the retries of different policies and of retry() together', async () => {
    const clock = fakeClock();
    const budget = new RetryBudget({ ratio: 0.5, minRetriesPerSecond: 0, clock });
    const a = retryPolicy({ clock, budget, attempts: 2, backoff: constant(1) });
    const b = retryPolicy({ clock, budget, attempts: 5, backoff: constant(1) });
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('down');
    };
    const outcomes = await Promise.all([
      drive(clock, a.execute(failing)),
      drive(clock, b.execute(failing)),
      drive(clock, retry(failing, { clock, budget, attempts: 3, backoff: constant(1) })),
      drive(clock, a.execute(failing)),
    ]);
    expect(outcomes.every((o) => !o.ok)).toBe(true);
    // 4 first attempts × 0.5 = 2 retries between the three policies, however many each allows.
    expect(calls).toBe(6);
    expect(budget.stats()).toMatchObject({ attempts: 4, retries: 2, available: 0 });
    expect(
      outcomes.filter((o) => !o.ok && o.error instanceof RetryBudgetExhaustedError).length,
    ).toBe(budget.stats().rejected);
  });
});

describe('Retry-After above maxDelayMs', () => {
  it('is honoured in full: maxDelayMs caps the backoff only', async () => {
    const clock = fakeClock();
    const delays: number[] = [];
    const { fn } = flaky(1, 'ok', () => Object.assign(new Error('busy'), { retryAfterMs: 5_000 }));
    const start = clock.now();
    const r = await drive(
      clock,
      retry(fn, {
        clock,
        backoff: { strategy: 'exponential', baseMs: 10, maxDelayMs: 100 },
        onRetry: (e) => delays.push(e.delayMs),
      }),
    );
    expect(r).toEqual({ ok: true, value: 'ok' });
    expect(delays).toEqual([5_000]);
    expect(clock.now() - start).toBe(5_000);
  });
});

describe('options', () => {
  it('rejects bad options, naming them', () => {
    const fn = async () => 1;
    expect(() => retry(fn, { attempts: 0 })).toThrow(
      'attempts must be an integer >= 1 or Infinity, got 0',
    );
    expect(() => retry(fn, { attempts: 1.5 })).toThrow(RangeError);
    expect(() => retry(fn, { attempts: '3' as unknown as number })).toThrow(TypeError);
    expect(() => retry(fn, { retryOn: 1 as unknown as () => boolean })).toThrow(
      /retryOn must be a function/,
    );
    expect(() => retry(fn, { maxRetryAfterMs: -1 })).toThrow(/maxRetryAfterMs/);
    expect(() => retry(fn, { clock: {} as never })).toThrow(
      /clock must be an object with now\(\), setTimeout\(\) and clearTimeout\(\)/,
    );
    expect(() => retry(fn, { budget: {} as never })).toThrow(/budget must be a RetryBudget/);
    expect(() => retry(fn, { respectRetryAfter: 1 as never })).toThrow(/respectRetryAfter/);
    expect(() => retryPolicy(null as never)).toThrow(/options must be an object/);
  });

  it('a fn that is not a function is a TypeError naming fn, not a failure to retry', async () => {
    const clock = fakeClock();
    expect(() => retry(undefined as never, { clock })).toThrow(
      'fn must be a function, got undefined',
    );
    expect(clock.pendingTimers).toBe(0);
    const policy = retryPolicy({ clock });
    await expect(policy.execute('f' as never)).rejects.toThrow('fn must be a function, got "f"');
    await expect(
      policy.execute(null as never, { signal: new AbortController().signal }),
    ).rejects.toThrow('fn must be a function, got null');
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects bad listeners and random, naming them', () => {
    const fn = async () => 1;
    expect(() => retry(fn, { onRetry: 1 as never })).toThrow('onRetry must be a function, got 1');
    expect(() => retry(fn, { onGiveUp: 'x' as never })).toThrow(
      'onGiveUp must be a function, got "x"',
    );
    expect(() => retry(fn, { random: {} as never })).toThrow('random must be a function, got {}');
    expect(() => retry(fn, { backoff: null as never })).toThrow(
      'backoff must be an object or a function, got null',
    );
    expect(() => retry(fn, { maxRetryAfterMs: Number.NaN })).toThrow(RangeError);
    expect(() => retry(fn, 5 as never)).toThrow('options must be an object, got 5');
  });

  it('refuses unknown option keys, naming the nearest valid one', async () => {
    const fn = async () => 1;
    expect(() => retry(fn, { attempt: 3 } as never)).toThrow(
      'unknown option "attempt" in retry(fn, options); did you mean "attempts"?',
    );
    expect(() => retryPolicy({ signal: new AbortController().signal } as never)).toThrow(
      /unknown option "signal" in retryPolicy\(options\)/,
    );
    expect(() => retry(fn, { backoff: { base: 5 } } as never)).toThrow(
      'unknown option "base" in backoff; did you mean "baseMs"?',
    );
    expect(() => timeout(fn, 5, { clok: {} } as never)).toThrow(
      'unknown option "clok" in timeout(fn, ms, options); did you mean "clock"?',
    );
    expect(() => timeoutPolicy(5, { signal: undefined } as never)).toThrow(
      /unknown option "signal" in timeoutPolicy\(ms, options\)/,
    );
    // retry() accepts signal: it is a call's option, not a policy's.
    await expect(retry(fn, { signal: new AbortController().signal })).resolves.toBe(1);
  });

  it('errors carry stable codes and the Bulwark brand', () => {
    const budget = new RetryBudgetExhaustedError(2, new Error('last'));
    expect(budget).toMatchObject({ code: 'BULWARK_RETRY_BUDGET_EXHAUSTED', attempts: 2 });
    expect(budget.name).toBe('RetryBudgetExhaustedError');
    expect(isBulwarkError(budget, 'BULWARK_RETRY_BUDGET_EXHAUSTED')).toBe(true);
    const late = new TimeoutError(30);
    expect(late).toMatchObject({ code: 'BULWARK_RETRY_TIMEOUT', name: 'TimeoutError' });
    expect(isTimeoutError(late)).toBe(true);
    // The platform's own TimeoutError (AbortSignal.timeout) is not this package's.
    expect(isTimeoutError(new DOMException('late', 'TimeoutError'))).toBe(false);
    const status = new HttpStatusError(503, {}, 'Service Unavailable', undefined, {});
    expect(status).toMatchObject({ code: 'BULWARK_RETRY_HTTP_STATUS', name: 'HttpStatusError' });
  });

  it('events carry the policy name', async () => {
    const clock = fakeClock();
    const events: RetryEvent[] = [];
    const policy = retryPolicy({
      name: 'inventory',
      attempts: 2,
      backoff: constant(1),
      clock,
      onRetry: (event) => events.push(event),
    });
    expect(policy.name).toBe('inventory');
    const { fn } = flaky(1, 'ok');
    await drive(clock, policy.execute(fn));
    expect(events[0]).toMatchObject({ name: 'inventory', attempt: 1 });
    expect(() => retryPolicy({ name: '' })).toThrow('name must be a non-empty string, got ""');
  });

  it('a non-AbortSignal signal rejects with a TypeError', async () => {
    await expect(retry(async () => 1, { signal: {} as AbortSignal })).rejects.toThrow(
      /signal must be an AbortSignal/,
    );
  });

  it('attempts: Infinity keeps going until success', async () => {
    const clock = fakeClock();
    const { fn, calls } = flaky(50, 'finally');
    const r = await drive(
      clock,
      retry(fn, { clock, attempts: Number.POSITIVE_INFINITY, backoff: constant(1) }),
    );
    expect(r).toEqual({ ok: true, value: 'finally' });
    expect(calls()).toBe(51);
  });
});

describe('Retry-After beyond the longest timer', () => {
  it('gives up even with maxRetryAfterMs: Infinity, rather than firing early', async () => {
    const clock = fakeClock();
    for (const retryAfterMs of [Number.POSITIVE_INFINITY, 2 ** 31]) {
      const error = Object.assign(new Error('isolated'), { retryAfterMs });
      const onGiveUp = vi.fn();
      const fn = vi.fn(async () => {
        throw error;
      });
      const p = retry(fn, { clock, maxRetryAfterMs: Number.POSITIVE_INFINITY, onGiveUp });
      await expect(p).rejects.toBe(error);
      expect(fn).toHaveBeenCalledTimes(1);
      expect(onGiveUp).toHaveBeenCalledWith({
        name: 'default',
        attempts: 1,
        error,
        reason: 'retry-after-too-long',
      });
      expect(clock.pendingTimers).toBe(0);
    }
  });

  it('honours the longest Retry-After a timer can wait with maxRetryAfterMs: Infinity', async () => {
    const clock = fakeClock();
    const delays: number[] = [];
    const { fn } = flaky(1, 'ok', () =>
      Object.assign(new Error('later'), { retryAfterMs: 2 ** 31 - 1 }),
    );
    const r = await drive(
      clock,
      retry(fn, {
        clock,
        maxRetryAfterMs: Number.POSITIVE_INFINITY,
        onRetry: (e) => delays.push(e.delayMs),
      }),
    );
    expect(r).toEqual({ ok: true, value: 'ok' });
    expect(delays).toEqual([2 ** 31 - 1]);
  });
});

describe('retryOnResult', () => {
  type Response = { status: number; headers?: Record<string, string> };
  const responses = (...statuses: number[]) => {
    let calls = 0;
    const fn = async (): Promise<Response> => ({
      status: statuses[Math.min(calls++, statuses.length - 1)]!,
    });
    return { fn, calls: () => calls };
  };
  const is503 = (value: unknown) => (value as Response).status === 503;

  it('retries a value the predicate turns down, and resolves with the first it accepts', async () => {
    const clock = fakeClock();
    const { fn, calls } = responses(503, 503, 200);
    const events: RetryEvent[] = [];
    const p = retry(fn, {
      clock,
      attempts: 5,
      backoff: constant(10),
      retryOnResult: is503,
      onRetry: (e) => events.push(e),
    });
    expect(await drive(clock, p)).toEqual({ ok: true, value: { status: 200 } });
    expect(calls()).toBe(3);
    expect(events.map((e) => [e.attempt, e.error, (e.result as Response).status])).toEqual([
      [1, undefined, 503],
      [2, undefined, 503],
    ]);
  });

  it('resolves with the last turned-down value when attempts run out, and says why', async () => {
    const clock = fakeClock();
    const { fn, calls } = responses(503);
    const giveUps: GiveUpEvent[] = [];
    const policy = retryPolicy({
      clock,
      attempts: 3,
      backoff: constant(5),
      retryOnResult: is503,
      onGiveUp: (e) => giveUps.push(e),
    });
    expect(await drive(clock, policy.execute(fn))).toEqual({ ok: true, value: { status: 503 } });
    expect(calls()).toBe(3);
    expect(giveUps).toEqual([
      {
        name: 'default',
        attempts: 3,
        error: undefined,
        result: { status: 503 },
        reason: 'attempts-exhausted',
      },
    ]);
  });

  it('honours a Retry-After carried by the value, and the budget, without turning a value into an error', async () => {
    const clock = fakeClock();
    let calls = 0;
    const fn = async (): Promise<Response> => {
      calls++;
      return calls === 1 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 200 };
    };
    const events: RetryEvent[] = [];
    const p = retry(fn, {
      clock,
      backoff: constant(1),
      retryOnResult: is503,
      onRetry: (e) => events.push(e),
    });
    await clock.advanceAsync(1_999);
    expect(calls).toBe(1);
    expect(await drive(clock, p)).toEqual({ ok: true, value: { status: 200 } });
    expect(events[0]).toMatchObject({ delayMs: 2_000, retryAfterMs: 2_000 });

    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0, clock });
    const reasons: string[] = [];
    const refused = retryPolicy({
      clock,
      budget,
      retryOnResult: is503,
      onGiveUp: (e) => reasons.push(e.reason),
    });
    await expect(refused.execute(responses(503).fn)).resolves.toEqual({ status: 503 });
    expect(reasons).toEqual(['budget-exhausted']);
  });

  it('leaves values alone by default and with a predicate that throws, and works beside retryOn and a signal', async () => {
    const clock = fakeClock();
    const plain = responses(503);
    await expect(retry(plain.fn, { clock })).resolves.toEqual({ status: 503 });
    expect(plain.calls()).toBe(1);
    const throwing = responses(503);
    const boom = () => {
      throw new Error('predicate');
    };
    await expect(retryPolicy({ clock, retryOnResult: boom }).execute(throwing.fn)).resolves.toEqual(
      { status: 503 },
    );
    expect(throwing.calls()).toBe(1);

    // An error, then a turned-down value, then success: both predicates in one run, with a signal.
    let n = 0;
    const mixed = async (): Promise<Response> => {
      n++;
      if (n === 1) throw new Error('network');
      return { status: n === 2 ? 503 : 200 };
    };
    const controller = new AbortController();
    const p = retryPolicy({
      clock,
      attempts: 3,
      backoff: constant(1),
      retryOnResult: is503,
    }).execute(mixed, {
      signal: controller.signal,
    });
    expect(await drive(clock, p)).toEqual({ ok: true, value: { status: 200 } });
    expect(n).toBe(3);
  });

  it('calls the predicate once per attempt with the attempt number, sync values included', async () => {
    const clock = fakeClock();
    const seen: [unknown, number][] = [];
    let n = 0;
    const p = retry(() => ++n, {
      clock,
      attempts: 4,
      backoff: constant(1),
      retryOnResult: (value, attempt) => {
        seen.push([value, attempt]);
        return (value as number) < 3;
      },
    });
    expect(await drive(clock, p)).toEqual({ ok: true, value: 3 });
    expect(seen).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('refuses a retryOnResult that is not a function, naming it', () => {
    expect(() => retryPolicy({ retryOnResult: 503 as never })).toThrow(
      'retryOnResult must be a function, got 503',
    );
  });
});
