// A million distinct keys through one cache: the memory tier never holds more than `max`
// entries. Counted, not timed.
import { FakeClock } from '@bulwark/test-utils';
import { expect, it } from 'vitest';
import { createCache } from '../src/index.js';

it('stays bounded under 1,000,000 distinct keys', async () => {
  const clock = new FakeClock(0);
  const max = 1_000;
  const cache = createCache<number>({ clock, max, ttlMs: 60_000, earlyRefresh: false });
  const loader = () => 1;
  for (let i = 0; i < 1_000_000; i++) {
    // Synchronous set keeps the loop fast; a get every so often goes through the load path.
    if (i % 1_000 === 0) await cache.get(`load:${i}`, loader, { tags: ['loaded'] });
    else void cache.set(`key:${i}`, i, i % 10 === 0 ? { tags: [`t${i % 7}`] } : undefined);
    if (i % 100_000 === 0) expect(cache.stats().size).toBeLessThanOrEqual(max);
  }
  expect(cache.stats().size).toBeLessThanOrEqual(max);
  await cache.deleteByTag('t3');
  await cache.deleteByTag('loaded');
  expect(cache.stats().size).toBeLessThanOrEqual(max);
});
