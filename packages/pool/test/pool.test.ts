import { FakeClock } from '@bulwark/test-utils';
import { describe, expect, it } from 'vitest';
import {
  AlreadyReleasedError,
  CreateTimeoutError,
  createPool,
  isBulwarkError,
  PoolClosedError,
  PoolTimeoutError,
  QueueFullError,
} from '../src/index.js';
import { settle, type Thing, thingPool, track } from './helpers.js';

const noop = () => {};

describe('options', () => {
  const base = { create: () => 1, destroy: noop };
  it.each([
    [{ max: 0 }, RangeError, /max must be an integer >= 1, got 0/],
    [{ max: 1.5 }, RangeError, /max .* got 1.5/],
    [{ max: '3' }, TypeError, /max must be an integer, got "3"/],
    [{ min: -1 }, RangeError, /min .* got -1/],
    [{ min: 4, max: 3 }, RangeError, /min must be <= max \(3\), got 4/],
    [{ acquireTimeoutMs: 0 }, RangeError, /acquireTimeoutMs .* got 0/],
    [{ acquireTimeoutMs: Number.NaN }, RangeError, /acquireTimeoutMs .* got NaN/],
    [{ createTimeoutMs: -5 }, RangeError, /createTimeoutMs .* got -5/],
    [{ idleTimeoutMs: 0 }, RangeError, /idleTimeoutMs .* got 0/],
    [{ maxLifetimeMs: -1 }, RangeError, /maxLifetimeMs .* got -1/],
    [{ maxWaiting: -1 }, RangeError, /maxWaiting .* got -1/],
    [{ fifo: 'yes' }, TypeError, /fifo must be a boolean, got "yes"/],
    [{ leakDetectionMs: 0 }, RangeError, /leakDetectionMs .* got 0/],
    [{ leakDetectionMs: 10, leakStacks: 'sometimes' }, RangeError, /leakStacks .* got "sometimes"/],
    [{ create: 5 }, TypeError, /create must be a function, got 5/],
    [{ destroy: undefined }, TypeError, /destroy must be a function, got undefined/],
    [{ validate: 'x' }, TypeError, /validate must be a function/],
    [{ destroyTimeoutMs: 0 }, RangeError, /destroyTimeoutMs .* got 0/],
    [{ createRetryDelayMs: -1 }, RangeError, /createRetryDelayMs .* got -1/],
    [{ reapIntervalMs: 0 }, RangeError, /reapIntervalMs .* got 0/],
    [
      { acquireTimeoutMs: Number.POSITIVE_INFINITY },
      RangeError,
      /acquireTimeoutMs .* got Infinity/,
    ],
    [{ name: 3 }, TypeError, /name must be a non-empty string, got 3/],
    [{ leakStacks: 'sometimes' }, RangeError, /leakStacks .* got "sometimes"/],
    [
      { clock: { now: () => 0, setTimeout: noop } },
      TypeError,
      /clock must be an object with now\(\), setTimeout\(\) and clearTimeout\(\)/,
    ],
  ])('rejects %o', (bad, type, message) => {
    expect(() => createPool({ ...base, ...(bad as object) } as never)).toThrow(type);
    expect(() => createPool({ ...base, ...(bad as object) } as never)).toThrow(message);
  });

  it('refuses an unknown option key, naming the nearest valid one', () => {
    expect(() => createPool({ ...base, maxQueue: 3 } as never)).toThrow(
      'unknown option "maxQueue" in createPool(options); use "maxWaiting" instead',
    );
    expect(() => createPool({ ...base, acquireTimeout: 5 } as never)).toThrow(
      'unknown option "acquireTimeout" in createPool(options); did you mean "acquireTimeoutMs"?',
    );
  });

  it('rejects a missing or non-object options argument', () => {
    expect(() => createPool(undefined as never)).toThrow(
      /options must be an object, got undefined/,
    );
    expect(() => createPool(null as never)).toThrow(/options must be an object, got null/);
  });

  it('accepts Infinity for the optional limits', () => {
    const pool = createPool({
      ...base,
      idleTimeoutMs: Number.POSITIVE_INFINITY,
      maxLifetimeMs: Number.POSITIVE_INFINITY,
      maxWaiting: Number.POSITIVE_INFINITY,
    });
    expect(pool.stats().max).toBe(10);
  });
});

describe('acquire and release', () => {
  it('reuses a released resource and counts what it made', async () => {
    const { pool, made } = thingPool();
    const a = await pool.acquire();
    a.release();
    const b = await pool.acquire();
    expect(b.value).toBe(a.value);
    expect(made).toHaveLength(1);
    expect(pool.stats()).toMatchObject({ size: 1, borrowed: 1, available: 0, created: 1 });
    b.release();
    expect(pool.stats()).toMatchObject({ size: 1, borrowed: 0, available: 1 });
  });

  it('throws when a lease is released or destroyed twice', async () => {
    const { pool } = thingPool();
    const lease = await pool.acquire();
    lease.release();
    expect(lease.released).toBe(true);
    expect(() => lease.release()).toThrow(AlreadyReleasedError);
    expect(() => lease.destroy()).toThrow(AlreadyReleasedError);
    const other = await pool.acquire();
    await other.destroy();
    expect(() => other.release()).toThrow(AlreadyReleasedError);
  });

  it('never lends more than max and serves waiters first come, first served', async () => {
    const { pool } = thingPool({ max: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    const order: string[] = [];
    const c = pool.acquire().then((lease) => {
      order.push('c');
      return lease;
    });
    const d = pool.acquire().then((lease) => {
      order.push('d');
      return lease;
    });
    await settle();
    expect(pool.stats()).toMatchObject({ size: 2, borrowed: 2, waiting: 2 });
    b.release();
    a.release();
    const [lc, ld] = await Promise.all([c, d]);
    expect(order).toEqual(['c', 'd']);
    expect(lc.value).toBe(b.value);
    expect(ld.value).toBe(a.value);
  });

  it('serves a higher priority first, then arrival order', async () => {
    const { pool } = thingPool({ max: 1 });
    const held = await pool.acquire();
    const order: string[] = [];
    const names = ['low', 'high1', 'mid', 'high2'] as const;
    const priorities = { low: -1, high1: 5, mid: 0, high2: 5 };
    const waits = names.map((name) =>
      pool.acquire({ priority: priorities[name] }).then((lease) => {
        order.push(name);
        lease.release();
      }),
    );
    held.release();
    await Promise.all(waits);
    expect(order).toEqual(['high1', 'high2', 'mid', 'low']);
  });

  it('hands out the most recently used resource by default and the oldest with fifo', async () => {
    for (const fifo of [false, true]) {
      const { pool } = thingPool({ fifo });
      const a = await pool.acquire();
      const b = await pool.acquire();
      a.release();
      b.release();
      const next = await pool.acquire();
      expect(next.value).toBe(fifo ? a.value : b.value);
    }
  });

  it('use() releases on success, on throw, and leaves an explicit destroy alone', async () => {
    const { pool } = thingPool();
    expect(await pool.use((thing) => thing.id)).toBe(0);
    await expect(
      pool.use(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(pool.use(async () => Promise.reject(new Error('later')))).rejects.toThrow('later');
    await pool.use((_thing, lease) => lease.destroy());
    expect(pool.stats()).toMatchObject({ borrowed: 0, destroyed: 1 });
  });

  it('await using releases at the end of the block, also after an explicit release', async () => {
    const { pool } = thingPool();
    {
      await using lease = await pool.acquire();
      expect(pool.stats().borrowed).toBe(1);
      expect(lease.value.id).toBe(0);
    }
    expect(pool.stats().borrowed).toBe(0);
    {
      await using lease = await pool.acquire();
      lease.release();
    }
    expect(pool.stats().borrowed).toBe(0);
  });

  it('destroy() frees the slot for a new resource', async () => {
    const { pool, made } = thingPool({ max: 1 });
    const a = await pool.acquire();
    const waiting = pool.acquire();
    await a.destroy();
    const b = await waiting;
    expect(made).toHaveLength(2);
    expect(made[0]!.destroyed).toBe(true);
    expect(b.value).toBe(made[1]);
  });
});

describe('waiting ends', () => {
  it('rejects with PoolTimeoutError after acquireTimeoutMs', async () => {
    const { pool, clock } = thingPool({ max: 1, acquireTimeoutMs: 100 });
    const held = await pool.acquire();
    const first = track(pool.acquire());
    await clock.advanceAsync(50);
    const second = track(pool.acquire());
    await clock.advanceAsync(49);
    expect(first.settled).toBe(false);
    await clock.advanceAsync(1);
    expect(first.error).toBeInstanceOf(PoolTimeoutError);
    expect((first.error as PoolTimeoutError).waitedMs).toBe(100);
    // The second joined a line, so it is stamped at the next tick (every 100/8 ms): it never
    // times out early, and at most one tick late.
    await clock.advanceAsync(49);
    expect(second.settled).toBe(false);
    await clock.advanceAsync(12);
    expect(second.error).toBeInstanceOf(PoolTimeoutError);
    expect((second.error as PoolTimeoutError).waitedMs).toBeLessThanOrEqual(100);
    expect(pool.stats()).toMatchObject({ timeouts: 2, waiting: 0 });
    held.release();
  });

  it('rejects with the signal reason on abort, before or while waiting', async () => {
    const { pool } = thingPool({ max: 1 });
    const aborted = AbortSignal.abort(new Error('gone'));
    await expect(pool.acquire({ signal: aborted })).rejects.toThrow('gone');
    const held = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire({ signal: controller.signal });
    controller.abort(new Error('changed my mind'));
    await expect(waiting).rejects.toThrow('changed my mind');
    expect(pool.stats().waiting).toBe(0);
    held.release();
    // The abandoned place in line does not swallow the resource.
    const next = await pool.acquire();
    expect(next.value).toBe(held.value);
  });

  it('rejects bad acquire options without throwing synchronously', async () => {
    const { pool } = thingPool();
    await expect(pool.acquire({ signal: 'x' as never })).rejects.toThrow(TypeError);
    await expect(pool.acquire({ priority: Number.NaN })).rejects.toThrow(/priority/);
  });

  it('with maxWaiting 0 still fills the pool, then fails fast', async () => {
    const { pool } = thingPool({ max: 2, maxWaiting: 0 });
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
    await expect(pool.acquire()).rejects.toBeInstanceOf(QueueFullError);
    a!.release();
    b!.release();
  });

  it('rejects with QueueFullError beyond maxWaiting', async () => {
    const { pool } = thingPool({ max: 1, maxWaiting: 1 });
    const held = await pool.acquire();
    const waiting = pool.acquire();
    const full = await pool.acquire().catch((error: unknown) => error);
    expect(full).toBeInstanceOf(QueueFullError);
    expect(full).toMatchObject({ code: 'BULWARK_QUEUE_FULL', maxWaiting: 1 });
    expect((full as Error).message).toBe(
      'pool "default" is full: 1 callers already waiting (maxWaiting)',
    );
    expect(pool.stats()).toMatchObject({ name: 'default', waiting: 1, rejected: 1 });
    held.release();
    (await waiting).release();
  });
});

describe('errors', () => {
  it('carry stable codes and the Bulwark brand', () => {
    const cases: [Error, string][] = [
      [new PoolTimeoutError(5), 'BULWARK_POOL_TIMEOUT'],
      [new PoolClosedError(), 'BULWARK_POOL_CLOSED'],
      [new CreateTimeoutError(5), 'BULWARK_POOL_CREATE_TIMEOUT'],
      [new AlreadyReleasedError('this lease'), 'BULWARK_POOL_ALREADY_RELEASED'],
      [new QueueFullError(3), 'BULWARK_QUEUE_FULL'],
    ];
    for (const [error, code] of cases) {
      expect(isBulwarkError(error, code)).toBe(true);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(isBulwarkError(new Error('x'))).toBe(false);
  });

  it('close() is the shutdown; drain() is its deprecated alias', async () => {
    const { pool } = thingPool();
    const closing = pool.close();
    expect(pool.drain()).toBe(closing);
    await closing;
    await expect(pool.acquire()).rejects.toThrow('the pool is closed: close() was called');
  });
});

describe('validate', () => {
  it('destroys a resource that fails validation and tries another', async () => {
    const healthy = new Set<number>();
    const { pool, made } = thingPool({ validate: (thing: Thing) => healthy.has(thing.id) });
    healthy.add(0);
    const a = await pool.acquire();
    a.release();
    healthy.clear();
    healthy.add(1);
    const b = await pool.acquire();
    expect(b.value.id).toBe(1);
    expect(made[0]!.destroyed).toBe(true);
    expect(pool.stats()).toMatchObject({ destroyed: 1, borrowed: 1, validating: 0 });
  });

  it('returns a validated resource to the pool when its caller gave up meanwhile', async () => {
    let pass: (ok: boolean) => void = () => {};
    const { pool, clock } = thingPool({
      max: 1,
      acquireTimeoutMs: 100,
      validate: () =>
        new Promise<boolean>((resolve) => {
          pass = resolve;
        }),
    });
    (await pool.acquire()).release(); // fresh resources are not validated; this one now is
    const attempt = track(pool.acquire());
    await settle();
    expect(pool.stats().validating).toBe(1);
    await clock.advanceAsync(100);
    expect(attempt.error).toBeInstanceOf(PoolTimeoutError);
    pass(true);
    await settle();
    expect(pool.stats()).toMatchObject({ available: 1, validating: 0, borrowed: 0 });
  });
});

describe('min, idle and lifetime', () => {
  it('keeps min resources warm and retires idle ones above min', async () => {
    const { pool, clock } = thingPool({ min: 1, max: 3, idleTimeoutMs: 1000, reapIntervalMs: 100 });
    await settle();
    expect(pool.stats()).toMatchObject({ size: 1, available: 1 });
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    for (const lease of leases) lease.release();
    expect(pool.stats().available).toBe(3);
    await clock.advanceAsync(1100);
    await settle();
    expect(pool.stats()).toMatchObject({ size: 1, available: 1, destroyed: 2 });
  });

  it('retires over-age resources when idle and when they come back, and replaces them to min', async () => {
    const { pool, clock, made } = thingPool({ min: 1, maxLifetimeMs: 500, reapIntervalMs: 100 });
    await settle();
    const lease = await pool.acquire();
    await clock.advanceAsync(600);
    lease.release();
    await settle();
    expect(made[0]!.destroyed).toBe(true);
    expect(pool.stats()).toMatchObject({ size: 1, available: 1 });
    await clock.advanceAsync(600);
    await settle();
    expect(made[1]!.destroyed).toBe(true);
    expect(pool.stats().available).toBe(1);
  });

  it('clear() destroys idle resources and refills to min', async () => {
    const { pool, made } = thingPool({ min: 2 });
    await settle();
    await pool.clear();
    await settle();
    expect(made.slice(0, 2).every((thing) => thing.destroyed)).toBe(true);
    expect(pool.stats()).toMatchObject({ available: 2, destroyed: 2, created: 4 });
  });
});

describe('close', () => {
  it('rejects waiters and new callers, waits for borrowed leases, destroys everything', async () => {
    const { pool, made } = thingPool({ max: 1 });
    const held = await pool.acquire();
    const waiting = pool.acquire();
    const drained = track(pool.close());
    await expect(waiting).rejects.toBeInstanceOf(PoolClosedError);
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolClosedError);
    await settle();
    expect(drained.settled).toBe(false);
    held.release();
    await settle();
    expect(drained.settled).toBe(true);
    expect(made[0]!.destroyed).toBe(true);
    expect(pool.stats().size).toBe(0);
  });

  it('destroys leases still out when its timeout passes', async () => {
    const { pool, clock, made } = thingPool();
    const held = await pool.acquire();
    const drained = track(pool.close(1000));
    await clock.advanceAsync(999);
    expect(drained.settled).toBe(false);
    await clock.advanceAsync(1);
    await settle();
    expect(drained.settled).toBe(true);
    expect(made[0]!.destroyed).toBe(true);
    held.release(); // late release is harmless
    expect(pool.stats()).toMatchObject({ size: 0, borrowed: 0 });
  });

  it('is idempotent and works with await using', async () => {
    const clock = new FakeClock();
    const destroyed: number[] = [];
    {
      await using pool = createPool({
        create: () => 7,
        destroy: (n) => void destroyed.push(n),
        clock,
      });
      (await pool.acquire()).release();
      const first = pool.close();
      expect(pool.close()).toBe(first);
      await first;
    }
    expect(destroyed).toEqual([7]);
  });
});
