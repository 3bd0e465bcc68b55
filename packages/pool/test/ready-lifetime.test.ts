// ready(), jittered maxLifetimeMs, and the exact `rejected` counter.
import { FakeClock } from '@bulwark/test-utils';
import { describe, expect, it } from 'vitest';
import { isBulwarkError, PoolClosedError, QueueFullError } from '../src/index.js';
import { settle, thingPool, track } from './helpers.js';

describe('ready()', () => {
  it('resolves at once when min is 0', async () => {
    const { pool } = thingPool();
    await expect(pool.ready()).resolves.toBeUndefined();
  });

  it('resolves once min resources exist', async () => {
    const clock = new FakeClock();
    const { pool } = thingPool({
      min: 2,
      clock,
      create: () =>
        new Promise((resolve) => clock.setTimeout(() => resolve({ id: 0, destroyed: false }), 10)),
    });
    const ready = track(pool.ready());
    await clock.advanceAsync(5);
    expect(ready).toEqual({ settled: false });
    await clock.advanceAsync(5);
    await settle();
    expect(ready).toEqual({ settled: true, value: undefined });
    expect(pool.stats()).toMatchObject({ size: 2, available: 2 });
    // Already warm: at once.
    await expect(pool.ready()).resolves.toBeUndefined();
  });

  it('rejects with the error of a failed create, and the pool keeps refilling', async () => {
    let fail = true;
    let made = 0;
    const { pool, clock } = thingPool({
      min: 1,
      reapIntervalMs: 100,
      create: () => {
        if (fail) throw new Error('no database');
        return { id: made++, destroyed: false };
      },
    });
    pool.on('createError', () => {});
    await expect(pool.ready()).rejects.toThrow('no database');
    fail = false;
    const again = track(pool.ready());
    await clock.advanceAsync(100);
    await settle();
    expect(again).toEqual({ settled: true, value: undefined });
    expect(pool.stats().available).toBe(1);
  });

  it('rejects with PoolClosedError when close() begins first, and after it', async () => {
    const { pool } = thingPool({ min: 1, create: () => new Promise(() => {}) });
    const ready = pool.ready();
    void pool.close(0);
    await expect(ready).rejects.toBeInstanceOf(PoolClosedError);
    await expect(pool.ready()).rejects.toBeInstanceOf(PoolClosedError);
  });

  it('rejects with signal.reason on abort, before or while waiting', async () => {
    const { pool } = thingPool({ min: 1, create: () => new Promise(() => {}) });
    const controller = new AbortController();
    const ready = pool.ready({ signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(ready).rejects.toThrow('gave up');
    await expect(pool.ready({ signal: controller.signal })).rejects.toThrow('gave up');
    await expect(pool.ready({ signal: 'no' as never })).rejects.toThrow(TypeError);
  });

  it('never hangs when create hangs: createTimeoutMs ends the wait', async () => {
    const { pool, clock } = thingPool({
      min: 1,
      createTimeoutMs: 100,
      create: () => new Promise(() => {}),
    });
    pool.on('createError', () => {});
    const ready = track(pool.ready());
    await clock.advanceAsync(100);
    await settle();
    expect(ready.settled).toBe(true);
    expect(isBulwarkError(ready.error, 'BULWARK_POOL_CREATE_TIMEOUT')).toBe(true);
  });
});

describe('maxLifetimeMs with jitter', () => {
  it('retires at exactly maxLifetimeMs with maxLifetimeJitter 0', async () => {
    const { pool, clock, made } = thingPool({
      maxLifetimeMs: 1000,
      maxLifetimeJitter: 0,
      reapIntervalMs: 10,
    });
    (await pool.acquire()).release();
    await clock.advanceAsync(990);
    expect(made[0]!.destroyed).toBe(false);
    await clock.advanceAsync(10);
    await settle();
    expect(made[0]!.destroyed).toBe(true);
  });

  it('cuts each lifetime by up to the jitter, drawn once per resource', async () => {
    const draws = [0, 0.5, 0.999];
    let calls = 0;
    const { pool, clock, made } = thingPool({
      max: 3,
      maxLifetimeMs: 1000,
      maxLifetimeJitter: 0.2,
      reapIntervalMs: 1,
      random: () => draws[calls++ % draws.length]!,
    });
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    for (const lease of leases) lease.release();
    expect(calls).toBe(3);
    // Lifetimes 1000, 900 and 800.2 ms: they retire apart, none before 800 or after 1000.
    await clock.advanceAsync(799);
    expect(made.map((thing) => thing.destroyed)).toEqual([false, false, false]);
    await clock.advanceAsync(2);
    await settle();
    expect(made.map((thing) => thing.destroyed)).toEqual([false, false, true]);
    await clock.advanceAsync(100);
    await settle();
    expect(made.map((thing) => thing.destroyed)).toEqual([false, true, true]);
    await clock.advanceAsync(100);
    await settle();
    expect(made.map((thing) => thing.destroyed)).toEqual([true, true, true]);
  });

  it('a resource given back past its own lifetime is retired, not lent', async () => {
    const { pool, clock, made } = thingPool({
      maxLifetimeMs: 1000,
      maxLifetimeJitter: 0.5,
      random: () => 1 - Number.EPSILON,
      reapIntervalMs: 100_000,
    });
    const lease = await pool.acquire();
    await clock.advanceAsync(501);
    lease.release();
    await settle();
    expect(made[0]!.destroyed).toBe(true);
  });

  it('refuses a jitter outside [0, 1) and a random that is not a function', () => {
    expect(() => thingPool({ maxLifetimeJitter: 1 })).toThrow(
      /maxLifetimeJitter must be a number in \[0, 1\), got 1/,
    );
    expect(() => thingPool({ maxLifetimeJitter: -0.1 })).toThrow(RangeError);
    expect(() => thingPool({ maxLifetimeJitter: '2%' as never })).toThrow(TypeError);
    expect(() => thingPool({ random: 0.5 as never })).toThrow(/random must be a function/);
    expect(() => thingPool({ maxLifetimeJitterPct: 2.5 } as never)).toThrow(
      /did you mean "maxLifetimeJitter"/,
    );
  });
});

describe('stats().rejected', () => {
  it('counts exactly the callers turned away by a full queue', async () => {
    const { pool } = thingPool({ max: 1, maxWaiting: 1 });
    const held = await pool.acquire();
    const waiting = pool.acquire();
    const refused = await Promise.allSettled([pool.acquire(), pool.acquire()]);
    for (const outcome of refused) {
      expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(QueueFullError);
    }
    expect(pool.stats()).toMatchObject({ rejected: 2, waiting: 1 });
    held.release();
    (await waiting).release();
    // Other refusals are not full-queue ones: an aborted call, then closed ones.
    const controller = new AbortController();
    controller.abort(new Error('no'));
    await expect(pool.acquire({ signal: controller.signal })).rejects.toThrow('no');
    await pool.close();
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolClosedError);
    expect(pool.stats().rejected).toBe(2);
  });
});
