// Bytes per entry at 1M entries, after GC: each cache filled to capacity 1M with keys and values
// built beforehand (so only the cache's own structures are counted), measured as the growth of
// V8 heap used plus array-buffer memory (typed arrays live outside the V8 heap).
// Run: npx tsx --expose-gc bench/memory.ts

import { spawnSync } from 'node:child_process';
import { createLRU } from 'lru.min';
import { LRUCache as LruCache } from 'lru-cache';
import { LFUCache, LRUCache, WTinyLFUCache } from '../src/index.js';

const N = 1_000_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const keys = Array.from({ length: N }, (_, i) => `user:${i}`);

interface Filled {
  set(key: string, value: number): unknown;
}

const subjects: [string, () => Filled][] = [
  ['bulwark LRU', () => new LRUCache<string, number>({ capacity: N })],
  ['bulwark LFU', () => new LFUCache<string, number>({ capacity: N })],
  ['bulwark W-TinyLFU', () => new WTinyLFUCache<string, number>({ capacity: N })],
  ['lru-cache', () => new LruCache<string, number>({ max: N })],
  ['lru.min', () => createLRU<string, number>({ max: N })],
  ['floor Map', () => new Map<string, number>()],
];

function used(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const only = process.argv[2];
if (only === undefined) {
  // One fresh process per implementation, so no garbage of one run skews the next.
  console.log(`| implementation | bytes per entry at ${N / 1e6}M entries |`);
  console.log('| --- | ---: |');
  for (const [name] of subjects) {
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, name], {
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(child.stderr);
    console.log(`| ${name} | ${child.stdout.trim()} |`);
  }
} else {
  const make = subjects.find(([name]) => name === only)![1];
  const before = used();
  const cache = make();
  for (let i = 0; i < N; i++) cache.set(keys[i]!, i);
  const after = used();
  // Touch the cache after measuring, so it is alive at the measurement.
  if (cache.set === undefined) throw new Error('unreachable');
  console.log(((after - before) / N).toFixed(1));
}
