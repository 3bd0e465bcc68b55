import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { isTimeoutError, TimeoutError, timeout, timeoutPolicy } from '../src/index.js';
import { fakeClock } from './helpers.js';

describe('timeout', () => {
  it('settles as fn does when fn finishes in time, and clears its timer', async () => {
    const clock = fakeClock();
    await expect(timeout(async () => 'fast', 100, { clock })).resolves.toBe('fast');
    await expect(timeout(() => 5, 100, { clock })).resolves.toBe(5);
    const error = new Error('x');
    await expect(timeout(() => Promise.reject(error), 100, { clock })).rejects.toBe(error);
    await expect(
      timeout(
        () => {
          throw error;
        },
        100,
        { clock },
      ),
    ).rejects.toBe(error);
    expect(clock.pendingTimers).toBe(0);
  });

  it('arms no timer for a function that returns a plain value', async () => {
    const clock = fakeClock();
    const p = timeout(() => 'sync', 100, { clock });
    expect(clock.pendingTimers).toBe(0);
    await expect(p).resolves.toBe('sync');
  });

  it('aborts the inner signal with a TimeoutError and rejects with it', async () => {
    const clock = fakeClock();
    let inner: AbortSignal | undefined;
    const p = timeout(
      ({ signal }) => {
        inner = signal;
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('late'))),
        );
      },
      250,
      { clock },
    );
    const outcome = p.catch((e) => e);
    await clock.advanceAsync(249);
    expect(inner!.aborted).toBe(false);
    await clock.advanceAsync(1);
    const error = (await outcome) as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.name).toBe('TimeoutError');
    expect(error.timeoutMs).toBe(250);
    expect(isTimeoutError(error)).toBe(true);
    expect(inner!.aborted).toBe(true);
    expect(inner!.reason).toBe(error);
  });

  it('a signal first read after the timeout is already aborted with the TimeoutError', async () => {
    const clock = fakeClock();
    let context: { signal: AbortSignal } | undefined;
    const p = timeout(
      (c) => {
        context = c;
        return new Promise(() => {});
      },
      20,
      { clock },
    );
    const outcome = p.catch((e) => e);
    await clock.advanceAsync(20);
    const error = await outcome;
    expect(context!.signal.aborted).toBe(true);
    expect(context!.signal.reason).toBe(error);
  });

  it('rejects on time even when fn ignores its signal', async () => {
    const clock = fakeClock();
    const p = timeout(() => new Promise(() => {}), 10, { clock });
    const outcome = p.catch((e) => e);
    await clock.advanceAsync(10);
    expect(await outcome).toBeInstanceOf(TimeoutError);
  });

  it("links the caller's signal: its abort aborts fn and rejects with its reason", async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    let inner: AbortSignal | undefined;
    const p = timeout(
      ({ signal }) => {
        inner = signal;
        return new Promise(() => {});
      },
      1_000,
      { clock, signal: controller.signal },
    );
    controller.abort(new Error('user left'));
    await expect(p).rejects.toThrow('user left');
    expect(inner!.reason).toEqual(new Error('user left'));
    expect(clock.pendingTimers).toBe(0);

    const fn = vi.fn();
    await expect(timeout(fn, 10, { signal: AbortSignal.abort('early') })).rejects.toBe('early');
    expect(fn).not.toHaveBeenCalled();
  });

  it("a caller's signal aborted by fn itself rejects at once with its reason", async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    let inner: AbortSignal | undefined;
    const p = timeout(
      ({ signal }) => {
        inner = signal;
        controller.abort(new Error('changed my mind'));
        return new Promise(() => {});
      },
      1_000,
      { clock, signal: controller.signal },
    );
    await expect(p).rejects.toThrow('changed my mind');
    expect(inner!.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it("an abort during fn's synchronous part shows on fn's signal at once", async () => {
    const clock = fakeClock();
    // Read before the abort: the signal fn already holds must flip while fn still runs.
    const controller = new AbortController();
    const seen: boolean[] = [];
    const p = timeout(
      ({ signal }) => {
        seen.push(signal.aborted);
        controller.abort(new Error('gone'));
        seen.push(signal.aborted);
        return new Promise(() => {});
      },
      1_000,
      { clock, signal: controller.signal },
    );
    await expect(p).rejects.toThrow('gone');
    expect(seen).toEqual([false, true]);

    // Same with a plain value or a synchronous throw: fn sees the abort before it returns, and
    // no listener stays on the caller's signal afterwards.
    for (const outcome of ['value', 'throw'] as const) {
      const caller = new AbortController();
      let abortedInside: boolean | undefined;
      let reason: unknown;
      const q = timeout(
        ({ signal }) => {
          const inner = signal;
          caller.abort('stop');
          abortedInside = inner.aborted;
          reason = inner.reason;
          if (outcome === 'throw') throw new Error('sync');
          return 1;
        },
        1_000,
        { clock, signal: caller.signal },
      );
      await q.catch(() => {});
      expect(abortedInside).toBe(true);
      expect(reason).toBe('stop');
      expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    }
    expect(clock.pendingTimers).toBe(0);
  });

  it('publishes bulwark:retry:timeout', async () => {
    const clock = fakeClock();
    const got: unknown[] = [];
    const listener = (m: unknown) => got.push(m);
    subscribe('bulwark:retry:timeout', listener);
    try {
      const outcome = timeoutPolicy(30, { clock })
        .execute(() => new Promise(() => {}))
        .catch(() => {});
      await clock.advanceAsync(30);
      await outcome;
    } finally {
      unsubscribe('bulwark:retry:timeout', listener);
    }
    expect(got).toEqual([{ name: 'default', timeoutMs: 30 }]);
  });

  it('rejects bad ms and options, naming them', () => {
    const fn = async () => 1;
    expect(() => timeout(fn, 0)).toThrow('ms must be a number between 1 and 2147483647, got 0');
    expect(() => timeout(fn, Number.NaN)).toThrow(RangeError);
    expect(() => timeout(fn, '5' as unknown as number)).toThrow(TypeError);
    expect(() => timeoutPolicy(-1)).toThrow(/ms must be a number between/);
    expect(() => timeout(fn, 5, { signal: 'x' as unknown as AbortSignal })).toThrow(
      /signal must be an AbortSignal/,
    );
    expect(() => timeout(fn, 5, null as never)).toThrow('options must be an object, got null');
    expect(() => timeout(fn, 5, { clock: {} as never })).toThrow(
      /clock must be an object with now/,
    );
    expect(() => timeoutPolicy(5, null as never)).toThrow('options must be an object, got null');
    expect(() => timeoutPolicy(5, { clock: 1 as never })).toThrow(
      /clock must be an object with now.*got 1/,
    );
  });

  it('a fn that is not a function is a TypeError naming fn', async () => {
    expect(() => timeout(undefined as never, 5)).toThrow('fn must be a function, got undefined');
    await expect(timeoutPolicy(5).execute(42 as never)).rejects.toThrow(
      'fn must be a function, got 42',
    );
  });
});
