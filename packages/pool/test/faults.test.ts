// Fault injection: create throws, create hangs, destroy throws or hangs, validate throws.
// Whatever fails, every acquire settles.
import { FakeClock } from '@bulwark/test-utils';
import { describe, expect, it } from 'vitest';
import { CreateTimeoutError, createPool, PoolTimeoutError } from '../src/index.js';
import { settle, thingPool, track } from './helpers.js';

describe('create fails', () => {
  it('gives each waiter a create error instead of leaving it pending', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const pool = createPool({
      create: () => {
        throw new Error('refused');
      },
      destroy: () => {},
      max: 2,
      clock,
    });
    pool.on('createError', (error) => errors.push(error));
    const attempts = Array.from({ length: 5 }, () => track(pool.acquire()));
    await settle(5);
    for (const attempt of attempts) expect((attempt.error as Error).message).toBe('refused');
    expect(errors).toHaveLength(5);
    expect(pool.stats()).toMatchObject({ size: 0, waiting: 0, created: 0 });
  });

  it('recovers once create works again', async () => {
    let failing = true;
    const pool = createPool({
      create: async () => {
        if (failing) throw new Error('down');
        return 'conn';
      },
      destroy: () => {},
      clock: new FakeClock(),
    });
    await expect(pool.acquire()).rejects.toThrow('down');
    failing = false;
    const lease = await pool.acquire();
    expect(lease.value).toBe('conn');
  });

  it('with createRetryDelayMs, retries while the caller waits and times out with the cause', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const pool = createPool({
      create: () => {
        calls++;
        if (calls < 3) throw new Error(`attempt ${calls}`);
        return calls;
      },
      destroy: () => {},
      createRetryDelayMs: 100,
      acquireTimeoutMs: 1000,
      clock,
    });
    const first = track(pool.acquire());
    await clock.advanceAsync(250);
    expect(calls).toBe(3);
    expect((first.value as { value: number }).value).toBe(3);

    let failures = 0;
    const dead = createPool({
      create: () => {
        failures++;
        throw new Error('still down');
      },
      destroy: () => {},
      createRetryDelayMs: 100,
      acquireTimeoutMs: 1000,
      clock,
    });
    const attempt = track(dead.acquire());
    await clock.advanceAsync(999);
    expect(attempt.settled).toBe(false);
    await clock.advanceAsync(1);
    expect(attempt.error).toBeInstanceOf(PoolTimeoutError);
    expect(((attempt.error as Error).cause as Error).message).toBe('still down');
    expect(failures).toBeGreaterThanOrEqual(9);
    expect(failures).toBeLessThanOrEqual(11);
  });

  it('cuts a hanging create at createTimeoutMs, aborts its signal, destroys a late arrival', async () => {
    const clock = new FakeClock();
    const signals: AbortSignal[] = [];
    const finishers: ((value: string) => void)[] = [];
    const destroyed: string[] = [];
    const pool = createPool<string>({
      create: ({ signal }) =>
        new Promise((resolve) => {
          signals.push(signal);
          finishers.push(resolve);
        }),
      destroy: (value) => void destroyed.push(value),
      createTimeoutMs: 500,
      max: 1,
      clock,
    });
    const attempt = track(pool.acquire());
    await clock.advanceAsync(500);
    expect(attempt.error).toBeInstanceOf(CreateTimeoutError);
    expect(signals[0]!.aborted).toBe(true);
    expect(pool.stats()).toMatchObject({ size: 0, creating: 0 });
    finishers[0]!('late');
    await settle();
    expect(destroyed).toEqual(['late']);
    expect(pool.stats().size).toBe(0);
  });

  it('keeps retrying the min warm-up in the background after failures', async () => {
    const clock = new FakeClock();
    let up = false;
    const pool = createPool({
      create: () => {
        if (!up) throw new Error('not yet');
        return 1;
      },
      destroy: () => {},
      min: 1,
      reapIntervalMs: 100,
      clock,
    });
    pool.on('createError', () => {});
    await settle();
    expect(pool.stats().size).toBe(0);
    up = true;
    await clock.advanceAsync(100);
    await settle();
    expect(pool.stats()).toMatchObject({ size: 1, available: 1 });
  });
});

describe('destroy fails', () => {
  it('reports a throwing destroy and frees the slot anyway', async () => {
    const { pool, clock } = thingPool({
      max: 1,
      destroy: () => {
        throw new Error('close failed');
      },
    });
    const errors: unknown[] = [];
    pool.on('destroyError', (error) => errors.push(error));
    const lease = await pool.acquire();
    await lease.destroy();
    expect((errors[0] as Error).message).toBe('close failed');
    expect(pool.stats()).toMatchObject({ size: 0, destroyed: 1 });
    const next = await pool.acquire();
    expect(next.value.id).toBe(1);
    void clock;
  });

  it('frees the slot of a hanging destroy after destroyTimeoutMs', async () => {
    const { pool, clock } = thingPool({
      max: 1,
      destroyTimeoutMs: 300,
      destroy: () => new Promise<void>(() => {}),
    });
    pool.on('destroyError', () => {});
    const lease = await pool.acquire();
    const destroying = track(lease.destroy());
    const waiting = track(pool.acquire());
    await clock.advanceAsync(299);
    expect(waiting.settled).toBe(false);
    expect(pool.stats().destroying).toBe(1);
    await clock.advanceAsync(1);
    await settle();
    expect(destroying.settled).toBe(true);
    expect(waiting.settled).toBe(true);
    expect(waiting.error).toBeUndefined();
  });
});

describe('validate fails', () => {
  it('treats a throwing or rejecting validate as invalid and creates a fresh resource', async () => {
    let mode: 'throw' | 'reject' | 'ok' = 'ok';
    const { pool, made } = thingPool({
      validate: (thing) => {
        if (thing.id >= 2 || mode === 'ok') return true;
        if (mode === 'throw') throw new Error('ping failed');
        return Promise.reject(new Error('ping rejected'));
      },
    });
    const a = await pool.acquire();
    const b = await pool.acquire();
    a.release();
    b.release();
    mode = 'throw';
    const c = await pool.acquire();
    mode = 'reject';
    const d = await pool.acquire();
    expect([c.value.id, d.value.id].sort()).toEqual([2, 3]);
    expect(made[0]!.destroyed && made[1]!.destroyed).toBe(true);
  });

  it('never spins when validate always fails: a fresh resource is lent unvalidated', async () => {
    let checks = 0;
    const { pool } = thingPool({
      validate: () => {
        checks++;
        return false;
      },
    });
    const first = await pool.acquire();
    expect(checks).toBe(0);
    first.release();
    const second = await pool.acquire();
    expect(checks).toBe(1);
    expect(second.value.id).toBe(1);
    expect(pool.stats()).toMatchObject({ created: 2, destroyed: 1 });
  });

  it('destroys a resource whose validate never settles, by default after 30 s, and lends another', async () => {
    const { pool, clock, made } = thingPool({
      validate: (thing) => (thing.id === 0 ? new Promise<boolean>(() => {}) : true),
      acquireTimeoutMs: 60_000,
    });
    (await pool.acquire()).release();
    const waiting = track(pool.acquire());
    await settle();
    expect(pool.stats()).toMatchObject({ validating: 1, size: 1 });
    await clock.advanceAsync(29_999);
    expect(waiting.settled).toBe(false);
    await clock.advanceAsync(1);
    await settle();
    // The hanging check is abandoned: its resource destroyed, its slot given back, the caller
    // served by a fresh resource.
    expect(made[0]!.destroyed).toBe(true);
    expect(waiting.settled).toBe(true);
    expect((waiting.value as { value: { id: number } }).value.id).toBe(1);
    expect(pool.stats()).toMatchObject({ validating: 0, borrowed: 1, size: 1 });
  });

  it('validateTimeoutMs bounds each check; a late answer changes nothing', async () => {
    let answer!: (ok: boolean) => void;
    const { pool, clock, made } = thingPool({
      validate: (thing) =>
        thing.id === 0 ? new Promise<boolean>((resolve) => (answer = resolve)) : true,
      validateTimeoutMs: 100,
      max: 1,
    });
    (await pool.acquire()).release();
    const waiting = track(pool.acquire());
    await settle();
    await clock.advanceAsync(100);
    await settle();
    expect(made[0]!.destroyed).toBe(true);
    expect(waiting.settled).toBe(true);
    answer(true); // after the timeout: ignored
    await settle();
    expect(pool.stats()).toMatchObject({ size: 1, borrowed: 1, validating: 0, destroyed: 1 });
    expect(() => thingPool({ validateTimeoutMs: 0 })).toThrow(
      /validateTimeoutMs must be a number between 1 and 2147483647, got 0/,
    );
  });

  it('drain() resolves while a validate hangs: the check is cut at the drain timeout', async () => {
    const { pool, clock, made } = thingPool({
      validate: () => new Promise<boolean>(() => {}),
      validateTimeoutMs: 60_000,
    });
    (await pool.acquire()).release();
    const waiting = track(pool.acquire());
    await settle();
    expect(pool.stats().validating).toBe(1);
    const drained = track(pool.drain(1_000));
    await settle();
    expect(waiting.error).toBeInstanceOf(Error);
    expect(drained.settled).toBe(false);
    await clock.advanceAsync(1_000);
    await settle();
    expect(drained.settled).toBe(true);
    expect(made[0]!.destroyed).toBe(true);
    expect(pool.stats()).toMatchObject({ size: 0, validating: 0 });
  });
});
