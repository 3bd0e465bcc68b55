// The embedded flavour: one gateway process, every primitive in memory. No server needed.
import { createCache } from '@bulwark/cache';
import { breakerPerKey, CircuitBreaker } from '@bulwark/circuit-breaker';
import { HashRing } from '@bulwark/consistent-hash';
import { MemoryIdempotencyStore } from '@bulwark/idempotency';
import { withIdempotency } from '@bulwark/idempotency/http';
import { MemoryRateLimiter, tokenBucket } from '@bulwark/rate-limiter';
import { openDatabase } from './database.js';
import { type Product, startGateway } from './gateway.js';
import { newCounters } from './metrics.js';
import {
  FLASH_SALE_ID,
  outboundDispatcher,
  outboundPolicy,
  PER_CLIENT,
  productReader,
} from './shared-parts.js';
import type { Deploy } from './story.js';

/** Starts one in-memory gateway. */
export const deployInMemory: Deploy = async (origins, scale, onBreaker) => {
  const counters = newCounters();
  const db = openDatabase(scale.dbLatencyMs, 4);
  const ring = new HashRing<string>();
  for (const origin of origins) ring.add(origin);

  const breakerFor = breakerPerKey(
    (origin) =>
      new CircuitBreaker({
        ...outboundPolicy(scale).breaker,
        name: origin,
        onStateChange: (change) => onBreaker(origin, change.to),
      }),
  );
  const upstream = outboundDispatcher(breakerFor, scale, counters);
  // XFetch (on by default) refreshes a hot product shortly before it expires, so steady traffic
  // never meets a miss; single-flight makes a crowd on a cold or expired key one load.
  const cache = createCache<Product>({ name: 'products', ttlMs: scale.productTtlMs, max: 1000 });
  const products = productReader(cache);
  const store = new MemoryIdempotencyStore();

  const gateway = await startGateway(
    {
      limiter: new MemoryRateLimiter(tokenBucket(PER_CLIENT)),
      readProduct: products.read,
      idempotent: (handler) => withIdempotency(handler, { store }),
      upstream,
      ring,
      db,
    },
    counters,
  );
  return {
    urls: [gateway.url],
    pids: [],
    productTtlMs: scale.productTtlMs,
    flashSaleId: FLASH_SALE_ID,
    counters: async () => counters,
    gauges: async () => products.gauges(db, breakerFor.breakers),
    close: async () => {
      await gateway.close();
      await upstream.close();
      await cache.close();
      await db.pool.close();
    },
  };
};
