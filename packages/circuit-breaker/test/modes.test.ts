import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  connectCluster,
  connectStandalone,
  describeRedis,
  FakeClock,
  uniquePrefix,
} from '@bulwark/test-utils';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BrokenCircuitError,
  type CallEvent,
  CircuitBreaker,
  type CircuitBreakerOptions,
  type StateChange,
} from '../src/index.js';
import { RedisCircuitBreaker, type RedisCircuitBreakerOptions } from '../src/redis.js';

const boom = () => Promise.reject(new Error('boom'));
const ok = () => Promise.resolve('ok');

function breaker(options: CircuitBreakerOptions = {}) {
  const clock = new FakeClock(0);
  const changes: string[] = [];
  const calls: CallEvent[] = [];
  const b = new CircuitBreaker({
    window: { calls: 4 },
    minimumCalls: 2,
    openMs: 1_000,
    clock,
    onStateChange: (c: StateChange) => changes.push(`${c.from}>${c.to}:${c.reason}`),
    onCall: (e) => calls.push(e),
    ...options,
  });
  return { breaker: b, clock, changes, calls };
}

async function fail(b: CircuitBreaker, times: number) {
  for (let i = 0; i < times; i++) await b.execute(boom).catch(() => {});
}

describe('disabled', () => {
  it('lets every call through and records, counts and publishes nothing until reset', async () => {
    const { breaker: b, changes, calls } = breaker();
    await fail(b, 1);
    b.disable();
    expect(b.state).toBe('disabled');
    const published: unknown[] = [];
    const listener = (m: unknown) => published.push(m);
    subscribe('bulwark:circuit-breaker:call', listener);
    try {
      await fail(b, 10);
      await expect(b.execute(ok)).resolves.toBe('ok');
      await expect(b.execute(() => 7)).resolves.toBe(7);
      await expect(
        b.execute(() => {
          throw new Error('sync');
        }),
      ).rejects.toThrow('sync');
    } finally {
      unsubscribe('bulwark:circuit-breaker:call', listener);
    }
    expect(b.state).toBe('disabled');
    expect(published).toEqual([]);
    expect(calls).toHaveLength(1); // the failure before disable()
    expect(b.stats()).toMatchObject({ windowCalls: 0, successes: 0, failures: 1, rejected: 0 });
    b.reset();
    expect(b.state).toBe('closed');
    expect(changes).toEqual(['closed>disabled:manual', 'disabled>closed:manual']);
  });

  it('still refuses a non-function and an aborted signal, and leaves for a manual open', async () => {
    const { breaker: b } = breaker();
    b.disable();
    await expect(b.execute(3 as never)).rejects.toThrow('fn must be a function, got 3');
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(b.execute(ok, { signal: controller.signal })).rejects.toThrow('gone');
    b.open();
    expect(b.state).toBe('open');
  });
});

describe('metrics-only', () => {
  it('counts and publishes outcomes like closed but never opens', async () => {
    const { breaker: b, changes, calls } = breaker();
    b.metricsOnly();
    await fail(b, 6);
    expect(b.state).toBe('metrics-only');
    expect(b.stats()).toMatchObject({ windowCalls: 4, windowFailures: 4, failureRate: 1 });
    expect(calls.map((c) => [c.outcome, c.state])).toEqual(
      Array.from({ length: 6 }, () => ['failure', 'metrics-only']),
    );
    expect(changes).toEqual(['closed>metrics-only:manual']);
    // Leaving it starts the closed state with an empty window.
    b.reset();
    expect(b.stats().windowCalls).toBe(0);
    await fail(b, 2);
    expect(b.state).toBe('open');
  });

  it('starts with an empty window and no open-time growth, and ignores calls of the state before', async () => {
    const { breaker: b, clock } = breaker({ openMsMultiplier: 2 });
    await fail(b, 2);
    expect(b.stats().consecutiveOpens).toBe(1);
    clock.advance(1_000);
    let release!: () => void;
    const probe = b.execute(
      () => new Promise<void>((_, reject) => (release = () => reject(new Error('late')))),
    );
    b.metricsOnly();
    expect(b.stats()).toMatchObject({ consecutiveOpens: 0, windowCalls: 0 });
    release();
    await probe.catch(() => {});
    expect(b.state).toBe('metrics-only');
    expect(b.stats().windowCalls).toBe(0);
  });
});

describe('forceOpen', () => {
  it('holds the circuit open until reset, as isolate does', async () => {
    const { breaker: b, clock, changes } = breaker();
    b.forceOpen();
    clock.advance(1_000_000);
    const error = await b.execute(ok).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokenCircuitError);
    expect(error).toMatchObject({ state: 'isolated', retryAfterMs: Number.POSITIVE_INFINITY });
    b.forceOpen();
    expect(changes).toEqual(['closed>isolated:manual']);
    b.reset();
    await expect(b.execute(ok)).resolves.toBe('ok');
  });
});

describe('openMs as a function of the consecutive opens', () => {
  it('opens for what the function says, capped by maxOpenMs', async () => {
    const seen: number[] = [];
    const openMs = (opens: number) => {
      seen.push(opens);
      return opens * 700;
    };
    const { breaker: b, clock } = breaker({
      openMs,
      maxOpenMs: 2_000,
      window: { calls: 1 },
      minimumCalls: 1,
    });
    const opens: number[] = [];
    for (let i = 0; i < 4; i++) {
      await fail(b, 1);
      opens.push(b.stats().retryAfterMs);
      clock.advance(b.stats().retryAfterMs);
    }
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(opens).toEqual([700, 1_400, 2_000, 2_000]);
  });

  it('opens for maxOpenMs when the function throws or answers nonsense', async () => {
    for (const openMs of [
      () => {
        throw new Error('no');
      },
      () => Number.NaN,
      () => -1,
      () => '5' as unknown as number,
    ]) {
      const { breaker: b } = breaker({
        openMs,
        maxOpenMs: 9_000,
        window: { calls: 1 },
        minimumCalls: 1,
      });
      await fail(b, 1);
      expect(b.stats().retryAfterMs).toBe(9_000);
    }
  });

  it('defaults maxOpenMs to 300 000 and refuses a multiplier beside a function', () => {
    const { breaker: b } = breaker({ openMs: () => 1e9, window: { calls: 1 }, minimumCalls: 1 });
    b.open();
    expect(b.stats().retryAfterMs).toBe(300_000);
    expect(() => new CircuitBreaker({ openMs: () => 1, openMsMultiplier: 2 })).toThrow(
      'openMsMultiplier must be unset when openMs is a function, got 2',
    );
  });
});

describe("halfOpenEvaluation: 'failure-rate'", () => {
  async function halfOpen(failureRateThreshold: number) {
    const ctx = breaker({
      window: { calls: 1 },
      minimumCalls: 1,
      halfOpenMaxCalls: 4,
      halfOpenEvaluation: 'failure-rate',
      failureRateThreshold,
    });
    await fail(ctx.breaker, 1);
    ctx.clock.advance(1_000);
    expect(ctx.breaker.state).toBe('half-open');
    return ctx;
  }

  it('waits for every probe, then closes when their failure rate stays under the threshold', async () => {
    const { breaker: b, changes } = await halfOpen(0.5);
    await fail(b, 1);
    await b.execute(ok);
    await b.execute(ok);
    expect(b.state).toBe('half-open');
    expect(b.stats()).toMatchObject({ probesAdmitted: 3, probesSucceeded: 2, probesFailed: 1 });
    await b.execute(ok);
    expect(b.state).toBe('closed');
    expect(changes.at(-1)).toBe('half-open>closed:probes-succeeded');
  });

  it('reopens when the probes fail at the threshold or above', async () => {
    const { breaker: b, changes } = await halfOpen(0.5);
    await fail(b, 2);
    await b.execute(ok);
    await b.execute(ok);
    expect(b.state).toBe('open');
    expect(changes.at(-1)).toBe('half-open>open:probe-failed');
  });

  it('refuses an unknown evaluation, naming the option', () => {
    expect(() => new CircuitBreaker({ halfOpenEvaluation: 'most' as never })).toThrow(
      /^halfOpenEvaluation must be one of 'all-succeed', 'failure-rate', got .most.$/,
    );
  });
});

describeRedis('modes on the shared state', () => {
  const clients: (Redis | Cluster)[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  for (const kind of ['standalone', 'cluster'] as const) {
    describe(kind, () => {
      const connect = () => {
        const client = kind === 'standalone' ? connectStandalone() : connectCluster();
        clients.push(client);
        return client;
      };
      const instance = (prefix: string, options: Partial<RedisCircuitBreakerOptions> = {}) => {
        const clock = new FakeClock(5_000);
        const b = new RedisCircuitBreaker({
          redis: connect(),
          prefix,
          name: 'payments',
          window: { calls: 1 },
          minimumCalls: 1,
          openMs: 60_000,
          syncIntervalMs: 0,
          clock,
          ...options,
        });
        return b;
      };

      it('forceOpen is shared like isolate', async () => {
        const prefix = uniquePrefix('cb-modes');
        const a = instance(prefix);
        const b = instance(prefix);
        a.forceOpen();
        await a.flush();
        await b.sync();
        expect(b.state).toBe('isolated');
        await Promise.all([a.close(), b.close()]);
      });

      it('a disabled or metrics-only instance ignores the shared state, and rejoins it on reset without closing it', async () => {
        const prefix = uniquePrefix('cb-modes');
        const a = instance(prefix);
        const b = instance(prefix);
        const c = instance(prefix);
        b.disable();
        c.metricsOnly();
        await a.execute(boom).catch(() => {});
        await a.flush();
        await Promise.all([b.sync(), c.sync()]);
        expect([b.state, c.state]).toEqual(['disabled', 'metrics-only']);
        await expect(b.execute(ok)).resolves.toBe('ok');
        await c.execute(boom).catch(() => {});
        await c.flush();
        expect(c.state).toBe('metrics-only');
        b.reset();
        c.reset();
        await Promise.all([b.flush(), c.flush()]);
        expect([b.state, c.state]).toEqual(['open', 'open']);
        await a.sync();
        expect(a.state).toBe('open');
        await Promise.all([a.close(), b.close(), c.close()]);
      });

      it('with openMs a function, the tripping instance sets the shared open time', async () => {
        const prefix = uniquePrefix('cb-modes');
        const a = instance(prefix, { openMs: (opens) => 7_000 * opens });
        const b = instance(prefix, { openMs: (opens) => 7_000 * opens });
        await a.execute(boom).catch(() => {});
        await a.flush();
        await b.sync();
        expect(b.state).toBe('open');
        const remaining = b.stats().retryAfterMs;
        expect(remaining).toBeGreaterThan(5_000);
        expect(remaining).toBeLessThanOrEqual(7_000);
        await Promise.all([a.close(), b.close()]);
      });
    });
  }
});
