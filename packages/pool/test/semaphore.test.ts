import { FakeClock } from '@bulwark/test-utils';
import { describe, expect, it } from 'vitest';
import {
  AlreadyReleasedError,
  Bulkhead,
  PoolClosedError,
  PoolTimeoutError,
  QueueFullError,
  Semaphore,
} from '../src/index.js';
import { settle, track } from './helpers.js';

/** A stand-in for @bulwark/retry's `wrap`: it only knows the `execute(fn, { signal })` shape. */
interface Policy {
  execute<R>(
    fn: (context: { signal: AbortSignal }) => Promise<R>,
    options: { signal: AbortSignal },
  ): Promise<R>;
}
function retryTwice(policy: Policy) {
  return async <R>(fn: (context: { signal: AbortSignal }) => Promise<R>, signal: AbortSignal) => {
    try {
      return await policy.execute(fn, { signal });
    } catch {
      return await policy.execute(fn, { signal });
    }
  };
}

describe('Semaphore', () => {
  it('rejects bad construction arguments, naming them', () => {
    expect(() => new Semaphore(0)).toThrow(/permits must be an integer >= 1, got 0/);
    expect(() => new Semaphore(2, { maxWaiting: -1 })).toThrow(/maxWaiting .* got -1/);
    expect(() => new Semaphore(2, { acquireTimeoutMs: 0 })).toThrow(/acquireTimeoutMs .* got 0/);
    expect(() => new Bulkhead(1.5, 0)).toThrow(/maxConcurrent .* got 1.5/);
    expect(() => new Bulkhead(2, -3)).toThrow(RangeError);
    expect(() => new Semaphore(2, null as never)).toThrow(/options must be an object, got null/);
    expect(() => new Semaphore(2, { clock: {} as never })).toThrow(
      /clock must be an object with now/,
    );
    expect(() => new Semaphore(2, { maxQueue: 1 } as never)).toThrow(
      'unknown option "maxQueue" in new Semaphore(permits, options); use "maxWaiting" instead',
    );
    expect(() => new Semaphore(2, { nam: 'x' } as never)).toThrow(/did you mean "name"\?/);
    expect(() => new Bulkhead(2, 0, { maxWaiting: 1 } as never)).toThrow(
      'unknown option "maxWaiting" in new Bulkhead(maxConcurrent, maxWaiting, options)',
    );
    expect(() => new Bulkhead(2, 0, { acquireTimeoutMs: -1 })).toThrow(
      /acquireTimeoutMs .* got -1/,
    );
  });

  it('close() rejects waiting and new callers, then resolves when the last permit is back', async () => {
    const semaphore = new Semaphore(1, { name: 'jobs' });
    const held = await semaphore.acquire();
    const waiting = semaphore.acquire();
    const closed = semaphore.close();
    expect(semaphore.close()).toBe(closed);
    const refused = await waiting.catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PoolClosedError);
    expect(refused).toMatchObject({ code: 'BULWARK_POOL_CLOSED' });
    expect((refused as Error).message).toBe('semaphore "jobs" is closed: close() was called');
    await expect(semaphore.execute(async () => 1)).rejects.toBeInstanceOf(PoolClosedError);
    expect(semaphore.tryAcquire()).toBeUndefined();
    let done = false;
    void closed.then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    held.release();
    await closed;
    expect(semaphore.stats()).toMatchObject({ name: 'jobs', inUse: 0, waiting: 0 });
    await new Bulkhead(1)[Symbol.asyncDispose]();
  });

  it('lets `permits` holders in, queues the rest first come first served', async () => {
    const semaphore = new Semaphore(2);
    const a = await semaphore.acquire();
    const b = await semaphore.acquire();
    expect(semaphore.tryAcquire()).toBeUndefined();
    const order: string[] = [];
    const c = semaphore.acquire().then((permit) => {
      order.push('c');
      return permit;
    });
    const d = semaphore.acquire({ priority: 1 }).then((permit) => {
      order.push('d');
      return permit;
    });
    await settle();
    expect(semaphore.stats()).toMatchObject({ inUse: 2, waiting: 2, available: 0 });
    a.release();
    b.release();
    await Promise.all([c, d]);
    expect(order).toEqual(['d', 'c']);
    expect(() => a.release()).toThrow(AlreadyReleasedError);
    (await c).release();
    (await d)[Symbol.dispose]();
    expect(semaphore.stats()).toMatchObject({ inUse: 0, available: 2 });
  });

  it('times out and aborts waiters', async () => {
    const clock = new FakeClock();
    const semaphore = new Semaphore(1, { acquireTimeoutMs: 100, clock });
    const held = semaphore.tryAcquire()!;
    const timedOut = track(semaphore.acquire());
    const controller = new AbortController();
    const aborted = track(semaphore.acquire({ signal: controller.signal }));
    controller.abort(new Error('stop'));
    await clock.advanceAsync(100);
    expect(timedOut.error).toBeInstanceOf(PoolTimeoutError);
    expect((aborted.error as Error).message).toBe('stop');
    expect(semaphore.stats()).toMatchObject({ waiting: 0, timeouts: 1 });
    held.release();
    expect(semaphore.stats().inUse).toBe(0);
  });
});

describe('Bulkhead', () => {
  it('runs at most maxConcurrent, queues maxWaiting, rejects the rest at once', async () => {
    const bulkhead = new Bulkhead(1, 1);
    let finish: () => void = () => {};
    const running = bulkhead.execute(
      () =>
        new Promise<string>((resolve) => {
          finish = () => resolve('first');
        }),
    );
    const queued = bulkhead.execute(async () => 'second');
    await expect(bulkhead.execute(async () => 'third')).rejects.toBeInstanceOf(QueueFullError);
    expect(bulkhead.stats()).toMatchObject({ inUse: 1, waiting: 1, rejected: 1 });
    finish();
    expect(await running).toBe('first');
    expect(await queued).toBe('second');
    expect(bulkhead.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('releases the slot when fn throws, and passes the caller signal (or a live one) to fn', async () => {
    const bulkhead = new Bulkhead(1);
    await expect(
      bulkhead.execute(() => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
    const controller = new AbortController();
    const seen = await bulkhead.execute(async ({ signal }) => signal, {
      signal: controller.signal,
    });
    expect(seen).toBe(controller.signal);
    const fallback = await bulkhead.execute(async ({ signal }) => signal);
    expect(fallback).toBeInstanceOf(AbortSignal);
    expect(fallback.aborted).toBe(false);
    expect(bulkhead.stats().inUse).toBe(0);
  });

  it('rejects a queued call whose signal aborts, without running it', async () => {
    const bulkhead = new Bulkhead(1, 5);
    let finish: () => void = () => {};
    const running = bulkhead.execute(() => new Promise<void>((resolve) => (finish = resolve)));
    const controller = new AbortController();
    let ran = false;
    const queued = bulkhead.execute(
      async () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    controller.abort(new Error('client left'));
    await expect(queued).rejects.toThrow('client left');
    finish();
    await running;
    expect(ran).toBe(false);
    expect(bulkhead.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('composes structurally with a retry-style wrapper', async () => {
    const bulkhead = new Bulkhead(2, 10);
    const run = retryTwice(bulkhead);
    let attempts = 0;
    const controller = new AbortController();
    const result = await run(async ({ signal }) => {
      attempts++;
      expect(signal).toBe(controller.signal);
      if (attempts === 1) throw new Error('flaky');
      return 'ok';
    }, controller.signal);
    expect(result).toBe('ok');
    expect(attempts).toBe(2);
  });
});
