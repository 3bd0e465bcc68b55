// The embedded flavour: one gateway process, every primitive in memory. No server needed.

import { createCache } from '@bulwark/cache';
import { breakerPerKey, CircuitBreaker } from '@bulwark/circuit-breaker';
import { HashRing } from '@bulwark/consistent-hash';
import { MemoryIdempotencyStore } from '@bulwark/idempotency';
import { withIdempotency } from '@bulwark/idempotency/http';
import { MemoryRateLimiter, tokenBucket } from '@bulwark/rate-limiter';
import { resilienceInterceptor } from '@bulwark/retry/undici';
import { Agent } from 'undici';
import { openDatabase } from './database.js';
import { type Product, startGateway } from './gateway.js';
import { newCounters } from './metrics.js';
import { cacheCounters, type Deploy, type Scale } from './story.js';

/** The product only the flash-sale crowd asks for. */
export const FLASH_SALE_ID = 999;

/** The rate limit per client: bursts of 40, 20 a second after that. */
export const PER_CLIENT = { capacity: 40, refillPerSecond: 20 };

/** Breaker and retry settings of the outbound calls, scaled to the run. */
export function outboundPolicy(scale: Scale) {
  return {
    breaker: {
      window: { calls: 20 },
      minimumCalls: 5,
      failureRateThreshold: 0.5,
      openMs: scale.openMs,
      halfOpenMaxCalls: 1,
    },
    attemptTimeoutMs: scale.attemptTimeoutMs,
    retry: {
      attempts: 2,
      // An open breaker says how long it stays open; rather than wait that out, answer 503 now.
      maxRetryAfterMs: 50,
      backoff: { strategy: 'full-jitter' as const, baseMs: 10, maxDelayMs: 50 },
    },
  };
}

/** Starts one in-memory gateway. */
export const deployInMemory: Deploy = async (origins, scale, onBreaker) => {
  const counters = newCounters();
  const db = openDatabase(scale.dbLatencyMs, 4);
  const ring = new HashRing<string>();
  for (const origin of origins) ring.add(origin);

  const policy = outboundPolicy(scale);
  const breakerFor = breakerPerKey(
    (origin) =>
      new CircuitBreaker({
        ...policy.breaker,
        name: origin,
        onStateChange: (change) => onBreaker(origin, change.to),
      }),
  );
  const upstream = new Agent({ connections: 32 }).compose(
    resilienceInterceptor({
      breaker: breakerFor,
      timeoutMs: policy.attemptTimeoutMs,
      retry: { ...policy.retry, onRetry: () => void counters.upstreamRetries++ },
    }),
  );
  // XFetch (on by default) refreshes a hot product shortly before it expires, so steady traffic
  // never meets a miss; single-flight makes a crowd on a cold or expired key one load.
  const cache = createCache<Product>({ name: 'products', ttlMs: scale.productTtlMs, max: 1000 });
  const limiter = new MemoryRateLimiter(tokenBucket(PER_CLIENT));
  const store = new MemoryIdempotencyStore();
  let flashSaleLoads = 0;

  const gateway = await startGateway(
    {
      limiter,
      readProduct: (id, load) =>
        cache.get(`product:${id}`, ({ signal }) => {
          // A load while a fresh value is still there is an XFetch early refresh, not a miss.
          if (id === FLASH_SALE_ID && cache.peek(`product:${id}`) === undefined) flashSaleLoads++;
          return load(signal);
        }),
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
    gauges: async () => {
      const pool = db.pool.stats();
      return {
        poolBorrowed: pool.borrowed,
        poolWaiting: pool.waiting,
        breakerStates: Object.fromEntries(
          [...breakerFor.breakers].map(([origin, breaker]) => [origin, breaker.state]),
        ),
        flashSaleLoads,
        cache: cacheCounters(cache.stats()),
      };
    },
    close: async () => {
      await gateway.close();
      await upstream.close();
      await cache.close();
      await db.pool.close();
    },
  };
};
