// One gateway process of the Redis flavour. The parent (deploy-redis.ts) starts three; each builds
// its parts on the one Redis, so they share rate limits, the cache's second tier and its
// load-once lease, idempotency records and breaker state. It reports its URL over IPC and its
// counters on `GET /_stats`, and stops on a `stop` message.

import { createRedisCache } from '@bulwark/cache/redis';
import { breakerPerKey } from '@bulwark/circuit-breaker';
import { RedisCircuitBreaker } from '@bulwark/circuit-breaker/redis';
import { HashRing } from '@bulwark/consistent-hash';
import { withIdempotency } from '@bulwark/idempotency/http';
import { RedisIdempotencyStore } from '@bulwark/idempotency/redis';
import { tokenBucket } from '@bulwark/rate-limiter';
import { RedisRateLimiter } from '@bulwark/rate-limiter/redis';
import { Redis } from 'ioredis';
import { openDatabase } from './database.js';
import { type Product, startGateway } from './gateway.js';
import { newCounters } from './metrics.js';
import { outboundDispatcher, outboundPolicy, PER_CLIENT, productReader } from './shared-parts.js';
import type { Scale } from './story.js';

const { redisUrl, origins, scale, prefix } = JSON.parse(process.env.BULWARK_GATEWAY ?? '{}') as {
  redisUrl: string;
  origins: string[];
  scale: Scale;
  prefix: string;
};
const send = (message: unknown) => process.send?.(message);

const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
await redis.connect();
const counters = newCounters();
const db = openDatabase(scale.dbLatencyMs, 4);
const ring = new HashRing<string>();
for (const origin of origins) ring.add(origin);

const breakerFor = breakerPerKey<RedisCircuitBreaker>(
  (origin) =>
    new RedisCircuitBreaker({
      ...outboundPolicy(scale).breaker,
      redis,
      prefix: `${prefix}breaker:`,
      name: origin,
      syncIntervalMs: Math.max(50, scale.openMs / 3),
      onStateChange: (change) => send({ type: 'breaker', origin, to: change.to }),
    }),
);
const upstream = outboundDispatcher(breakerFor, scale, counters);
const cache = createRedisCache<Product>({
  name: 'products',
  redis,
  prefix: `${prefix}cache:`,
  ttlMs: scale.productTtlMs,
  max: 1000,
});
const products = productReader(cache);
const limiter = new RedisRateLimiter(tokenBucket(PER_CLIENT), { redis, prefix: `${prefix}limit:` });
const store = new RedisIdempotencyStore({ redis, prefix: `${prefix}idem:` });

const gateway = await startGateway(
  {
    limiter,
    readProduct: products.read,
    idempotent: (handler) => withIdempotency(handler, { store }),
    upstream,
    ring,
    db,
    // What the parent process samples: this process's counters and gauges.
    stats: () => ({ counters, gauges: products.gauges(db, breakerFor.breakers) }),
  },
  counters,
);
send({ type: 'ready', url: gateway.url });

process.on('message', async (message: { type?: string }) => {
  if (message?.type !== 'stop') return;
  await gateway.close();
  await upstream.close();
  for (const breaker of breakerFor.breakers.values()) await breaker.close();
  await cache.close();
  await db.pool.close();
  redis.disconnect();
  process.exit(0);
});
