import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { FakeClock, flushMicrotasks } from '@bulwark/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fixedWindow,
  isBulwarkError,
  LeakyBucketShaper,
  leakyBucket,
  QueueFullError,
  ShaperClosedError,
} from '../src/index.js';

/** Schedules and records the fake time at which each request is released (or its error). */
function track(clock: FakeClock, p: Promise<void>, log: (number | string)[], i: number) {
  p.then(
    () => {
      log[i] = clock.now();
    },
    (e: Error) => {
      log[i] = e.name;
    },
  );
}

describe('LeakyBucketShaper', () => {
  it('releases the first request at once and the rest at the steady outflow', async () => {
    const clock = new FakeClock(1000);
    const shaper = new LeakyBucketShaper(leakyBucket({ capacity: 5, leakPerSecond: 4 }), { clock });
    const log: (number | string)[] = [];
    for (let i = 0; i < 4; i++) track(clock, shaper.schedule('k'), log, i);
    await flushMicrotasks();
    expect(log).toEqual([1000]);
    expect(shaper.stats()).toMatchObject({ waiting: 3, waitingUnits: 3, released: 1 });
    await clock.advanceAsync(1000);
    expect(log).toEqual([1000, 1250, 1500, 1750]);
    expect(shaper.stats()).toMatchObject({ waiting: 0, waitingUnits: 0, released: 4 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps keys independent', async () => {
    const clock = new FakeClock(0);
    const shaper = new LeakyBucketShaper(leakyBucket({ capacity: 5, leakPerSecond: 10 }), {
      clock,
    });
    const log: (number | string)[] = [];
    track(clock, shaper.schedule('a'), log, 0);
    track(clock, shaper.schedule('a'), log, 1);
    track(clock, shaper.schedule('b'), log, 2);
    await clock.advanceAsync(500);
    expect(log).toEqual([0, 100, 0]);
  });

  it('gives a request of cost n the outflow for n units', async () => {
    const clock = new FakeClock(0);
    const shaper = new LeakyBucketShaper(leakyBucket({ capacity: 10, leakPerSecond: 10 }), {
      clock,
    });
    const log: (number | string)[] = [];
    track(clock, shaper.schedule('k', { cost: 3 }), log, 0);
    track(clock, shaper.schedule('k', { cost: 2 }), log, 1);
    track(clock, shaper.schedule('k'), log, 2);
    await clock.advanceAsync(1000);
    expect(log).toEqual([0, 300, 500]);
  });

  it('rejects past maxWaiting with QueueFullError, without queueing it', async () => {
    const clock = new FakeClock(0);
    const shaper = new LeakyBucketShaper(leakyBucket({ capacity: 2, leakPerSecond: 1 }), {
      clock,
      name: 'upload',
    });
    const events: unknown[] = [];
    const onFull = (m: unknown) => events.push(m);
    subscribe('bulwark:rate-limiter:queue-full', onFull);
    const log: (number | string)[] = [];
    try {
      track(clock, shaper.schedule('k'), log, 0); // released now
      track(clock, shaper.schedule('k'), log, 1); // waits
      track(clock, shaper.schedule('k'), log, 2); // waits (2 of 2)
      const rejected = shaper.schedule('k');
      await expect(rejected).rejects.toBeInstanceOf(QueueFullError);
      await expect(rejected).rejects.toMatchObject({
        name: 'QueueFullError',
        code: 'BULWARK_QUEUE_FULL',
        maxWaiting: 2,
      });
      await expect(rejected).rejects.toSatisfy((e) => isBulwarkError(e, 'BULWARK_QUEUE_FULL'));
    } finally {
      unsubscribe('bulwark:rate-limiter:queue-full', onFull);
    }
    expect(events).toEqual([{ name: 'upload', key: 'k', cost: 1, waiting: 2 }]);
    await clock.advanceAsync(2000);
    expect(log).toEqual([0, 1000, 2000]);
    expect(shaper.stats()).toMatchObject({ rejected: 1, released: 3 });
  });

  it('honours maxWaiting over capacity', async () => {
    const clock = new FakeClock(0);
    const shaper = new LeakyBucketShaper(leakyBucket({ capacity: 100, leakPerSecond: 1 }), {
      clock,
      maxWaiting: 1,
    });
    void shaper.schedule('k');
    const waiting = shaper.schedule('k');
    await expect(shaper.schedule('k')).rejects.toThrow(QueueFullError);
    shaper.close();
    await expect(waiting).rejects.toThrow('closed');
  });

  it('removes an aborted request and moves the ones behind it up', async () => {
    const clock = new FakeClock(0);
    const shaper = new LeakyBucketShaper(leakyBucket({ capacity: 5, leakPerSecond: 10 }), {
      clock,
    });
    const ac = new AbortController();
    const log: (number | string)[] = [];
    track(clock, shaper.schedule('k'), log, 0);
    track(clock, shaper.schedule('k', { signal: ac.signal }), log, 1);
    track(clock, shaper.schedule('k'), log, 2);
    await clock.advanceAsync(50);
    ac.abort();
    await clock.advanceAsync(500);
    expect(log).toEqual([0, 'AbortError', 100]);
    expect(shaper.stats()).toMatchObject({ aborted: 1, released: 2, waiting: 0 });
  });

  it('rejects at once with the reason of an already aborted signal', async () => {
    const shaper = new LeakyBucketShaper(leakyBucket({ capacity: 5, leakPerSecond: 10 }), {
      clock: new FakeClock(0),
    });
    const reason = new Error('gone');
    await expect(shaper.schedule('k', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('clears its timer when the last waiter aborts, and frees the slot', async () => {
    const clock = new FakeClock(0);
    const shaper = new LeakyBucketShaper(leakyBucket({ capacity: 5, leakPerSecond: 1 }), { clock });
    void shaper.schedule('k');
    const ac = new AbortController();
    const p = shaper.schedule('k', { signal: ac.signal });
    expect(clock.pendingTimers).toBe(1);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('close() rejects every waiter and clears every timer', async () => {
    const clock = new FakeClock(0);
    const shaper = new LeakyBucketShaper(leakyBucket({ capacity: 5, leakPerSecond: 1 }), { clock });
    void shaper.schedule('a');
    const p = shaper.schedule('a');
    void shaper.schedule('b');
    const q = shaper.schedule('b', { signal: new AbortController().signal });
    shaper[Symbol.dispose]();
    await expect(p).rejects.toThrow('shaper "default" closed');
    await expect(q).rejects.toThrow('closed');
    expect(clock.pendingTimers).toBe(0);
    expect(shaper.stats()).toMatchObject({ keys: 0, waiting: 0, aborted: 2 });
  });

  it('after close(), schedule rejects with ShaperClosedError and schedules nothing', async () => {
    const clock = new FakeClock(0);
    const shaper = new LeakyBucketShaper(leakyBucket({ capacity: 5, leakPerSecond: 1 }), {
      clock,
      name: 'jobs',
    });
    await shaper.schedule('a');
    shaper.close();
    for (const key of ['a', 'fresh']) {
      const error = await shaper.schedule(key).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ShaperClosedError);
      expect(error).toMatchObject({ name: 'ShaperClosedError', shaper: 'jobs' });
      expect((error as Error).message).toBe('shaper "jobs" closed');
    }
    expect(clock.pendingTimers).toBe(0);
    expect(shaper.stats()).toMatchObject({ keys: 0, waiting: 0, released: 1 });
    shaper.close(); // twice is harmless
  });

  it('property: releases of one key are spaced by their costs, never more than maxWaiting wait', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(
          fc.record({
            dt: fc.integer({ min: 0, max: 400 }),
            cost: fc.integer({ min: 1, max: 6 }),
            abort: fc.boolean(),
          }),
          { maxLength: 25, size: 'max' },
        ),
        async (rate, capacity, reqs) => {
          const clock = new FakeClock(0);
          const shaper = new LeakyBucketShaper(leakyBucket({ capacity, leakPerSecond: rate }), {
            clock,
          });
          const msPerUnit = 1000 / rate;
          const released: { at: number; cost: number }[] = [];
          let rejected = 0;
          const controllers: AbortController[] = [];
          for (const { dt, cost, abort } of reqs) {
            await clock.advanceAsync(dt);
            const c = Math.min(cost, capacity);
            const ac = new AbortController();
            if (abort) controllers.push(ac);
            shaper.schedule('k', { cost: c, signal: ac.signal }).then(
              () => released.push({ at: clock.now(), cost: c }),
              (e: Error) => {
                if (e instanceof QueueFullError) rejected++;
              },
            );
            expect(shaper.stats().waitingUnits).toBeLessThanOrEqual(capacity);
            if (controllers.length > 0 && dt % 3 === 0) controllers.shift()!.abort();
          }
          while (await clock.runNext()) {}
          await flushMicrotasks();
          for (let i = 1; i < released.length; i++) {
            const gap = released[i]!.at - released[i - 1]!.at;
            // Slots are fractional ms; timers fire on the next whole ms.
            expect(gap).toBeGreaterThanOrEqual(released[i - 1]!.cost * msPerUnit - 1);
          }
          const s = shaper.stats();
          expect(s.released + s.rejected + s.aborted).toBe(reqs.length);
          expect(s.rejected).toBe(rejected);
          expect(s.waiting).toBe(0);
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('never drifts: n back-to-back units take (n - 1) x 1000 / rate ms, rounded up', async () => {
    const clock = new FakeClock(0);
    const shaper = new LeakyBucketShaper(leakyBucket({ capacity: 1000, leakPerSecond: 3 }), {
      clock,
    });
    const times: number[] = [];
    for (let i = 0; i < 300; i++) shaper.schedule('k').then(() => times.push(clock.now()));
    while (await clock.runNext()) {}
    await flushMicrotasks();
    expect(times).toHaveLength(300);
    expect(times.at(-1)).toBe(Math.ceil((299 * 1000) / 3));
  });

  it('rejects bad input, naming it', () => {
    const spec = leakyBucket({ capacity: 3, leakPerSecond: 1 });
    expect(() => new LeakyBucketShaper(fixedWindow({ limit: 1, windowMs: 1 }) as never)).toThrow(
      'spec must be a leakyBucket(...) spec, got "fixed-window"',
    );
    expect(() => new LeakyBucketShaper(undefined as never)).toThrow(TypeError);
    expect(
      () => new LeakyBucketShaper({ kind: 'leaky-bucket', capacity: 1, leakPerSecond: 0 }),
    ).toThrow('leakPerSecond must be a finite number > 0, got 0');
    expect(() => new LeakyBucketShaper(spec, { maxWaiting: 0 })).toThrow(
      'maxWaiting must be an integer >= 1, got 0',
    );
    expect(() => new LeakyBucketShaper(spec, { maxWaiting: 'x' as never })).toThrow(TypeError);
    expect(() => new LeakyBucketShaper(spec, { clock: { now: () => 0 } as never })).toThrow(
      'clock must be an object with now(), setTimeout() and clearTimeout(), got {}',
    );
    expect(() => new LeakyBucketShaper(spec, { clock: 5 as never })).toThrow(TypeError);
    expect(() => new LeakyBucketShaper(spec, { name: '' })).toThrow(
      'name must be a non-empty string',
    );
    expect(() => new LeakyBucketShaper(spec, 'x' as never)).toThrow('options must be an object');
    const shaper = new LeakyBucketShaper(spec, { clock: new FakeClock(0) });
    expect(() => shaper.schedule('')).toThrow('key must be a non-empty string');
    expect(() => shaper.schedule('k', { cost: 4 })).toThrow(
      'cost must be an integer between 1 and 3 (maxWaiting), got 4',
    );
    expect(() => shaper.schedule('k', { cost: 0 })).toThrow(RangeError);
    expect(() => shaper.schedule('k', { cost: '1' as never })).toThrow(TypeError);
    expect(() => shaper.schedule('k', { signal: {} as never })).toThrow(
      'signal must be an AbortSignal',
    );
    expect(() => shaper.schedule('k', null as never)).toThrow(
      new TypeError('schedule options must be an object, got null'),
    );
  });

  it('defaults to the real clock (no timer needed for a free slot)', async () => {
    const shaper = new LeakyBucketShaper(leakyBucket({ capacity: 2, leakPerSecond: 1 }));
    await shaper.schedule('k');
    const waiting = shaper.schedule('k');
    expect(shaper.stats()).toMatchObject({ released: 1, waiting: 1 });
    shaper.close();
    await expect(waiting).rejects.toThrow('closed');
  });
});
