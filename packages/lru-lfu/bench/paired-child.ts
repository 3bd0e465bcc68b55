// One implementation, in a process of its own, timed against a bare Map floor in the same
// process, round by round. Run by bench/paired.ts (never two at once); prints one JSON line:
// { impl, workloads: { [name]: number[] } }, each number one round's (floor time ÷ impl time),
// so 0.5 means "half as fast as the floor, measured in the same round of the same process".
//
// Only this implementation's class ever reaches the cache calls below, so every call site is
// monomorphic, as it is in an application that uses one cache class; no other implementation's
// code has been compiled or has left garbage in this process.

import { createLRU } from 'lru.min';
import { LRUCache as LruCache } from 'lru-cache';
import { LRUCache as MnemonistLRU } from 'mnemonist';
import QuickLRU from 'quick-lru';
import { LRU as TinyLRU } from 'tiny-lru';
import { LFUCache, LRUCache, WTinyLFUCache } from '../src/index.js';
import { prng, zipf } from './traces.js';

const CAP = 10_000;
const STREAM = 1 << 20;
const MASK = STREAM - 1;
/** Operations per timed round of one loop. */
const OPS = 200_000;
const ROUNDS = 9;

interface Cache {
  get(key: string): number | undefined;
  set(key: string, value: number): unknown;
}

const makers: Record<string, () => Cache> = {
  'bulwark LRU': () => new LRUCache<string, number>({ capacity: CAP }),
  'bulwark LFU': () => new LFUCache<string, number>({ capacity: CAP }),
  'bulwark W-TinyLFU': () => new WTinyLFUCache<string, number>({ capacity: CAP }),
  'lru-cache': () => new LruCache<string, number>({ max: CAP }),
  'lru.min': () => createLRU<string, number>({ max: CAP }),
  'mnemonist LRUCache': () => new MnemonistLRU<string, number>(CAP),
  'quick-lru': () => new QuickLRU<string, number>({ maxSize: CAP }),
  'tiny-lru': () => new TinyLRU<number>(CAP) as unknown as Cache,
};

/** The floor: a bare Map bounded by FIFO eviction (a ring of its keys). */
class FloorMap {
  private readonly map = new Map<string, number>();
  private readonly ring: string[] = new Array(CAP).fill('');
  private at = 0;
  get(key: string): number | undefined {
    return this.map.get(key);
  }
  set(key: string, value: number): void {
    if (this.map.size >= CAP) this.map.delete(this.ring[this.at]!);
    this.ring[this.at] = key;
    this.at = this.at + 1 === CAP ? 0 : this.at + 1;
    this.map.set(key, value);
  }
}

const impl = process.argv[2]!;
const make = makers[impl];
if (make === undefined) throw new Error(`unknown implementation ${impl}`);

const names = Array.from({ length: 100_000 }, (_, i) => `user:${i}`);
const zipfKeys = Array.from(zipf(100_000, 0.99, STREAM, 42), (rank) => names[rank]!);
const random = prng(9);
const hitKeys = Array.from({ length: STREAM }, () => names[Math.floor(random() * CAP)]!);
const missKeys = Array.from({ length: STREAM }, (_, i) => `session:${i}`);
new Set(names); // hash every key once, before any timing
new Set(missKeys);
export let sink = 0;

// Each workload has a loop for the cache and a separate loop for the floor: no shared site.
function cacheGetOrSet(c: Cache, keys: string[], from: number): void {
  for (let i = from; i < from + OPS; i++) {
    const k = keys[i & MASK]!;
    if (c.get(k) === undefined) c.set(k, i);
  }
}
function floorGetOrSet(c: FloorMap, keys: string[], from: number): void {
  for (let i = from; i < from + OPS; i++) {
    const k = keys[i & MASK]!;
    if (c.get(k) === undefined) c.set(k, i);
  }
}
function cacheHits(c: Cache, from: number): void {
  let found = 0;
  for (let i = from; i < from + OPS; i++) if (c.get(hitKeys[i & MASK]!) !== undefined) found++;
  sink += found;
}
function floorHits(c: FloorMap, from: number): void {
  let found = 0;
  for (let i = from; i < from + OPS; i++) if (c.get(hitKeys[i & MASK]!) !== undefined) found++;
  sink += found;
}

function time(run: (from: number) => void, from: number): number {
  const start = process.hrtime.bigint();
  run(from);
  return Number(process.hrtime.bigint() - start);
}

/**
 * Rounds of floor and cache (which goes first alternates), each round's floor ÷ cache time.
 * Each walks its stream from its own position, OPS further every call.
 */
function rounds(floor: (from: number) => void, cache: (from: number) => void): number[] {
  floor(0); // warm-up: both loops optimized before timing
  cache(0);
  const ratios: number[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const from = r * OPS;
    let f: number;
    let c: number;
    if (r % 2 === 0) {
      f = time(floor, from);
      c = time(cache, from);
    } else {
      c = time(cache, from);
      f = time(floor, from);
    }
    ratios.push(f / c);
  }
  return ratios;
}

const workloads: Record<string, number[]> = {};
{
  const c = make();
  const m = new FloorMap();
  workloads['get-or-set'] = rounds(
    (from) => floorGetOrSet(m, zipfKeys, from),
    (from) => cacheGetOrSet(c, zipfKeys, from),
  );
}
{
  const c = make();
  const m = new FloorMap();
  for (let k = 0; k < CAP; k++) {
    c.set(names[k]!, k);
    m.set(names[k]!, k);
  }
  workloads.hits = rounds(
    (from) => floorHits(m, from),
    (from) => cacheHits(c, from),
  );
}
{
  const c = make();
  const m = new FloorMap();
  // Both walk the same 2^20 fresh keys (a key comes back after a million others, long after a
  // 10k cache dropped it): every access a miss that evicts.
  workloads.misses = rounds(
    (from) => floorGetOrSet(m, missKeys, from),
    (from) => cacheGetOrSet(c, missKeys, from),
  );
}
console.log(JSON.stringify({ impl, workloads }));
