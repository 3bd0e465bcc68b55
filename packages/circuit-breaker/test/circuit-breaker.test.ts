import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { FakeClock, flushMicrotasks } from '@bulwark/test-utils';
import { describe, expect, it } from 'vitest';
import {
  BrokenCircuitError,
  breakerPerKey,
  type CallEvent,
  CircuitBreaker,
  type CircuitBreakerOptions,
  isBrokenCircuitError,
  isBulwarkError,
  type StateChange,
  StoreTimeoutError,
} from '../src/index.js';

const boom = () => Promise.reject(new Error('boom'));
const ok = () => Promise.resolve('ok');

function make(options: CircuitBreakerOptions = {}) {
  const clock = new FakeClock(1_000);
  const changes: StateChange[] = [];
  const breaker = new CircuitBreaker({
    window: { calls: 4 },
    minimumCalls: 4,
    openMs: 1_000,
    clock,
    onStateChange: (change) => changes.push(change),
    ...options,
  });
  return { clock, breaker, changes };
}

async function fail(breaker: CircuitBreaker, times = 1) {
  for (let i = 0; i < times; i++) await breaker.execute(boom).catch(() => {});
}
async function succeed(breaker: CircuitBreaker, times = 1) {
  for (let i = 0; i < times; i++) await breaker.execute(ok);
}

describe('closed', () => {
  it('passes values and errors through unchanged', async () => {
    const { breaker } = make();
    await expect(breaker.execute(() => 42)).resolves.toBe(42);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    const error = new Error('x');
    await expect(breaker.execute(() => Promise.reject(error))).rejects.toBe(error);
    await expect(
      breaker.execute(() => {
        throw error;
      }),
    ).rejects.toBe(error);
    expect(breaker.stats()).toMatchObject({
      successes: 2,
      failures: 2,
      slowCalls: 0,
      rejected: 0,
      ignored: 0,
    });
  });

  it('accepts a non-native thenable', async () => {
    const { breaker } = make();
    // biome-ignore lint/suspicious/noThenProperty: a foreign thenable is what this test needs
    const thenable = { then: (resolve: (v: number) => void) => resolve(7) } as PromiseLike<number>;
    await expect(breaker.execute(() => thenable)).resolves.toBe(7);
    expect(breaker.stats().windowCalls).toBe(1);
  });

  it('hands fn the caller signal, or a signal that never aborts', async () => {
    const { breaker } = make();
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    await breaker.execute(({ signal }) => (seen = signal), { signal: controller.signal });
    expect(seen).toBe(controller.signal);
    await breaker.execute(({ signal }) => (seen = signal));
    expect(seen).toBeInstanceOf(AbortSignal);
    expect(seen?.aborted).toBe(false);
  });

  it('rejects with the reason of an already aborted signal and records nothing', async () => {
    const { breaker } = make();
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    let called = false;
    await expect(
      breaker.execute(() => (called = true), { signal: controller.signal }),
    ).rejects.toThrow('gone');
    expect(called).toBe(false);
    expect(breaker.stats().windowCalls).toBe(0);
  });

  it('counts a call aborted while it runs as a failure unless isFailure says otherwise', async () => {
    const abortingCall = (breaker: CircuitBreaker) => {
      const controller = new AbortController();
      const call = breaker.execute(
        ({ signal }) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
        { signal: controller.signal },
      );
      controller.abort();
      return call.catch((error: unknown) => error);
    };
    const counted = make();
    expect(await abortingCall(counted.breaker)).toMatchObject({ name: 'AbortError' });
    expect(counted.breaker.stats()).toMatchObject({ windowCalls: 1, windowFailures: 1 });

    // The README's advice: a caller's cancellation is ignored, neither a failure nor a success.
    const ignored = make({
      isIgnored: (outcome, threw) =>
        threw && outcome instanceof Error && outcome.name === 'AbortError',
    });
    await abortingCall(ignored.breaker);
    expect(ignored.breaker.stats()).toMatchObject({ windowCalls: 0, windowFailures: 0 });
    expect(ignored.breaker.stats()).toMatchObject({ successes: 0, failures: 0, ignored: 1 });
  });

  it('an ignored outcome counts neither as a success nor as a failure', async () => {
    const calls: CallEvent[] = [];
    const { breaker } = make({
      isIgnored: (outcome) => outcome === 'skip' || (outcome as Error).message === 'skip',
      slowCallMs: 10,
      onCall: (event) => calls.push(event),
    });
    // Three failures and one ignored call: 3 of 3 recorded calls failed, but minimumCalls (4)
    // is not reached, so the circuit stays closed. Had the ignored call counted as a success,
    // the window would hold 4 calls at a rate of 0.75 and open.
    await fail(breaker, 3);
    await breaker.execute(() => Promise.reject(new Error('skip'))).catch(() => {});
    await breaker.execute(() => 'skip');
    expect(breaker.state).toBe('closed');
    expect(breaker.stats()).toMatchObject({ windowCalls: 3, windowFailures: 3 });
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 3, ignored: 2 });
    expect(calls.map((c) => c.outcome)).toEqual([
      'failure',
      'failure',
      'failure',
      'ignored',
      'ignored',
    ]);
    await fail(breaker);
    expect(breaker.state).toBe('open');
  });

  it('an isIgnored that throws leaves the outcome to isFailure', async () => {
    const { breaker } = make({
      isIgnored: () => {
        throw new Error('bad predicate');
      },
    });
    await succeed(breaker);
    await fail(breaker);
    expect(breaker.stats()).toMatchObject({ successes: 1, failures: 1, ignored: 0 });
  });

  it('fn that is not a function rejects with a TypeError and counts nothing', async () => {
    const { breaker } = make({ window: { calls: 1 }, minimumCalls: 1 });
    for (const fn of ['not a function', undefined, 42, {}]) {
      const error = await breaker.execute(fn as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/^fn must be a function, got /);
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().windowCalls).toBe(0);
    expect(breaker.stats()).toMatchObject({
      successes: 0,
      failures: 0,
      slowCalls: 0,
      rejected: 0,
      ignored: 0,
    });
    // Through the timed path too, and as a would-be probe: the probe slot stays free.
    const timed = make({ slowCallMs: 5, halfOpenMaxCalls: 1 });
    await expect(timed.breaker.execute('x' as never)).rejects.toThrow(TypeError);
    expect(timed.breaker.stats().windowCalls).toBe(0);
    timed.breaker.open();
    timed.clock.advance(1_000);
    await expect(timed.breaker.execute('x' as never)).rejects.toThrow(TypeError);
    expect(timed.breaker.stats().probesAdmitted).toBe(0);
    await timed.breaker.execute(ok);
    expect(timed.breaker.state).toBe('closed');
  });

  it('counts a timeout error from fn as a failure', async () => {
    class TimeoutError extends Error {
      override name = 'TimeoutError';
    }
    const { breaker } = make({ window: { calls: 1 }, minimumCalls: 1 });
    await breaker.execute(() => Promise.reject(new TimeoutError('late'))).catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('opens when the failure rate reaches the threshold once minimumCalls are in', async () => {
    const { breaker, changes } = make({ failureRateThreshold: 0.5 });
    await fail(breaker, 2);
    await succeed(breaker, 1);
    expect(breaker.state).toBe('closed'); // 3 calls < minimumCalls 4
    await succeed(breaker, 1); // 2 of 4 failed: 0.5 reaches 0.5
    expect(breaker.state).toBe('open');
    expect(changes).toEqual([
      { name: 'default', from: 'closed', to: 'open', reason: 'failure-rate', openMs: 1_000 },
    ]);
  });

  it('counts only the last N calls in a count window', async () => {
    const { breaker } = make({ failureRateThreshold: 0.75 });
    await fail(breaker, 2);
    await succeed(breaker, 2); // F F S S: 2/4
    await succeed(breaker, 1); // F S S S: 1/4
    await fail(breaker, 2); // S S F F: 2/4
    expect(breaker.state).toBe('closed');
    await fail(breaker, 1); // S F F F: 3/4 → open
    expect(breaker.state).toBe('open');
  });

  it('forgets calls older than the time window, bucket by bucket', async () => {
    const { breaker, clock } = make({
      window: { ms: 1_000, buckets: 4 },
      minimumCalls: 3,
      failureRateThreshold: 1,
    });
    await fail(breaker, 2);
    clock.advance(1_000); // those two slide out
    expect(breaker.stats().windowCalls).toBe(0);
    await fail(breaker, 2);
    clock.advance(250);
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('opens on the slow-call rate, timing calls on the clock', async () => {
    const { breaker, clock } = make({ slowCallMs: 100, slowCallRateThreshold: 0.5 });
    for (let i = 0; i < 4; i++) {
      const call = breaker.execute(async () => {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, i < 2 ? 101 : 100));
        return i;
      });
      await clock.advanceAsync(101);
      await call;
    }
    expect(breaker.state).toBe('open');
    expect(breaker.stats().slowCalls).toBe(2);
  });

  it('lets isFailure decide for errors and for values', async () => {
    const { breaker } = make({
      minimumCalls: 2,
      window: { calls: 2 },
      failureRateThreshold: 1,
      isFailure: (outcome, threw) =>
        threw ? !(outcome instanceof RangeError) : (outcome as { status: number }).status >= 500,
    });
    await breaker.execute(() => Promise.reject(new RangeError('ignored'))).catch(() => {});
    await expect(breaker.execute(() => ({ status: 503 }))).resolves.toEqual({ status: 503 });
    expect(breaker.state).toBe('closed');
    await breaker.execute(() => ({ status: 500 }));
    expect(breaker.state).toBe('open');
  });

  it('treats a throwing isFailure as a failure', async () => {
    const { breaker } = make({
      window: { calls: 1 },
      minimumCalls: 1,
      isFailure: () => {
        throw new Error('bad predicate');
      },
    });
    await breaker.execute(ok);
    expect(breaker.state).toBe('open');
  });
});

describe('open and half-open', () => {
  it('rejects at once with the remaining open time, then turns half-open', async () => {
    const { breaker, clock } = make({ window: { calls: 1 }, minimumCalls: 1 });
    await fail(breaker);
    clock.advance(400);
    let called = false;
    const error = await breaker.execute(() => (called = true)).catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(error).toBeInstanceOf(BrokenCircuitError);
    expect(isBrokenCircuitError(error)).toBe(true);
    expect(error).toMatchObject({ state: 'open', retryAfterMs: 600, breaker: 'default' });
    expect(error).toMatchObject({ code: 'BULWARK_CIRCUIT_OPEN', name: 'BrokenCircuitError' });
    expect(isBulwarkError(error, 'BULWARK_CIRCUIT_OPEN')).toBe(true);
    clock.advance(599);
    expect(breaker.state).toBe('open');
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
  });

  it('closes when all probes succeed and reopens on the first that fails', async () => {
    const { breaker, clock, changes } = make({
      window: { calls: 1 },
      minimumCalls: 1,
      halfOpenMaxCalls: 2,
    });
    await fail(breaker);
    clock.advance(1_000);
    await succeed(breaker);
    expect(breaker.state).toBe('half-open');
    await fail(breaker);
    expect(breaker.state).toBe('open');
    clock.advance(1_000);
    await succeed(breaker, 2);
    expect(breaker.state).toBe('closed');
    expect(changes.map((c) => `${c.to}:${c.reason}`)).toEqual([
      'open:failure-rate',
      'half-open:open-elapsed',
      'open:probe-failed',
      'half-open:open-elapsed',
      'closed:probes-succeeded',
    ]);
  });

  it('counts a slow probe as a failed probe', async () => {
    const { breaker, clock } = make({ window: { calls: 1 }, minimumCalls: 1, slowCallMs: 50 });
    await fail(breaker);
    clock.advance(1_000);
    const probe = breaker.execute(() => new Promise((r) => clock.setTimeout(() => r(1), 60)));
    await clock.advanceAsync(60);
    await probe;
    expect(breaker.state).toBe('open');
  });

  it('grows the open time on consecutive opens up to maxOpenMs, and resets it on close', async () => {
    const { breaker, clock, changes } = make({
      window: { calls: 1 },
      minimumCalls: 1,
      openMs: 100,
      openMsMultiplier: 3,
      maxOpenMs: 500,
    });
    await fail(breaker);
    for (let i = 0; i < 3; i++) {
      clock.advance(10_000);
      await fail(breaker); // the probe fails
    }
    expect(changes.filter((c) => c.to === 'open').map((c) => c.openMs)).toEqual([
      100, 300, 500, 500,
    ]);
    expect(breaker.stats().consecutiveOpens).toBe(4);
    clock.advance(10_000);
    await succeed(breaker);
    expect(breaker.stats().consecutiveOpens).toBe(0);
    await fail(breaker);
    expect(changes.at(-1)?.openMs).toBe(100);
  });

  it('ignores outcomes of calls admitted before the state changed', async () => {
    const { breaker, clock } = make({ window: { calls: 2 }, minimumCalls: 2 });
    let release!: (v: string) => void;
    const slowSuccess = breaker.execute(() => new Promise<string>((r) => (release = r)));
    await fail(breaker, 2); // opens
    clock.advance(1_000);
    let releaseProbe!: (v: string) => void;
    const probe = breaker.execute(() => new Promise<string>((r) => (releaseProbe = r)));
    release('late'); // admitted while closed: must not count as the probe
    await slowSuccess;
    expect(breaker.state).toBe('half-open');
    releaseProbe('probe');
    await probe;
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().windowCalls).toBe(0);
  });
});

describe('ignored probes', () => {
  it('a probe that ends ignored gives its slot back and does not close the circuit', async () => {
    const { breaker, clock, changes } = make({
      isIgnored: (outcome, threw) =>
        threw && outcome instanceof Error && outcome.name === 'AbortError',
    });
    breaker.open();
    clock.advance(1_000);
    expect(breaker.state).toBe('half-open');
    const controller = new AbortController();
    const probe = breaker.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      { signal: controller.signal },
    );
    // The only slot is taken while the probe runs.
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    controller.abort();
    await expect(probe).rejects.toMatchObject({ name: 'AbortError' });
    // The dependency was never tested: still half-open, and the slot is free again.
    expect(breaker.state).toBe('half-open');
    expect(breaker.stats()).toMatchObject({ probesAdmitted: 0, probesSucceeded: 0 });
    expect(changes.at(-1)?.to).toBe('half-open');
    await expect(breaker.execute(boom)).rejects.toThrow('boom');
    expect(breaker.state).toBe('open');
  });

  it('a probe admitted after an ignored one gets its own halfOpenMaxMs', async () => {
    const { breaker, clock } = make({
      isIgnored: (outcome) => outcome === 'skip',
      halfOpenMaxMs: 500,
    });
    breaker.open();
    clock.advance(1_000);
    let finish!: (value: string) => void;
    const first = breaker.execute(() => new Promise<string>((resolve) => (finish = resolve)));
    clock.advance(400);
    finish('skip');
    await first;
    void breaker.execute(() => new Promise(() => {}));
    clock.advance(400);
    // 800 ms after half-open began but 400 ms into the current probe: still waiting on it.
    expect(breaker.state).toBe('half-open');
    clock.advance(100);
    expect(breaker.state).toBe('open');
  });

  it('an ignored probe of an earlier half-open period gives back nothing', async () => {
    const { breaker, clock } = make({ isIgnored: (outcome) => outcome === 'skip' });
    breaker.open();
    clock.advance(1_000);
    let finish!: (value: string) => void;
    const late = breaker.execute(() => new Promise<string>((resolve) => (finish = resolve)));
    breaker.open();
    clock.advance(1_000);
    expect(breaker.state).toBe('half-open');
    const current = breaker.execute(() => new Promise(() => {}));
    void current;
    finish('skip');
    await late;
    expect(breaker.stats().probesAdmitted).toBe(1);
  });
});

describe('halfOpenMaxMs', () => {
  it('reopens a circuit whose probes have not settled in time; the late probe changes nothing', async () => {
    const { breaker, clock, changes } = make({ halfOpenMaxMs: 500, openMsMultiplier: 2 });
    breaker.open();
    clock.advance(1_000);
    let settleProbe!: (value: string) => void;
    const probe = breaker.execute(() => new Promise<string>((resolve) => (settleProbe = resolve)));
    clock.advance(499);
    await expect(breaker.execute(ok)).rejects.toMatchObject({ state: 'half-open' });
    clock.advance(1);
    expect(breaker.state).toBe('open');
    await expect(breaker.execute(ok)).rejects.toMatchObject({ state: 'open', retryAfterMs: 2_000 });
    settleProbe('late');
    await expect(probe).resolves.toBe('late');
    expect(breaker.state).toBe('open');
    expect(changes.map((c) => `${c.to}:${c.reason}`)).toEqual([
      'open:manual',
      'half-open:open-elapsed',
      'open:probe-timeout',
    ]);
  });

  it('waits on the probes for ever by default', async () => {
    const { breaker, clock } = make();
    breaker.open();
    clock.advance(1_000);
    void breaker.execute(() => new Promise(() => {}));
    clock.advance(1_000_000);
    await expect(breaker.execute(ok)).rejects.toMatchObject({ state: 'half-open' });
  });
});

describe('manual control', () => {
  it('open, isolate and close by hand', async () => {
    const { breaker, clock, changes } = make();
    breaker.open();
    expect(breaker.state).toBe('open');
    breaker.isolate();
    clock.advance(1_000_000);
    expect(breaker.state).toBe('isolated');
    await expect(breaker.execute(ok)).rejects.toMatchObject({
      state: 'isolated',
      retryAfterMs: Number.POSITIVE_INFINITY,
    });
    expect(breaker.stats().retryAfterMs).toBe(Number.POSITIVE_INFINITY);
    breaker.reset();
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(changes.map((c) => `${c.to}:${c.reason}`)).toEqual([
      'open:manual',
      'isolated:manual',
      'closed:manual',
    ]);
  });
  it('close() during half-open drops the probe in flight; its failure changes nothing', async () => {
    const { breaker, clock } = make({ halfOpenMaxCalls: 2 });
    breaker.open();
    clock.advance(1_000);
    let failProbe!: (error: Error) => void;
    const probe = breaker.execute(() => new Promise((_, reject) => (failProbe = reject)));
    expect(breaker.stats().probesAdmitted).toBe(1);
    breaker.reset();
    failProbe(new Error('late'));
    await probe.catch(() => {});
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().windowCalls).toBe(0);
    expect(breaker.stats().failures).toBe(1);
  });
});

describe('events', () => {
  it('publishes calls and state changes on diagnostics_channel and onCall', async () => {
    const calls: CallEvent[] = [];
    const onCall: CallEvent[] = [];
    const states: StateChange[] = [];
    const onCallMessage = (message: unknown) => calls.push(message as CallEvent);
    const onStateMessage = (message: unknown) => states.push(message as StateChange);
    subscribe('bulwark:circuit-breaker:call', onCallMessage);
    subscribe('bulwark:circuit-breaker:state-change', onStateMessage);
    try {
      const { breaker } = make({
        name: 'events',
        window: { calls: 1 },
        minimumCalls: 1,
        onCall: (e) => onCall.push(e),
      });
      await succeed(breaker);
      await fail(breaker);
      await breaker.execute(ok).catch(() => {});
      expect(calls.map((c) => c.outcome)).toEqual(['success', 'failure', 'rejected']);
      expect(onCall).toEqual(calls);
      expect(calls[0]).toMatchObject({ name: 'events', state: 'closed', probe: false });
      expect(states).toEqual([
        { name: 'events', from: 'closed', to: 'open', reason: 'failure-rate', openMs: 1_000 },
      ]);
    } finally {
      unsubscribe('bulwark:circuit-breaker:call', onCallMessage);
      unsubscribe('bulwark:circuit-breaker:state-change', onStateMessage);
    }
  });

  it('publishes the state change before the call event of the call that caused it', async () => {
    const order: string[] = [];
    const { breaker } = make({
      window: { calls: 1 },
      minimumCalls: 1,
      onStateChange: (c) => order.push(`state:${c.to}`),
      onCall: (e) => order.push(`call:${e.outcome}`),
    });
    await fail(breaker);
    expect(order).toEqual(['state:open', 'call:failure']);
  });

  it('a throwing listener does not break the breaker', async () => {
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    try {
      const { breaker } = make({
        window: { calls: 1 },
        minimumCalls: 1,
        onStateChange: () => {
          throw new Error('listener');
        },
      });
      await fail(breaker);
      expect(breaker.state).toBe('open');
      await flushMicrotasks();
      expect(errors).toHaveLength(1);
    } finally {
      process.off('uncaughtException', onError);
    }
  });
});

describe('options', () => {
  const bad: [CircuitBreakerOptions, ErrorConstructor, RegExp][] = [
    [{ window: { calls: 0 } }, RangeError, /window\.calls .* got 0/],
    [{ window: { calls: 1.5 } }, RangeError, /window\.calls .* got 1\.5/],
    [{ window: { ms: 0 } }, RangeError, /window\.ms .* got 0/],
    [{ window: { ms: 1000, buckets: 0 } }, RangeError, /window\.buckets .* got 0/],
    [{ window: {} as never }, TypeError, /window must be/],
    [{ window: [] as never }, TypeError, /window must be .* got \[\]/],
    [
      { window: { calls: 1_000_001 } },
      RangeError,
      /window\.calls must be an integer between 1 and 1000000, got 1000001/,
    ],
    [{ window: { ms: 1000, buckets: 10_001 } }, RangeError, /window\.buckets .* got 10001/],
    [{ openMsMultiplier: '2' as never }, TypeError, /openMsMultiplier must be a number, got "2"/],
    [{ onCall: 'x' as never }, TypeError, /onCall must be a function, got "x"/],
    [{ onStateChange: 1 as never }, TypeError, /onStateChange must be a function, got 1/],
    [{ maxOpenMs: Number.POSITIVE_INFINITY }, RangeError, /maxOpenMs .* got Infinity/],
    [{ name: 3 as never }, TypeError, /name must be a non-empty string, got 3/],
    [{ minimumCalls: 30 }, RangeError, /minimumCalls must be <= window\.calls \(20\), got 30/],
    [{ failureRateThreshold: 0 }, RangeError, /failureRateThreshold .* got 0/],
    [{ failureRateThreshold: Number.NaN }, RangeError, /failureRateThreshold .* got NaN/],
    [{ slowCallRateThreshold: 1.5 }, RangeError, /slowCallRateThreshold .* got 1\.5/],
    [{ slowCallMs: -1 }, RangeError, /slowCallMs .* got -1/],
    [{ openMs: '5' as never }, TypeError, /openMs must be a number, got "5"/],
    [{ openMs: Number.POSITIVE_INFINITY }, RangeError, /openMs .* got Infinity/],
    [{ openMsMultiplier: 0.5 }, RangeError, /openMsMultiplier .* got 0\.5/],
    [{ openMs: 100, maxOpenMs: 50 }, RangeError, /maxOpenMs must be >= openMs \(100\), got 50/],
    [{ halfOpenMaxCalls: 0 }, RangeError, /halfOpenMaxCalls .* got 0/],
    [{ halfOpenMaxMs: -1 }, RangeError, /halfOpenMaxMs .* got -1/],
    [{ halfOpenMaxMs: '1' as never }, TypeError, /halfOpenMaxMs must be a number, got "1"/],
    [{ name: '' }, TypeError, /name must be a non-empty string/],
    [{ isFailure: 1 as never }, TypeError, /isFailure must be a function, got 1/],
    [{ isIgnored: 'x' as never }, TypeError, /isIgnored must be a function, got "x"/],
    [{ clock: {} as never }, TypeError, /clock must be an object with now\(\), got \{\}/],
  ];
  it.each(bad)('rejects %j', (options, type, message) => {
    expect(() => new CircuitBreaker(options)).toThrow(type);
    expect(() => new CircuitBreaker(options)).toThrow(message);
  });

  it('refuses an unknown option key, naming the nearest valid one', () => {
    expect(() => new CircuitBreaker({ openMS: 5 } as never)).toThrow(TypeError);
    expect(() => new CircuitBreaker({ openMS: 5 } as never)).toThrow(
      'unknown option "openMS" in new CircuitBreaker(options); did you mean "openMs"?',
    );
    expect(() => new CircuitBreaker({ window: { ms: 1000, bucket: 5 } } as never)).toThrow(
      'unknown option "bucket" in window; did you mean "buckets"?',
    );
    expect(() => new CircuitBreaker({ window: { calls: 10, ms: 5 } } as never)).toThrow(
      /unknown option "ms" in window/,
    );
  });

  it('has documented defaults', () => {
    const breaker = new CircuitBreaker();
    expect(breaker.name).toBe('default');
    expect(breaker.state).toBe('closed');
    expect(breaker.stats()).toMatchObject({ retryAfterMs: 0, consecutiveOpens: 0 });
  });
});

describe('errors', () => {
  it('carry stable codes and the Bulwark brand', () => {
    const open = new BrokenCircuitError('isolated', Number.POSITIVE_INFINITY, 'svc');
    expect(open.code).toBe('BULWARK_CIRCUIT_OPEN');
    expect(open.message).toBe('circuit "svc" is isolated until reset by hand');
    const timeout = new StoreTimeoutError(250);
    expect(timeout).toMatchObject({ code: 'BULWARK_CIRCUIT_STORE_TIMEOUT', timeoutMs: 250 });
    expect(isBulwarkError(timeout, 'BULWARK_CIRCUIT_STORE_TIMEOUT')).toBe(true);
    expect(isBrokenCircuitError(timeout)).toBe(false);
    // A copy from another build of the package is recognised by its code, not its class.
    const foreign = Object.assign(new Error('x'), { code: 'BULWARK_CIRCUIT_OPEN' });
    Object.defineProperty(foreign, Symbol.for('bulwark.error'), { value: true });
    expect(isBrokenCircuitError(foreign)).toBe(true);
    expect(isBrokenCircuitError(new Error('x'))).toBe(false);
  });
});

describe('close', () => {
  it('shuts down without changing how calls are decided; asyncDispose is close', async () => {
    const { breaker } = make({ window: { calls: 1 }, minimumCalls: 1 });
    await breaker.close();
    await breaker[Symbol.asyncDispose]();
    await fail(breaker);
    expect(breaker.state).toBe('open');
    breaker.reset();
    expect(breaker.state).toBe('closed');
  });
});

describe('breakerPerKey', () => {
  it('makes one breaker per key on first use and keeps it', async () => {
    const made: string[] = [];
    const breakerFor = breakerPerKey((origin) => {
      made.push(origin);
      return new CircuitBreaker({ name: origin, window: { calls: 1 }, minimumCalls: 1 });
    });
    const a = breakerFor('https://a.test');
    expect(breakerFor('https://a.test')).toBe(a);
    await a.execute(boom).catch(() => {});
    expect(a.state).toBe('open');
    expect(breakerFor('https://b.test').state).toBe('closed');
    expect([...breakerFor.breakers.keys()]).toEqual(['https://a.test', 'https://b.test']);
    expect(breakerFor.delete('https://a.test')).toBe(true);
    expect(breakerFor('https://a.test')).not.toBe(a);
    expect(made).toEqual(['https://a.test', 'https://b.test', 'https://a.test']);
  });

  it('rejects a create that is not a function', () => {
    expect(() => breakerPerKey(3 as never)).toThrow(/create must be a function, got 3/);
  });
});
