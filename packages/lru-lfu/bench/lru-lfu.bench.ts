// Our three caches against the npm LRU caches and a bare Map, in one run. Capacity 10 000; one
// bench op = 1000 cache operations (so cache operations/s = ops/s × 1000).
//   (a) get-or-set over a Zipf(0.99) stream of 100k keys (get, and set on a miss)
//   (b) 100% hits: get over a uniform stream of the 10k keys the cache holds
//   (c) 100% misses with eviction: get-or-set of keys not seen for a million operations
// Keys are strings. (With small integer keys, an object-backed index such as mnemonist's gets
// array-speed lookups on hits; the README gives those numbers apart.)
// The streams are generated once, seeded, so every implementation sees the same keys. Each
// implementation has its own loop functions (not one shared loop calling through an interface),
// so no call site is shared between implementations. `floor Map` is a bare Map with FIFO eviction
// (a ring of its keys): the least a bounded map can do. It runs first in each group: on this
// shared machine the first bench of a group measured low (leftover GC work from the setup), and
// the floor is the one row no ratio is taken against.

import { createLRU } from 'lru.min';
import { LRUCache as LruCache } from 'lru-cache';
import { LRUCache as MnemonistLRU } from 'mnemonist';
import QuickLRU from 'quick-lru';
import { LRU as TinyLRU } from 'tiny-lru';
import { bench, describe } from 'vitest';
import { LFUCache, LRUCache, WTinyLFUCache } from '../src/index.js';
import { prng, zipf } from './traces.js';

const CAP = 10_000;
const BATCH = 1000;
const STREAM = 1 << 20;
const MASK = STREAM - 1;
// Keys are strings (as cache keys usually are), built here once so no bench allocates them.
const names = Array.from({ length: 100_000 }, (_, i) => `user:${i}`);
const zipfKeys = Array.from(zipf(100_000, 0.99, STREAM, 42), (rank) => names[rank]!);
const random = prng(9);
const hitKeys = Array.from({ length: STREAM }, () => names[Math.floor(random() * CAP)]!);
// The miss stream cycles through 2^20 distinct keys: a key comes back only after a million
// others, long after a 10k cache evicted it.
const missKeys = Array.from({ length: STREAM }, (_, i) => `session:${i}`);
let missAt = 0;
// V8 computes a string's hash on its first use as a Map key and caches it in the string: hash
// every key once here, or the first implementation to run would pay for everyone.
new Set(names);
new Set(missKeys);
/** Hit results go here, so the compiler cannot drop a lookup whose result is unused. */
export let sink = 0;

interface Subject {
  /** (a): BATCH get-or-set from stream position `from`. */
  getOrSet(from: number): void;
  /** (b): BATCH gets from stream position `from`. */
  hit(from: number): void;
  /** (c): BATCH get-or-set of new keys. */
  miss(): void;
  /** Fills the cache with keys 0..CAP-1. */
  fill(): void;
}

const subjects: [string, () => Subject][] = [
  [
    'floor Map',
    () => {
      const m = new Map<string, number>();
      const ring: string[] = new Array(CAP).fill('');
      let at = 0;
      const set = (k: string, v: number) => {
        if (m.size >= CAP) m.delete(ring[at]!);
        ring[at] = k;
        at = at + 1 === CAP ? 0 : at + 1;
        m.set(k, v);
      };
      return {
        getOrSet(from) {
          for (let i = from; i < from + BATCH; i++) {
            const k = zipfKeys[i & MASK]!;
            if (m.get(k) === undefined) set(k, i);
          }
        },
        hit(from) {
          let found = 0;
          for (let i = from; i < from + BATCH; i++)
            if (m.get(hitKeys[i & MASK]!) !== undefined) found++;
          sink += found;
        },
        miss() {
          for (let i = 0; i < BATCH; i++) {
            const k = missKeys[missAt++ & MASK]!;
            if (m.get(k) === undefined) set(k, i);
          }
        },
        fill() {
          for (let k = 0; k < CAP; k++) set(names[k]!, k);
        },
      };
    },
  ],
  [
    'bulwark LRU',
    () => {
      const c = new LRUCache<string, number>({ capacity: CAP });
      return {
        getOrSet(from) {
          for (let i = from; i < from + BATCH; i++) {
            const k = zipfKeys[i & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        hit(from) {
          let found = 0;
          for (let i = from; i < from + BATCH; i++)
            if (c.get(hitKeys[i & MASK]!) !== undefined) found++;
          sink += found;
        },
        miss() {
          for (let i = 0; i < BATCH; i++) {
            const k = missKeys[missAt++ & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        fill() {
          for (let k = 0; k < CAP; k++) c.set(names[k]!, k);
        },
      };
    },
  ],
  [
    'bulwark LFU',
    () => {
      const c = new LFUCache<string, number>({ capacity: CAP });
      return {
        getOrSet(from) {
          for (let i = from; i < from + BATCH; i++) {
            const k = zipfKeys[i & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        hit(from) {
          let found = 0;
          for (let i = from; i < from + BATCH; i++)
            if (c.get(hitKeys[i & MASK]!) !== undefined) found++;
          sink += found;
        },
        miss() {
          for (let i = 0; i < BATCH; i++) {
            const k = missKeys[missAt++ & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        fill() {
          for (let k = 0; k < CAP; k++) c.set(names[k]!, k);
        },
      };
    },
  ],
  [
    'bulwark W-TinyLFU',
    () => {
      const c = new WTinyLFUCache<string, number>({ capacity: CAP });
      return {
        getOrSet(from) {
          for (let i = from; i < from + BATCH; i++) {
            const k = zipfKeys[i & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        hit(from) {
          let found = 0;
          for (let i = from; i < from + BATCH; i++)
            if (c.get(hitKeys[i & MASK]!) !== undefined) found++;
          sink += found;
        },
        miss() {
          for (let i = 0; i < BATCH; i++) {
            const k = missKeys[missAt++ & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        fill() {
          for (let k = 0; k < CAP; k++) c.set(names[k]!, k);
        },
      };
    },
  ],
  [
    'lru-cache',
    () => {
      const c = new LruCache<string, number>({ max: CAP });
      return {
        getOrSet(from) {
          for (let i = from; i < from + BATCH; i++) {
            const k = zipfKeys[i & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        hit(from) {
          let found = 0;
          for (let i = from; i < from + BATCH; i++)
            if (c.get(hitKeys[i & MASK]!) !== undefined) found++;
          sink += found;
        },
        miss() {
          for (let i = 0; i < BATCH; i++) {
            const k = missKeys[missAt++ & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        fill() {
          for (let k = 0; k < CAP; k++) c.set(names[k]!, k);
        },
      };
    },
  ],
  [
    'lru.min',
    () => {
      const c = createLRU<string, number>({ max: CAP });
      return {
        getOrSet(from) {
          for (let i = from; i < from + BATCH; i++) {
            const k = zipfKeys[i & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        hit(from) {
          let found = 0;
          for (let i = from; i < from + BATCH; i++)
            if (c.get(hitKeys[i & MASK]!) !== undefined) found++;
          sink += found;
        },
        miss() {
          for (let i = 0; i < BATCH; i++) {
            const k = missKeys[missAt++ & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        fill() {
          for (let k = 0; k < CAP; k++) c.set(names[k]!, k);
        },
      };
    },
  ],
  [
    'mnemonist LRUCache',
    () => {
      const c = new MnemonistLRU<string, number>(CAP);
      return {
        getOrSet(from) {
          for (let i = from; i < from + BATCH; i++) {
            const k = zipfKeys[i & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        hit(from) {
          let found = 0;
          for (let i = from; i < from + BATCH; i++)
            if (c.get(hitKeys[i & MASK]!) !== undefined) found++;
          sink += found;
        },
        miss() {
          for (let i = 0; i < BATCH; i++) {
            const k = missKeys[missAt++ & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        fill() {
          for (let k = 0; k < CAP; k++) c.set(names[k]!, k);
        },
      };
    },
  ],
  [
    'quick-lru',
    () => {
      const c = new QuickLRU<string, number>({ maxSize: CAP });
      return {
        getOrSet(from) {
          for (let i = from; i < from + BATCH; i++) {
            const k = zipfKeys[i & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        hit(from) {
          let found = 0;
          for (let i = from; i < from + BATCH; i++)
            if (c.get(hitKeys[i & MASK]!) !== undefined) found++;
          sink += found;
        },
        miss() {
          for (let i = 0; i < BATCH; i++) {
            const k = missKeys[missAt++ & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        fill() {
          for (let k = 0; k < CAP; k++) c.set(names[k]!, k);
        },
      };
    },
  ],
  [
    'tiny-lru',
    () => {
      const c = new TinyLRU<number>(CAP);
      return {
        getOrSet(from) {
          for (let i = from; i < from + BATCH; i++) {
            const k = zipfKeys[i & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        hit(from) {
          let found = 0;
          for (let i = from; i < from + BATCH; i++)
            if (c.get(hitKeys[i & MASK]!) !== undefined) found++;
          sink += found;
        },
        miss() {
          for (let i = 0; i < BATCH; i++) {
            const k = missKeys[missAt++ & MASK]!;
            if (c.get(k) === undefined) c.set(k, i);
          }
        },
        fill() {
          for (let k = 0; k < CAP; k++) c.set(names[k]!, k);
        },
      };
    },
  ],
];

const options = { time: 2000, warmupTime: 300 };

/**
 * Registers one bench per subject. Each cache is made in the bench's setup (fresh for warmup and
 * for the measured run) and dropped in its teardown, so only one cache is alive at a time and a
 * garbage collection triggered by one bench does not have to walk every other bench's cache.
 */
function benches(prepare: (s: Subject) => void, run: (s: Subject) => void): void {
  for (const [name, make] of subjects) {
    let subject: Subject | undefined;
    bench(name, () => run(subject!), {
      ...options,
      setup: () => {
        subject = make();
        prepare(subject);
      },
      teardown: () => {
        subject = undefined;
      },
    });
  }
}

describe('(a) get-or-set, Zipf(0.99) over 100k keys, capacity 10k (op = 1000 calls)', () => {
  let pos = 0;
  benches(
    (s) => {
      for (let b = 0; b < 100; b++) s.getOrSet(b * BATCH); // warm: the first 100k calls
    },
    (s) => {
      s.getOrSet(pos);
      pos += BATCH;
    },
  );
});

describe('(b) 100% hits, capacity 10k (op = 1000 gets)', () => {
  let pos = 0;
  benches(
    (s) => s.fill(),
    (s) => {
      s.hit(pos);
      pos += BATCH;
    },
  );
});

describe('(c) 100% misses with eviction, capacity 10k (op = 1000 get-or-set)', () => {
  benches(
    (s) => s.fill(),
    (s) => s.miss(),
  );
});
