// The demo: three inventory shards, the product API in front of them, and clients sending a
// bounded number of requests. A third of the way in one shard goes down; two thirds in it comes
// back. The summary shows what each part did: the limiter refused the greedy client, the cache
// absorbed hot products, the breaker cut the dead shard off (its products got a fast 503 while
// the others were served) and let it back in after it recovered.
import { seededRandom } from '@bulwark/test-utils/random';
import { Agent, request } from 'undici';
import { startInventoryShard } from './inventory-service.js';
import { type ProductApiOptions, startProductApi } from './product-api.js';

/** What one run sends. */
export interface DemoOptions
  extends Partial<Pick<ProductApiOptions, 'perClient' | 'openMs' | 'backoff'>> {
  /** Requests in all. Default 1500. */
  requests?: number;
  /** Clients sending them: client 0 (greedy) every fourth request, the others the rest in turn. Default 10. */
  clients?: number;
  /** Product ids 1..products, hot ones far more often. Default 200. */
  products?: number;
  /** Seed of the request stream. */
  seed?: number;
  /** Pause between batches of 8 requests, so the run lasts long enough to see breakers probe
   * and recover. Default 15 ms (about 3 s in all); tests pass 0. */
  paceMs?: number;
}

/** What one run saw. */
export interface DemoSummary {
  statuses: Record<number, number>;
  /** Requests that reached each shard, and how many during its outage. */
  shards: { name: string; origin: string; requests: number; duringOutage: number }[];
  breakerStates: Record<string, string>;
  breakerOpens: number;
  retries: number;
  cacheHitRatio: number;
  pool: { created: number; leaks: number; timeouts: number };
}

/** Runs the demo to the end and returns its summary; everything it started is stopped. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const total = options.requests ?? 1500;
  const clients = options.clients ?? 10;
  const products = options.products ?? 200;
  const random = seededRandom(options.seed ?? 42);
  const paceMs = options.paceMs ?? 15;
  const shards = await Promise.all(['a', 'b', 'c'].map((name) => startInventoryShard(name)));
  const api = await startProductApi({ ...options, shards: shards.map((s) => s.origin) });
  const agent = new Agent({ connections: 8 });
  const failing = shards[1]!;
  const statuses: Record<number, number> = {};
  try {
    for (let i = 0; i < total; i += 8) {
      failing.down = i >= total / 3 && i < (2 * total) / 3;
      // Eight requests in flight at a time; ids skewed towards the low (hot) ones.
      const batch = [];
      for (let j = i; j < Math.min(i + 8, total); j++) {
        const client = j % 4 === 0 ? 0 : 1 + (j % (clients - 1));
        const id = 1 + Math.floor(products * random() ** 3);
        batch.push(
          request(`${api.url}/product/${id}`, {
            dispatcher: agent,
            headers: { 'x-client': `client-${client}` },
          }).then(async ({ statusCode, body }) => {
            await body.dump();
            statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
          }),
        );
      }
      await Promise.all(batch);
      if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
    }
    const cache = api.cache.stats();
    const pool = api.pool.stats();
    return {
      statuses,
      shards: shards.map((s) => ({
        name: s.name,
        origin: s.origin,
        requests: s.requests,
        duringOutage: s.requestsWhileDown,
      })),
      breakerStates: Object.fromEntries(
        [...api.breakers].map(([origin, breaker]) => [origin, breaker.state]),
      ),
      breakerOpens: api.opens,
      retries: api.retries,
      cacheHitRatio: cache.hits / Math.max(1, cache.hits + cache.misses),
      pool: { created: pool.created, leaks: pool.leaks, timeouts: pool.timeouts },
    };
  } finally {
    await agent.close();
    await api.close();
    await Promise.all(shards.map((s) => s.close()));
  }
}
