// What both flavours of the gateway build the same way: the outbound dispatcher (retry, timeout and
// a breaker per shard), the product reader in front of the cache, and the gauges the demo samples.
import type { CircuitBreaker } from '@bulwark/circuit-breaker';
import { resilienceInterceptor } from '@bulwark/retry/undici';
import { Agent, type Dispatcher } from 'undici';
import type { Database } from './database.js';
import type { Product } from './gateway.js';
import type { Counters } from './metrics.js';
import { type CacheCounters, cacheCounters, type Gauges, type Scale } from './story.js';

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

/** Undici with retries, a timeout per attempt and the breaker of each shard's origin. */
export function outboundDispatcher(
  breakerFor: (origin: string) => Pick<CircuitBreaker, 'execute'>,
  scale: Scale,
  counters: Counters,
): Dispatcher {
  const policy = outboundPolicy(scale);
  return new Agent({ connections: 32 }).compose(
    resilienceInterceptor({
      breaker: breakerFor,
      timeoutMs: policy.attemptTimeoutMs,
      retry: { ...policy.retry, onRetry: () => void counters.upstreamRetries++ },
    }),
  );
}

/** What the product reader needs of a cache (memory or two tiers). */
interface ProductCache {
  get(
    key: string,
    loader: (context: { signal: AbortSignal }) => Promise<Product>,
  ): Promise<Product>;
  peek(key: string): Product | undefined;
  stats(): CacheCounters;
}

/** Reads products through `cache`, counting the database loads the flash-sale crowd caused. */
export function productReader(cache: ProductCache) {
  let flashSaleLoads = 0;
  return {
    read: (id: number, load: (signal: AbortSignal) => Promise<Product>): Promise<Product> =>
      cache.get(`product:${id}`, ({ signal }) => {
        // A load while a fresh value is still there is an XFetch early refresh, not a miss.
        if (id === FLASH_SALE_ID && cache.peek(`product:${id}`) === undefined) flashSaleLoads++;
        return load(signal);
      }),
    /** The gauges the demo samples, from this process's parts. */
    gauges: (db: Database, breakers: ReadonlyMap<string, { state: string }>): Gauges => {
      const pool = db.pool.stats();
      return {
        poolBorrowed: pool.borrowed,
        poolWaiting: pool.waiting,
        breakerStates: Object.fromEntries(
          [...breakers].map(([origin, breaker]) => [origin, breaker.state]),
        ),
        flashSaleLoads,
        cache: cacheCounters(cache.stats()),
      };
    },
  };
}
