// Hit-ratio simulator: replays the same seeded traces through each policy (get, and set on a
// miss) and prints a markdown table of hit ratios. Run: npx tsx bench/hit-ratio.ts
import { LFUCache, LRUCache, WTinyLFUCache } from '../src/index.js';
import { loop, shifting, zipf } from './traces.js';

interface Cache {
  get(key: number): number | undefined;
  set(key: number, value: number): unknown;
}

const CAPACITY = 10_000;
const KEYS = 100_000;
const LENGTH = 2_000_000;

const traces: [string, Int32Array][] = [
  [`Zipf(0.8), ${KEYS / 1000}k keys`, zipf(KEYS, 0.8, LENGTH, 1)],
  [`Zipf(0.99), ${KEYS / 1000}k keys`, zipf(KEYS, 0.99, LENGTH, 2)],
  [`loop over ${(CAPACITY * 1.5) / 1000}k keys (1.5× the cache)`, loop(CAPACITY * 1.5, LENGTH)],
  [`Zipf(0.9), popular set moves halfway`, shifting(KEYS, 0.9, LENGTH, 3)],
];

const policies: [string, () => Cache][] = [
  ['LRU', () => new LRUCache<number, number>({ capacity: CAPACITY })],
  ['LFU', () => new LFUCache<number, number>({ capacity: CAPACITY })],
  ['W-TinyLFU', () => new WTinyLFUCache<number, number>({ capacity: CAPACITY })],
];

function hitRatio(cache: Cache, trace: Int32Array): number {
  let hits = 0;
  for (let i = 0; i < trace.length; i++) {
    const key = trace[i]!;
    if (cache.get(key) === undefined) cache.set(key, key);
    else hits++;
  }
  return hits / trace.length;
}

const percent = (r: number) => `${(r * 100).toFixed(1)}%`;
console.log(
  `Capacity ${CAPACITY.toLocaleString('en')}, ${(LENGTH / 1e6).toFixed(0)}M accesses per trace.\n`,
);
console.log(`| trace | ${policies.map(([name]) => name).join(' | ')} | W-TinyLFU − LRU |`);
console.log(`| --- | ${policies.map(() => '---:').join(' | ')} | ---: |`);
for (const [name, trace] of traces) {
  const ratios = policies.map(([, make]) => hitRatio(make(), trace));
  const gap = ((ratios[2]! - ratios[0]!) * 100).toFixed(1);
  console.log(`| ${name} | ${ratios.map(percent).join(' | ')} | ${gap} pts |`);
}
