import { BrokenCircuitError, CircuitBreaker } from '@bulwark/circuit-breaker';
import { Bulkhead, QueueFullError } from '@bulwark/pool';
import { describe, expect, it } from 'vitest';
import {
  type Policy,
  type PolicyContext,
  type PolicyExecuteOptions,
  retryPolicy,
  TimeoutError,
  timeoutPolicy,
  wrap,
} from '../src/index.js';
import { drive, fakeClock } from './helpers.js';

/** A policy that records when it is entered and left. */
function tracer(name: string, log: string[]): Policy {
  return {
    async execute<T>(fn: (c: PolicyContext) => T | PromiseLike<T>, options?: PolicyExecuteOptions) {
      log.push(`>${name}`);
      try {
        return await fn({ signal: options?.signal ?? new AbortController().signal });
      } finally {
        log.push(`<${name}`);
      }
    },
  };
}

describe('wrap', () => {
  it('runs the policies outermost first', async () => {
    const log: string[] = [];
    const policy = wrap(tracer('a', log), tracer('b', log), tracer('c', log));
    await expect(
      policy.execute(() => {
        log.push('fn');
        return 1;
      }),
    ).resolves.toBe(1);
    expect(log).toEqual(['>a', '>b', '>c', 'fn', '<c', '<b', '<a']);
    expect(policy.policies).toHaveLength(3);
  });

  it('with no policies just runs fn', async () => {
    await expect(wrap().execute(() => 3)).resolves.toBe(3);
    await expect(wrap().execute(() => Promise.reject(new Error('e')))).rejects.toThrow('e');
    await expect(wrap().execute(() => 1, { signal: AbortSignal.abort('r') })).rejects.toBe('r');
  });

  it('with one policy behaves as that policy, signal included', async () => {
    const clock = fakeClock();
    const single = wrap(
      retryPolicy({ clock, attempts: 2, backoff: { strategy: 'constant', baseMs: 5 } }),
    );
    expect(single.policies).toHaveLength(1);
    let calls = 0;
    const seen: AbortSignal[] = [];
    const controller = new AbortController();
    const r = await drive(
      clock,
      single.execute(
        ({ signal }) => {
          seen.push(signal);
          return ++calls === 1 ? Promise.reject(new Error('once')) : 'ok';
        },
        { signal: controller.signal },
      ),
    );
    expect(r).toEqual({ ok: true, value: 'ok' });
    expect(seen).toEqual([controller.signal, controller.signal]);
    await expect(single.execute(() => 1, { signal: AbortSignal.abort('r') })).rejects.toBe('r');
  });

  it("hands the caller's signal, and a timeout's signal, down to the innermost call", async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    let inner: AbortSignal | undefined;
    const policy = wrap(retryPolicy({ attempts: 1, clock }), timeoutPolicy(100, { clock }));
    const p = policy.execute(
      ({ signal }) => {
        inner = signal;
        return new Promise(() => {});
      },
      { signal: controller.signal },
    );
    const outcome = p.catch((e) => e);
    await clock.advanceAsync(0);
    controller.abort(new Error('caller'));
    expect(((await outcome) as Error).message).toBe('caller');
    expect((inner!.reason as Error).message).toBe('caller');
  });

  it('retry(breaker(timeout)): timeouts are retried, count as breaker failures, and an open circuit is waited out', async () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({
      window: { calls: 2 },
      minimumCalls: 2,
      openMs: 5_000,
      clock,
    });
    const delays: number[] = [];
    const policy = wrap(
      retryPolicy({
        attempts: 4,
        clock,
        backoff: { strategy: 'constant', baseMs: 10 },
        onRetry: (e) => delays.push(e.delayMs),
      }),
      breaker,
      timeoutPolicy(100, { clock }),
    );
    let calls = 0;
    const r = await drive(
      clock,
      policy.execute(({ signal }) => {
        calls++;
        if (calls <= 2)
          return new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason)),
          );
        return 'recovered';
      }),
    );
    expect(r).toEqual({ ok: true, value: 'recovered' });
    expect(calls).toBe(3);
    // Two timeouts opened the breaker (5 s); 10 ms later the third attempt was rejected by it and
    // waited out the rest of the open time.
    expect(delays).toEqual([10, 10, 4_990]);
    expect(breaker.state).toBe('closed');
  });

  it('gives up with BrokenCircuitError when the circuit stays open longer than maxRetryAfterMs', async () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ clock });
    breaker.isolate();
    const policy = wrap(retryPolicy({ clock, maxRetryAfterMs: 1_000 }), breaker);
    await expect(policy.execute(() => 1)).rejects.toBeInstanceOf(BrokenCircuitError);
  });

  it('a timeout outside the retry bounds the whole sequence', async () => {
    const clock = fakeClock();
    const policy = wrap(
      timeoutPolicy(250, { clock }),
      retryPolicy({ attempts: 100, clock, backoff: { strategy: 'constant', baseMs: 100 } }),
    );
    let calls = 0;
    const r = await drive(
      clock,
      policy.execute(async () => {
        calls++;
        throw new Error('nope');
      }),
    );
    expect((r as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    expect(calls).toBe(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it("composes @bulwark/pool's Bulkhead as is", async () => {
    const bulkhead = new Bulkhead(1, 0);
    const policy = wrap(retryPolicy({ attempts: 1 }), bulkhead);
    let release!: () => void;
    const first = policy.execute(
      () => new Promise<string>((resolve) => (release = () => resolve('first'))),
    );
    await expect(policy.execute(() => 'second')).rejects.toBeInstanceOf(QueueFullError);
    release();
    await expect(first).resolves.toBe('first');
    await expect(policy.execute(() => 'third')).resolves.toBe('third');
  });

  it('rejects arguments without execute, naming the position', () => {
    expect(() => wrap(timeoutPolicy(1), {} as Policy)).toThrow(
      'policies[1] must be an object with an execute(fn, { signal }) method, got {}',
    );
    expect(() => wrap(null as unknown as Policy)).toThrow(TypeError);
  });
});
