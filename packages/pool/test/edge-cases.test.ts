import { describe, expect, it } from 'vitest';
import {
  AlreadyReleasedError,
  Bulkhead,
  PoolClosedError,
  PoolTimeoutError,
  Semaphore,
} from '../src/index.js';
import { settle, thingPool, track } from './helpers.js';

describe('lease edge cases', () => {
  it('release() after destroy() throws and leaves the counts alone', async () => {
    const { pool } = thingPool();
    const lease = await pool.acquire();
    await lease.destroy();
    expect(() => lease.release()).toThrow(AlreadyReleasedError);
    expect(pool.stats()).toMatchObject({ size: 0, borrowed: 0, destroyed: 1 });
  });

  it('Symbol.asyncDispose twice gives the resource back once', async () => {
    const { pool } = thingPool();
    const lease = await pool.acquire();
    await lease[Symbol.asyncDispose]();
    await lease[Symbol.asyncDispose]();
    expect(pool.stats()).toMatchObject({ available: 1, borrowed: 0 });
  });

  it('use() with an already-aborted signal rejects without calling fn or making a resource', async () => {
    const { pool } = thingPool();
    let called = false;
    const signal = AbortSignal.abort(new Error('gone'));
    await expect(
      pool.use(
        () => {
          called = true;
        },
        { signal },
      ),
    ).rejects.toThrow('gone');
    expect(called).toBe(false);
    expect(pool.stats()).toMatchObject({ size: 0, waiting: 0 });
  });

  it('an abort in the middle of equal priorities keeps the others in arrival order', async () => {
    const { pool } = thingPool({ max: 1 });
    const held = await pool.acquire();
    const order: string[] = [];
    const controller = new AbortController();
    const waits = ['a', 'b', 'c'].map((name) =>
      pool.acquire({ priority: 1, signal: name === 'b' ? controller.signal : undefined }).then(
        (lease) => {
          order.push(name);
          lease.release();
        },
        () => order.push(`${name} aborted`),
      ),
    );
    controller.abort();
    held.release();
    await Promise.all(waits);
    expect(order).toEqual(['b aborted', 'a', 'c']);
  });
});

describe('close edge cases', () => {
  it('rejects a caller whose resource is being validated and destroys that resource', async () => {
    let finishValidate: (ok: boolean) => void = () => {};
    const { pool, made } = thingPool({
      max: 1,
      validate: () =>
        new Promise<boolean>((resolve) => {
          finishValidate = resolve;
        }),
    });
    (await pool.acquire()).release();
    const waiting = track(pool.acquire());
    await settle();
    expect(pool.stats().validating).toBe(1);
    const drained = track(pool.close());
    await settle();
    expect(waiting.error).toBeInstanceOf(PoolClosedError);
    finishValidate(true);
    await settle();
    expect(drained.settled).toBe(true);
    expect(made[0]!.destroyed).toBe(true);
    expect(pool.stats()).toMatchObject({ size: 0, borrowed: 0 });
  });

  it('rejects a caller whose resource is being created and destroys it when it arrives', async () => {
    let finishCreate: () => void = () => {};
    const destroyed: string[] = [];
    const slow = thingPool({
      create: () =>
        new Promise((resolve) => {
          finishCreate = () => resolve({ id: 99, destroyed: false });
        }),
      destroy: (thing) => void destroyed.push(String(thing.id)),
    }).pool;
    const waiting = track(slow.acquire());
    const drained = track(slow.close());
    await settle();
    expect(waiting.error).toBeInstanceOf(PoolClosedError);
    expect(drained.settled).toBe(false);
    finishCreate();
    await settle();
    expect(destroyed).toEqual(['99']);
    expect(drained.settled).toBe(true);
  });

  it('destroy() of a lease that drain already destroyed resolves without a second destroy', async () => {
    const { pool, clock } = thingPool();
    const lease = await pool.acquire();
    const drained = pool.close(10);
    await clock.advanceAsync(10);
    await drained;
    await lease.destroy();
    expect(() => lease.release()).toThrow(AlreadyReleasedError);
    expect(pool.stats()).toMatchObject({ size: 0, borrowed: 0, destroyed: 1 });
  });

  it('rejects a bad drain timeout, naming it', () => {
    const { pool } = thingPool();
    expect(() => pool.close(-1)).toThrow(/timeoutMs .* got -1/);
  });
});

describe('semaphore edge cases', () => {
  it('an already-aborted signal takes no permit, even when one is free', async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.acquire({ signal: AbortSignal.abort(new Error('x')) })).rejects.toThrow(
      'x',
    );
    await expect(
      semaphore.execute(() => 1, { signal: AbortSignal.abort(new Error('y')) }),
    ).rejects.toThrow('y');
    expect(semaphore.stats()).toMatchObject({ inUse: 0, available: 1 });
  });

  it('Symbol.dispose twice releases the permit once', async () => {
    const semaphore = new Semaphore(1);
    const permit = await semaphore.acquire();
    permit[Symbol.dispose]();
    permit[Symbol.dispose]();
    expect(semaphore.stats().inUse).toBe(0);
  });

  it('a bulkhead timeout frees the waiter place for the next caller', async () => {
    const { clock } = thingPool();
    const bulkhead = new Bulkhead(1, 1, { acquireTimeoutMs: 100, clock });
    const running = bulkhead.acquire();
    const queued = track(bulkhead.acquire());
    await clock.advanceAsync(200);
    await settle();
    expect(queued.error).toBeInstanceOf(PoolTimeoutError);
    const next = track(bulkhead.acquire());
    (await running).release();
    await settle();
    expect(next.settled).toBe(true);
    expect(next.error).toBeUndefined();
  });
});

describe('create failure with priorities', () => {
  it('the error goes to the caller next in line: highest priority, then longest waiting', async () => {
    let fail = false;
    const { pool } = thingPool({
      max: 1,
      create: () => {
        if (fail) throw new Error('down');
        return { id: 0, destroyed: false };
      },
    });
    const held = await pool.acquire();
    fail = true;
    const low = track(pool.acquire());
    const high = track(pool.acquire({ priority: 5 }));
    await held.destroy();
    await settle();
    expect((high.error as Error).message).toBe('down');
    expect(low.settled).toBe(true); // the next failure answers the next caller
    expect((low.error as Error).message).toBe('down');
  });
});
