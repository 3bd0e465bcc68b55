// cache: a thousand requests miss the same key at once and the database is asked once
// (single-flight); later, while a refresh runs, readers get the stale value at once
// (stale-while-revalidate); a loader that fails is answered from stale (stale-if-error).
//   npx tsx examples/packages/cache-stampede.ts
import { setTimeout as sleep } from 'node:timers/promises';
import { createCache } from '@bulwark/cache';

let queries = 0;
let databaseUp = true;
async function queryPrice(): Promise<number> {
  queries++;
  await sleep(20); // a slow database
  if (!databaseUp) throw new Error('database down');
  return 100 + queries;
}

const prices = createCache<number>({
  ttlMs: 100,
  staleWhileRevalidateMs: 1_000,
  staleIfErrorMs: 5_000,
});
const crowd = await Promise.all(
  Array.from({ length: 1000 }, () => prices.get('sku:1', queryPrice)),
);
console.log(`1000 concurrent misses -> ${queries} query, everyone got ${crowd[0]}`);

await sleep(150); // expired, but within staleWhileRevalidateMs
const started = performance.now();
const stale = await prices.get('sku:1', queryPrice);
console.log(
  `after expiry: served ${stale} (stale) in ${(performance.now() - started).toFixed(1)} ms; a refresh runs in the background`,
);
await sleep(50);
console.log(`refreshed: ${prices.peek('sku:1')}, queries so far ${queries}`);

databaseUp = false;
await sleep(150);
console.log(
  `database down, expired: still served ${await prices.get('sku:1', queryPrice)} from stale`,
);
console.log('stats:', prices.stats());
await prices.close();
