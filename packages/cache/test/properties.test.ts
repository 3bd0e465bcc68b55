// Property tests: fast-check's scheduler picks the order in which concurrent gets start, callers
// abort, loaders settle and the clock moves, and the cache's promises must hold for every order.
import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCache, type LoaderContext } from '../src/index.js';

const TTL = 1_000;
const RUNS = { numRuns: 150 };

describe('properties', () => {
  it('any interleaving of concurrent gets over several expiries runs the loader once per expiry', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        // For each get: how many TTLs have passed when it starts (the clock only moves forward).
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 20 }),
        async (s, epochs) => {
          const clock = new FakeClock(0);
          const cache = createCache<string>({ clock, ttlMs: TTL, earlyRefresh: false });
          const calls: number[] = [];
          const loader = () => {
            const epoch = Math.floor(clock.now() / TTL);
            calls.push(epoch);
            return s.schedule(Promise.resolve(`epoch-${epoch}`), `load in epoch ${epoch}`);
          };
          const sorted = [...epochs].sort((a, b) => a - b);
          const results: Promise<string>[] = [];
          // Gets of one epoch start in an order the scheduler picks, loads settle whenever.
          for (const epoch of [...new Set(sorted)]) {
            const target = epoch * TTL;
            if (clock.now() < target) clock.advance(target - clock.now());
            const starts = sorted
              .filter((e) => e === epoch)
              .map(() =>
                s
                  .schedule(Promise.resolve(), `get in epoch ${epoch}`)
                  .then(() => cache.get('k', loader)),
              );
            await s.waitAll();
            results.push(...starts.map((p) => p.then(async (inner) => inner)));
          }
          await s.waitAll();
          const values = await Promise.all(results);
          // Each epoch with gets loaded once, and each get saw a value of its own epoch.
          expect(calls).toEqual([...new Set(sorted)]);
          expect(values).toEqual(sorted.map((e) => `epoch-${e}`));
        },
      ),
      RUNS,
    );
  });

  it('with stale-while-revalidate, the old value is served while exactly one refresh runs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 1, max: 15 }), async (s, n) => {
        const clock = new FakeClock(0);
        const cache = createCache<string>({
          clock,
          ttlMs: TTL,
          staleWhileRevalidateMs: 10 * TTL,
          earlyRefresh: false,
        });
        await cache.set('k', 'old');
        clock.advance(TTL);
        let refreshes = 0;
        let refreshed = false;
        const loader = () => {
          refreshes++;
          return s.schedule(Promise.resolve('new'), 'refresh settles').then((v) => {
            refreshed = true;
            return v;
          });
        };
        const seen: { value: string; afterRefresh: boolean }[] = [];
        const gets = Array.from({ length: n }, (_, i) =>
          s.schedule(Promise.resolve(), `get ${i}`).then(() => {
            const afterRefresh = refreshed;
            return cache.get('k', loader).then((value) => seen.push({ value, afterRefresh }));
          }),
        );
        await s.waitAll();
        await Promise.all(gets);
        expect(refreshes).toBe(1);
        for (const { value, afterRefresh } of seen)
          expect(value).toBe(afterRefresh ? 'new' : 'old');
        await cache.close();
      }),
      RUNS,
    );
  });

  it('stale-if-error serves stale when the loader throws, and the error when nothing stale exists', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 10 }),
        fc.boolean(),
        async (s, n, hasStale) => {
          const clock = new FakeClock(0);
          const cache = createCache<string>({
            clock,
            ttlMs: TTL,
            staleIfErrorMs: 10 * TTL,
            earlyRefresh: false,
          });
          if (hasStale) {
            await cache.set('k', 'stale');
            clock.advance(TTL);
          }
          let calls = 0;
          const loader = () => {
            calls++;
            return s.schedule(Promise.reject(new Error('db down')), 'load fails');
          };
          const outcomes = Array.from({ length: n }, (_, i) =>
            s
              .schedule(Promise.resolve(), `get ${i}`)
              .then(() => cache.get('k', loader))
              .then(
                (value) => value,
                (error: Error) => error.message,
              ),
          );
          await s.waitAll();
          const results = await Promise.all(outcomes);
          expect(results).toEqual(Array(n).fill(hasStale ? 'stale' : 'db down'));
          // The gets that came after a failed load load again: never more loads than gets.
          expect(calls).toBeGreaterThanOrEqual(1);
          expect(calls).toBeLessThanOrEqual(n);
        },
      ),
      RUNS,
    );
  });

  it('callers aborting, the first among them, never abort the load for the others', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 10 }),
        async (s, aborts) => {
          const clock = new FakeClock(0);
          const cache = createCache<string>({ clock, ttlMs: TTL, earlyRefresh: false });
          let loads = 0;
          let loadSignal: AbortSignal | undefined;
          const loader = (context: LoaderContext<string>) => {
            loads++;
            loadSignal = context.signal;
            return s.schedule(Promise.resolve('value'), 'load settles');
          };
          const controllers = aborts.map(() => new AbortController());
          const outcomes = aborts.map((_, i) =>
            cache.get('k', loader, { signal: controllers[i]!.signal }).then(
              (value) => value,
              (reason: unknown) => (reason === 'left' ? 'left' : 'error'),
            ),
          );
          for (const [i, aborting] of aborts.entries())
            if (aborting)
              s.schedule(Promise.resolve(), `abort ${i}`).then(() => controllers[i]!.abort('left'));
          await s.waitAll();
          const results = await Promise.all(outcomes);
          expect(loads).toBe(1);
          for (const [i, aborting] of aborts.entries())
            expect(results[i]).toBe(aborting ? results[i] : 'value');
          if (aborts.includes(false)) expect(loadSignal?.aborted).toBe(false);
          if (loadSignal?.aborted) expect(results.every((r) => r === 'left')).toBe(true);
        },
      ),
      RUNS,
    );
  });
});
