// The API the demo puts under load: `GET /product/<id>` answers a product's price (from a pooled
// database connection) and stock (from the inventory shard that owns the id). Each Bulwark
// package does one job here:
//
//   rate-limiter     a token bucket per client in front of everything (429 + RateLimit headers)
//   lru-lfu          a W-TinyLFU cache of stock answers, so hot products skip the network
//   consistent-hash  which of the inventory shards owns a product id
//   retry            an undici interceptor: retries, a timeout per attempt, a breaker per origin
//   circuit-breaker  the breaker per origin: a shard that is down is not called for a while
//   pool             a pool of (simulated) database connections, with leak detection
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { breakerPerKey, CircuitBreaker } from '@bulwark/circuit-breaker';
import { HashRing } from '@bulwark/consistent-hash';
import { WTinyLFUCache } from '@bulwark/lru-lfu';
import { createPool, type Pool } from '@bulwark/pool';
import { MemoryRateLimiter, tokenBucket } from '@bulwark/rate-limiter';
import { withRateLimit } from '@bulwark/rate-limiter/http';
import type { BackoffOptions } from '@bulwark/retry';
import { resilienceInterceptor } from '@bulwark/retry/undici';
import { Agent, type Dispatcher, request } from 'undici';

/** How the API is set up; the defaults suit a demo run by hand. */
export interface ProductApiOptions {
  /** Origins of the inventory shards. */
  shards: readonly string[];
  /** Requests a client may burst, and its refill per second. */
  perClient?: { capacity: number; refillPerSecond: number };
  /** How long a shard that failed stays cut off before a probe (doubling on each reopen). Default 200 ms. */
  openMs?: number;
  /** Backoff between attempts. Default full jitter from 20 ms, at most 200 ms. */
  backoff?: BackoffOptions;
}

/** A simulated database connection: `price(id)` is a query. */
interface DbConnection {
  readonly id: number;
  price(productId: number): number;
}

/** The running API and what its parts counted. */
export interface ProductApi {
  readonly url: string;
  readonly breakers: ReadonlyMap<string, CircuitBreaker>;
  readonly cache: WTinyLFUCache<number, number>;
  readonly pool: Pool<DbConnection>;
  readonly limiter: MemoryRateLimiter;
  /** Retries the interceptor made. */
  retries: number;
  /** Times a breaker opened. */
  opens: number;
  close(): Promise<void>;
}

/** Starts the API on a free loopback port. */
export async function startProductApi(options: ProductApiOptions): Promise<ProductApi> {
  const ring = new HashRing<string>();
  for (const origin of options.shards) ring.add(origin);

  const api = { retries: 0, opens: 0 } as ProductApi;
  const breakerFor = breakerPerKey(
    (origin) =>
      new CircuitBreaker({
        name: origin,
        window: { calls: 20 },
        minimumCalls: 5,
        failureRateThreshold: 0.5,
        // Each reopen doubles the wait, up to 4 s, so a shard that stays down is probed less.
        openMs: options.openMs ?? 200,
        openMsMultiplier: 2,
        maxOpenMs: Math.max(4000, options.openMs ?? 200),
        halfOpenMaxCalls: 1,
        onStateChange: (change) => {
          if (change.to === 'open') api.opens++;
        },
      }),
  );
  const inventory: Dispatcher = new Agent({ connections: 16 }).compose(
    resilienceInterceptor({
      breaker: breakerFor,
      timeoutMs: 1000,
      retry: {
        attempts: 3,
        // An open breaker says how long it stays open; rather than wait that out, answer 503 now.
        maxRetryAfterMs: 100,
        backoff: options.backoff ?? { strategy: 'full-jitter', baseMs: 20, maxDelayMs: 200 },
        onRetry: () => {
          api.retries++;
        },
      },
    }),
  );

  let connections = 0;
  const pool = createPool<DbConnection>({
    create: () => ({ id: ++connections, price: (productId) => 100 + (productId % 50) }),
    destroy: () => {},
    max: 4,
    acquireTimeoutMs: 1000,
    leakDetectionMs: 5000,
  });
  const cache = new WTinyLFUCache<number, number>({ capacity: 50, ttlMs: 2000 });
  const perClient = options.perClient ?? { capacity: 40, refillPerSecond: 20 };
  const limiter = new MemoryRateLimiter(tokenBucket(perClient));

  async function stockOf(id: number): Promise<number> {
    const cached = cache.get(id);
    if (cached !== undefined) return cached;
    const { statusCode, body } = await request(`${ring.get(String(id))}/stock/${id}`, {
      dispatcher: inventory,
    });
    if (statusCode !== 200) {
      await body.dump();
      throw new Error(`inventory answered ${statusCode}`);
    }
    const { stock } = (await body.json()) as { stock: number };
    cache.set(id, stock);
    return stock;
  }

  async function product(id: number): Promise<{ id: number; price: number; stock: number }> {
    const [price, stock] = await Promise.all([pool.use((db) => db.price(id)), stockOf(id)]);
    return { id, price, stock };
  }

  const server: Server = createServer(
    withRateLimit(
      (req, res) => {
        const match = /^\/product\/(\d+)$/.exec(req.url ?? '');
        if (!match) {
          res.writeHead(404).end();
          return;
        }
        product(Number(match[1])).then(
          (body) =>
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
          // An open breaker or a shard that stayed down: tell the client to come back later.
          () => res.writeHead(503, { 'retry-after': '1' }).end(),
        );
      },
      { limiter, key: (req) => String(req.headers['x-client'] ?? req.socket.remoteAddress) },
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(api, {
    url: `http://127.0.0.1:${port}`,
    breakers: breakerFor.breakers,
    cache,
    pool,
    limiter,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await inventory.close();
      await pool.close();
    },
  });
}
