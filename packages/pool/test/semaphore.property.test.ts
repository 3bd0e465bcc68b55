// Properties of the semaphore and its waiting line: concurrency never exceeds the permits,
// every call settles (run, timed out, aborted or turned away), and callers are served by
// priority, then arrival.
import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { Bulkhead, Semaphore } from '../src/index.js';
import { settle, track } from './helpers.js';

it('never runs more than maxConcurrent and settles every call', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 6 }),
      fc.array(
        fc.record({
          durationMs: fc.integer({ min: 0, max: 50 }),
          abortAfterMs: fc.option(fc.integer({ min: 0, max: 60 })),
          gapMs: fc.integer({ min: 0, max: 10 }),
          fails: fc.boolean(),
        }),
        { maxLength: 30 },
      ),
      async (maxConcurrent, maxWaiting, calls) => {
        const clock = new FakeClock();
        const bulkhead = new Bulkhead(maxConcurrent, maxWaiting, { acquireTimeoutMs: 200, clock });
        let running = 0;
        let peak = 0;
        const states = [];
        for (const call of calls) {
          const controller = new AbortController();
          if (call.abortAfterMs !== null) {
            clock.setTimeout(() => controller.abort(new Error('abort')), call.abortAfterMs);
          }
          const result = bulkhead.execute(
            () =>
              new Promise<void>((resolve, reject) => {
                running++;
                peak = Math.max(peak, running);
                clock.setTimeout(() => {
                  running--;
                  if (call.fails) reject(new Error('failed'));
                  else resolve();
                }, call.durationMs);
              }),
            { signal: controller.signal },
          );
          states.push(track(result));
          await clock.advanceAsync(call.gapMs);
          expect(bulkhead.stats().inUse).toBeLessThanOrEqual(maxConcurrent);
          expect(bulkhead.stats().waiting).toBeLessThanOrEqual(maxWaiting);
        }
        await clock.advanceAsync(1000);
        await settle();
        expect(peak).toBeLessThanOrEqual(maxConcurrent);
        for (const state of states) expect(state.settled).toBe(true);
        expect(bulkhead.stats()).toMatchObject({ inUse: 0, waiting: 0 });
      },
    ),
    { numRuns: 150 },
  );
});

it('serves waiters by priority, then by arrival', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: -2, max: 2 }), { maxLength: 25 }),
      async (prios) => {
        const semaphore = new Semaphore(1);
        const held = semaphore.tryAcquire()!;
        const served: number[] = [];
        const done = prios.map((priority, index) =>
          semaphore.acquire({ priority }).then((permit) => {
            served.push(index);
            permit.release();
          }),
        );
        held.release();
        await Promise.all(done);
        const expected = prios
          .map((priority, index) => ({ priority, index }))
          .sort((a, b) => b.priority - a.priority || a.index - b.index)
          .map((w) => w.index);
        expect(served).toEqual(expected);
      },
    ),
    { numRuns: 200 },
  );
});
