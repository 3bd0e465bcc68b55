// Stampede: 10,000 concurrent gets of one cold key, with a loader that takes 5 ms. For each
// cache: how many times the loader ran, and the latency of the gets (from each call to its
// answer), median of 7 rounds with a fresh cache each; the contenders take turns within each
// round, so that a busy moment of a shared machine does not fall on one of them. Prints a
// markdown table.
// Usage (after npm run build): node packages/cache/bench/stampede.mjs
import { createCache } from '@bulwark/cache';
import { createCache as createDedupe } from 'async-cache-dedupe';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { createCache as createCacheManager } from 'cache-manager';
import { Cacheable } from 'cacheable';
import { LRUCache } from 'lru-cache';

const CALLERS = 10_000;
const LOADER_MS = 5;
const ROUNDS = 7;
const TTL_MS = 60_000;

let loads = 0;
const load = () =>
  new Promise((resolve) => {
    loads++;
    setTimeout(() => resolve({ value: 42 }), LOADER_MS);
  });

// Each entry makes a fresh cache and returns get(key) for it.
const contenders = {
  'no protection (Map, load on miss)': () => {
    const map = new Map();
    return async (key) => {
      const hit = map.get(key);
      if (hit !== undefined) return hit;
      const value = await load();
      map.set(key, value);
      return value;
    };
  },
  'bulwark createCache get': () => {
    const cache = createCache({ ttlMs: TTL_MS });
    return (key) => cache.get(key, load);
  },
  'lru-cache fetch': () => {
    const cache = new LRUCache({ max: 1_000, ttl: TTL_MS, fetchMethod: load });
    return (key) => cache.fetch(key);
  },
  'bentocache getOrSet': () => {
    const bento = new BentoCache({
      default: 'memory',
      stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 1_000 })) },
    });
    return (key) => bento.getOrSet({ key, factory: load, ttl: TTL_MS });
  },
  'cache-manager wrap': () => {
    const cache = createCacheManager({ ttl: TTL_MS });
    return (key) => cache.wrap(key, load);
  },
  'cacheable getOrSet': () => {
    const cache = new Cacheable({ ttl: TTL_MS });
    return (key) => cache.getOrSet(key, load);
  },
  'async-cache-dedupe': () => {
    const cache = createDedupe({ ttl: TTL_MS / 1000, storage: { type: 'memory' } });
    cache.define('value', load);
    return (key) => cache.value(key);
  },
};

async function round(get) {
  loads = 0;
  const latencies = new Float64Array(CALLERS);
  const done = [];
  for (let i = 0; i < CALLERS; i++) {
    const start = performance.now();
    done.push(
      get('hot').then(() => {
        latencies[i] = performance.now() - start;
      }),
    );
  }
  await Promise.all(done);
  latencies.sort();
  return {
    loads,
    p50: latencies[Math.floor(CALLERS * 0.5)],
    p99: latencies[Math.floor(CALLERS * 0.99)],
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const results = new Map(Object.keys(contenders).map((name) => [name, []]));
for (let r = 0; r < ROUNDS; r++)
  for (const [name, make] of Object.entries(contenders))
    results.get(name).push(await round(make()));
const rows = [];
for (const name of Object.keys(contenders)) {
  const outcomes = results.get(name);
  rows.push({
    name,
    loads: median(outcomes.map((r) => r.loads)),
    p50: median(outcomes.map((r) => r.p50)),
    p99: median(outcomes.map((r) => r.p99)),
  });
}

console.log(
  `**stampede: ${CALLERS.toLocaleString('en')} concurrent gets of one cold key, ${LOADER_MS} ms loader** (median of ${ROUNDS} rounds)\n`,
);
console.log('| implementation | loader calls | p50 latency | p99 latency |');
console.log('| --- | ---: | ---: | ---: |');
for (const row of rows)
  console.log(
    `| ${row.name.startsWith('bulwark') ? `**${row.name}**` : row.name} | ${row.loads.toLocaleString('en')} | ${row.p50.toFixed(1)} ms | ${row.p99.toFixed(1)} ms |`,
  );
process.exit(0);
