// lru-lfu: why W-TinyLFU. A few hot keys are read all the time; now and then a batch job scans
// thousands of keys once each. LRU lets the scan push the hot keys out; W-TinyLFU admits a new
// key only if it is likely to be read more often than the one it would evict, so it keeps them.
//   npx tsx examples/packages/lru-lfu-scan-resistance.ts
import { LFUCache, LRUCache, WTinyLFUCache } from '@bulwark/lru-lfu';

function hitRatio(cache: {
  get(key: number): unknown;
  set(key: number, value: number): unknown;
}): number {
  let hits = 0;
  let reads = 0;
  let scanKey = 1_000_000;
  for (let round = 0; round < 200; round++) {
    // 500 reads of 80 hot keys ...
    for (let i = 0; i < 500; i++) {
      const key = (i * 7) % 80;
      reads++;
      if (cache.get(key) !== undefined) hits++;
      else cache.set(key, key);
    }
    // ... then a scan of 150 keys nobody reads again.
    for (let i = 0; i < 150; i++) {
      reads++;
      if (cache.get(scanKey) === undefined) cache.set(scanKey, scanKey);
      scanKey++;
    }
  }
  return hits / reads;
}

const capacity = 100;
for (const [name, cache] of [
  ['LRU', new LRUCache<number, number>({ capacity })],
  ['LFU', new LFUCache<number, number>({ capacity })],
  ['W-TinyLFU', new WTinyLFUCache<number, number>({ capacity })],
] as const) {
  console.log(`${name.padEnd(10)} hit ratio ${(100 * hitRatio(cache)).toFixed(1)}%`);
}
