// Hit-ratio simulator: replays the same seeded traces through each policy (get, and set on a
// miss), prints a markdown table of hit ratios and writes the same numbers as an SVG bar chart
// (hit-ratio.svg, linked from the README). Run: npx tsx bench/hit-ratio.ts
// At another capacity (the traces scale with it; no chart): CAPACITY=10000 npx tsx bench/hit-ratio.ts
import { writeFileSync } from 'node:fs';
import { LFUCache, LRUCache, WTinyLFUCache } from '../src/index.js';
import { hitRatioChart } from './hit-ratio-chart.js';
import { loop, recency, scans, shifting, zipf, zipfBestStatic } from './traces.js';

interface Cache {
  get(key: number): number | undefined;
  set(key: number, value: number): unknown;
}

/** The README's table and chart are at 1,000; 100 and 10,000 check the climber at other scales. */
const CAPACITY = Number(process.env.CAPACITY ?? 1_000);
if (!Number.isInteger(CAPACITY) || CAPACITY < 10)
  throw new RangeError('CAPACITY must be an integer >= 10');
/** Scale of the traces against capacity 1,000: keys, loop, scans and news feeds grow with it. */
const SCALE = CAPACITY / 1_000;
const KEYS = 100 * CAPACITY;
/** 1,000 accesses per entry of capacity, at least 1M (short traces are noisy) and at most 4M. */
const LENGTH = Math.min(4_000_000, Math.max(1_000_000, 1_000 * CAPACITY));
const HORIZON = Math.round(5_000 * SCALE);

/** name, keys, best static hit ratio (the mass of the CAPACITY most popular keys) if known. */
const traces: [string, Int32Array, number | undefined][] = [
  ['Zipf 0.6', zipf(KEYS, 0.6, LENGTH, 1), zipfBestStatic(KEYS, 0.6, CAPACITY)],
  ['Zipf 0.8', zipf(KEYS, 0.8, LENGTH, 2), zipfBestStatic(KEYS, 0.8, CAPACITY)],
  ['Zipf 0.99', zipf(KEYS, 0.99, LENGTH, 3), zipfBestStatic(KEYS, 0.99, CAPACITY)],
  ['loop 1.5× cache', loop(CAPACITY * 1.5, LENGTH), undefined],
  ['Zipf 0.9 + scans', scans(KEYS, 0.9, LENGTH, 5 * CAPACITY, 2 * CAPACITY), undefined],
  ['Zipf 0.9, shifting', shifting(KEYS, 0.9, LENGTH, 7), undefined],
  ['news feed (recency)', recency(0.1, 0.8, HORIZON, LENGTH), undefined],
  // The same feed publishing half and twice as fast, to check the climber on more than one shape.
  ['news feed, slow publishing', recency(0.05, 0.8, HORIZON, LENGTH), undefined],
  ['news feed, fast publishing', recency(0.2, 0.8, HORIZON, LENGTH), undefined],
];

const policies: [string, () => Cache][] = [
  ['LRU', () => new LRUCache<number, number>({ capacity: CAPACITY })],
  ['LFU', () => new LFUCache<number, number>({ capacity: CAPACITY })],
  [
    'W-TinyLFU, 1% window',
    () => new WTinyLFUCache<number, number>({ capacity: CAPACITY, adaptive: false }),
  ],
  ['W-TinyLFU', () => new WTinyLFUCache<number, number>({ capacity: CAPACITY })],
  [
    'W-TinyLFU + doorkeeper',
    () => new WTinyLFUCache<number, number>({ capacity: CAPACITY, doorkeeper: true }),
  ],
];
const ADAPTIVE = 3;

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
const rows: { trace: string; ratios: number[]; best: number | undefined }[] = [];
console.log(
  `Capacity ${CAPACITY.toLocaleString('en')}, ${(LENGTH / 1e6).toFixed(0)}M accesses per trace, ` +
    `${(KEYS / 1000).toLocaleString('en')}k keys for the Zipf traces.\n`,
);
console.log(
  `| trace | ${policies.map(([name]) => name).join(' | ')} | best static | W-TinyLFU ÷ best static | W-TinyLFU − max(LRU, LFU) |`,
);
console.log(`| --- | ${policies.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`);
for (const [name, trace, best] of traces) {
  const ratios = policies.map(([, make]) => hitRatio(make(), trace));
  rows.push({ trace: name, ratios, best });
  const ours = ratios[ADAPTIVE]!;
  const ofBest = best === undefined ? '–' : `${((ours / best) * 100).toFixed(1)}%`;
  const gap = ((ours - Math.max(ratios[0]!, ratios[1]!)) * 100).toFixed(1);
  console.log(
    `| ${name} | ${ratios.map(percent).join(' | ')} | ${best === undefined ? '–' : percent(best)} | ${ofBest} | ${gap} pts |`,
  );
}

if (CAPACITY !== 1_000) process.exit(0);
const svg = hitRatioChart(
  policies.slice(0, 4).map(([name]) => name),
  rows.map((r) => ({ label: r.trace, values: r.ratios.slice(0, 4), best: r.best })),
);
writeFileSync(new URL('../hit-ratio.svg', import.meta.url), svg);
console.log('\nwrote hit-ratio.svg');
