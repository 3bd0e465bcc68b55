// W-TinyLFU: a small LRU "window" in front of a large segmented-LRU "main" region, with a
// count-min sketch deciding who may enter the main region.
//
//   new entry -> window (LRU; 1% of capacity at first, then sized by the hill climber)
//   window overflow -> its least recent entry becomes a *candidate* for main
//   main full -> the candidate duels main's *victim* (the least recent of probation): the one
//               the sketch estimates as less frequently accessed is evicted (ties: the candidate)
//   main = probation (20%) + protected (80%): a hit in probation promotes to protected; protected
//          overflow demotes its least recent entry back to probation
//
// The window lets new keys earn a few hits before they must prove themselves; the frequency
// duel keeps one-off keys (scans) from flushing popular ones; the sketch's periodic halving lets
// yesterday's favourites go. The sketch counts every access, hits and misses alike. Every
// 2 × capacity gets, the climber (hill-climber.ts) moves the window/main split toward the
// region whose entries earned more hits: large for recency-heavy traffic, small otherwise.
//
// Nodes are slots of typed arrays, as in the LRU; the three lists are circular around three
// sentinels: node 0 (window), 1 (probation) and 2 (protected). Entries are nodes 3 and up; there
// is one spare node, since an entry is inserted before the policy picks whom to evict.

import { type Clock, typeError } from '@bulwark/kernel';
import { CountMinSketch, hashKey } from './count-min-sketch.js';
import { dumpEntries, loadEntries } from './dump.js';
import { HillClimber } from './hill-climber.js';
import { metricsChannel, publishMetric } from './metrics.js';
import {
  type CacheStats,
  checkSetOptions,
  checkSize,
  checkTtl,
  type DumpEntry,
  type EvictionReason,
  grow,
  grownLength,
  growSlots,
  INITIAL_SLOTS,
  resolveOptions,
  type SetOptions,
  type WTinyLFUOptions,
} from './options.js';

const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;
const FIRST = 3;
/** Gets per sample of the hill climber, per entry of capacity. */
const SAMPLES_PER_ENTRY = 2;
/** The protected segment's share of the main region. */
const PROTECTED_SHARE = 0.8;

/**
 * A W-TinyLFU cache (as in Caffeine): near-LFU hit ratios on skewed traffic, resistant to scans,
 * quick to adapt when popularity shifts. Every operation is O(1). The same options and surface as
 * `LRUCache`; an entry may be refused admission (`onEvict` reason `'evict'`) when it is less
 * popular than the entry it would replace, but never the entry a `set` has just written.
 *
 * Iteration covers every live entry once: the window, then the protected and probation
 * segments, each most recent first.
 *
 * @example
 * const cache = new WTinyLFUCache<string, Page>({ capacity: 10_000 });
 * cache.set(url, page);
 * cache.get(url);
 */
export class WTinyLFUCache<K, V> {
  /** The most entries the cache holds. */
  readonly capacity: number;
  /** The `name` option: in `stats()` and on the metrics channel. */
  readonly name: string;
  /** The bound on the sum of entry weights (`Infinity` without `maxSize`). */
  readonly maxSize: number;
  private windowMax: number;
  private protectedMax: number;
  private readonly climber: HillClimber;
  /** `adaptive: false`: the window stays at 1%. */
  private readonly climbs: boolean;
  /** Gets per sample of the hill climber: 2 × capacity. */
  private readonly samplePeriod: number;
  private sampled = 0;
  private sampleHits = 0;
  /** Of the sample's hits, those on an entry of the window. */
  private sampleWindowHits = 0;

  private readonly map = new Map<K, number>();
  private readonly keys_: (K | undefined)[];
  private readonly values_: (V | undefined)[];
  private next: Int32Array;
  private prev: Int32Array;
  private hashes: Int32Array;
  private region: Uint8Array;
  private readonly counts = new Int32Array(3);
  private readonly sketch: CountMinSketch;

  private expiresAt: Float64Array | undefined;
  /** TTL per node (0 = none), kept only with `updateAgeOnGet`/`updateAgeOnHas`: a read restarts it. */
  private ttls: Float64Array | undefined;
  private sizes: Float64Array | undefined;
  private totalSize_ = 0;
  private freeHead = -1;
  private fresh = FIRST;
  /** The key of the last missed `get`, until the next `set` (see LRUCache). */
  private missed: K | undefined = undefined;
  private hasMissed = false;
  private missedHash = 0;

  private readonly ttlMs: number;
  private readonly sizeOf: ((value: V, key: K) => number) | undefined;
  private readonly onEvict: ((value: V, key: K, reason: EvictionReason) => void) | undefined;
  private readonly clock: Clock;
  private readonly noUpdateTTL: boolean;
  private readonly noDisposeOnSet: boolean;
  private readonly updateAgeOnGet: boolean;
  private readonly updateAgeOnHas: boolean;
  private readonly allowStale: boolean;
  /** Heaviest entry stored: `maxEntrySize`, else `maxSize` (`Infinity` without either). */
  private readonly maxEntrySize: number;

  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private expirations = 0;

  /** @throws TypeError or RangeError naming the bad option. */
  constructor(options: WTinyLFUOptions<K, V>) {
    const o = resolveOptions(options, 'WTinyLFUCache');
    this.capacity = o.capacity;
    this.name = o.name;
    this.maxSize = o.maxSize;
    this.ttlMs = o.ttlMs;
    this.sizeOf = o.sizeOf;
    this.onEvict = o.onEvict;
    this.clock = o.clock;
    this.noUpdateTTL = o.noUpdateTTL;
    this.noDisposeOnSet = o.noDisposeOnSet;
    this.updateAgeOnGet = o.updateAgeOnGet;
    this.updateAgeOnHas = o.updateAgeOnHas;
    this.allowStale = o.allowStale;
    this.maxEntrySize = o.maxEntrySize;
    // The window starts at 1% (Caffeine's default); the hill climber moves it from there.
    this.windowMax = initialWindow(o.capacity);
    this.protectedMax = Math.floor((o.capacity - this.windowMax) * PROTECTED_SHARE);
    this.climber = new HillClimber(o.capacity);
    this.samplePeriod = SAMPLES_PER_ENTRY * o.capacity;
    this.climbs = options.adaptive !== false;
    // The arrays start small and double as entries arrive (see LRUCache), and so does the
    // sketch, keeping its counts: a cache costs memory for what it holds.
    const slots = Math.min(o.capacity + FIRST + 1, INITIAL_SLOTS);
    this.keys_ = new Array<K | undefined>(slots).fill(undefined);
    this.values_ = new Array<V | undefined>(slots).fill(undefined);
    this.next = new Int32Array(slots);
    this.prev = new Int32Array(slots);
    this.hashes = new Int32Array(slots);
    this.region = new Uint8Array(slots);
    for (const s of [WINDOW, PROBATION, PROTECTED]) {
      this.next[s] = s;
      this.prev[s] = s;
    }
    this.sketch = new CountMinSketch(slots, options.doorkeeper === true);
    if (o.ttlMs > 0) this.allocateExpiry(slots);
    if (o.sizeOf !== undefined) this.sizes = new Float64Array(slots);
  }

  /** Entries held now (expired ones count until found or pruned). */
  get size(): number {
    return this.map.size;
  }

  /** The sum of the weights of the entries held (0 without `sizeOf`). */
  get totalSize(): number {
    return this.totalSize_;
  }

  /**
   * Entries the window holds now before it passes candidates to the main region: 1% of the
   * capacity at first, then moved by the hill climber between 1 entry and most of the cache.
   */
  get windowCapacity(): number {
    return this.windowMax;
  }

  /** Entries the protected segment holds now before it demotes to probation (moves with the window). */
  get protectedCapacity(): number {
    return this.protectedMax;
  }

  /** The value of `key` (counting an access); `undefined` if absent or expired (with `allowStale`, an expired value is returned once as it is removed). */
  get(key: K): V | undefined {
    const i = this.map.get(key);
    if (i === undefined) {
      const hash = hashKey(key);
      this.sketch.increment(hash);
      this.misses++;
      this.missed = key;
      this.hasMissed = true;
      this.missedHash = hash;
      if (++this.sampled === this.samplePeriod) this.climb();
      if (metricsChannel.hasSubscribers) publishMetric(this.name, 'get', key, 'miss');
      return undefined;
    }
    const hash = this.hashes[i]!;
    this.sketch.increment(hash);
    if (this.expiresAt !== undefined) {
      if (this.isStale(i)) {
        const stale = this.values_[i];
        this.misses++;
        this.remove(i, 'expire');
        this.missed = key;
        this.hasMissed = true;
        this.missedHash = hash;
        if (++this.sampled === this.samplePeriod) this.climb();
        if (metricsChannel.hasSubscribers) publishMetric(this.name, 'get', key, 'expired');
        return this.allowStale ? stale : undefined;
      }
      if (this.updateAgeOnGet) this.renew(i);
    }
    this.hits++;
    if (this.region[i] === WINDOW) this.sampleWindowHits++;
    this.onHit(i);
    this.sampleHits++;
    if (++this.sampled === this.samplePeriod) this.climb();
    if (metricsChannel.hasSubscribers) publishMetric(this.name, 'get', key, 'hit');
    return this.values_[i];
  }

  /**
   * Milliseconds until `key`'s entry expires: `Infinity` for an entry without a TTL, 0 for an
   * absent or expired one (never negative). Reads only: counts no use and removes nothing.
   * (lru-cache's `getRemainingTTL`, except that it gives an expired entry still held a negative
   * number.)
   */
  getRemainingTTL(key: K): number {
    const i = this.map.get(key);
    if (i === undefined) return 0;
    const at = this.expiresAt === undefined ? 0 : this.expiresAt[i]!;
    if (at === 0) return Number.POSITIVE_INFINITY;
    return Math.max(0, at - this.clock.now());
  }

  /**
   * The value of `key` without counting an access or a hit.
   * An expired entry it finds is removed (reason `'expire'`).
   */
  peek(key: K): V | undefined {
    const i = this.map.get(key);
    if (i === undefined) return undefined;
    if (this.expiresAt !== undefined && this.isStale(i)) {
      const stale = this.allowStale ? this.values_[i] : undefined;
      this.remove(i, 'expire');
      return stale;
    }
    return this.values_[i];
  }

  /**
   * Whether `key` holds a live entry. Does not count an access.
   * An expired entry it finds is removed (reason `'expire'`).
   */
  has(key: K): boolean {
    const i = this.map.get(key);
    if (i === undefined) return false;
    if (this.expiresAt !== undefined && this.isStale(i)) {
      this.remove(i, 'expire');
      return false;
    }
    if (this.updateAgeOnHas && this.expiresAt !== undefined) this.renew(i);
    return true;
  }

  /**
   * Stores `value` under `key` (counting an access). A new entry enters the window; if that
   * makes the cache too full, the admission policy evicts an entry (possibly a candidate from
   * the window, never this one). An entry heavier than `maxSize` on its own is not stored:
   * `onEvict` sees it at once with reason `'evict'` (and the key's old value with `'set'`).
   */
  set(key: K, value: V, options?: SetOptions): this {
    let ttl = this.ttlMs;
    if (options !== undefined && checkSetOptions(options).ttlMs !== undefined) {
      ttl = checkTtl(options.ttlMs, 'ttlMs');
      if (ttl === Number.POSITIVE_INFINITY) ttl = 0;
      else if (this.expiresAt === undefined) this.allocateExpiry(this.next.length);
    }
    const expiry = ttl === 0 ? 0 : ttl + this.clock.now();
    let weight = 0;
    if (this.sizes !== undefined) {
      const size = options === undefined ? undefined : options.size;
      weight = size === undefined ? checkSize(this.sizeOf!(value, key)) : checkSize(size, 'size');
      if (weight > this.maxEntrySize) return this.refuse(key, value);
    } else if (options !== undefined && options.size !== undefined) {
      typeError('size', 'used with maxSize or maxEntrySize', options.size);
    }

    let i: number | undefined;
    let hash: number;
    if (this.hasMissed && key === this.missed) {
      // Right after a missed get of this key: the same access, already counted by the get.
      hash = this.missedHash;
    } else {
      i = this.map.get(key);
      hash = i === undefined ? hashKey(key) : this.hashes[i]!;
      this.sketch.increment(hash);
    }
    this.hasMissed = false;
    this.missed = undefined;

    if (i !== undefined) {
      const old = this.values_[i] as V;
      this.values_[i] = value;
      this.onHit(i);
      if (this.expiresAt !== undefined && !this.noUpdateTTL) this.setExpiry(i, ttl, expiry);
      if (this.sizes !== undefined) {
        this.totalSize_ += weight - this.sizes[i]!;
        this.sizes[i] = weight;
        while (this.totalSize_ > this.maxSize) this.evictForWeight(i);
      }
      if (this.onEvict !== undefined && old !== value && !this.noDisposeOnSet)
        this.onEvict(old, key, 'set');
      if (metricsChannel.hasSubscribers) publishMetric(this.name, 'set', key, 'update');
      return this;
    }

    if (this.freeHead !== -1) {
      i = this.freeHead;
      this.freeHead = this.next[i]!;
    } else {
      i = this.fresh++;
      if (i === this.next.length) this.grow();
    }
    this.keys_[i] = key;
    this.values_[i] = value;
    this.hashes[i] = hash;
    this.map.set(key, i);
    this.linkFront(i, WINDOW);
    if (this.expiresAt !== undefined) this.setExpiry(i, ttl, expiry);
    if (this.sizes !== undefined) {
      this.sizes[i] = weight;
      this.totalSize_ += weight;
    }
    // The window passes its least recent entries to probation as candidates for main ...
    while (this.counts[WINDOW]! > this.windowMax) {
      const candidate = this.prev[WINDOW]!;
      this.unlink(candidate);
      this.linkFront(candidate, PROBATION);
    }
    // ... and if that overfills the cache, each candidate duels main's victim.
    while (this.map.size > this.capacity) this.evictFromMain();
    if (this.sizes !== undefined) {
      while (this.totalSize_ > this.maxSize) this.evictForWeight(i);
    }
    if (metricsChannel.hasSubscribers) publishMetric(this.name, 'set', key, 'add');
    return this;
  }

  /**
   * Removes `key`; `true` if it held a live entry (`onEvict` sees it with reason `'delete'`).
   * An expired entry is removed with reason `'expire'` and gives `false`.
   */
  delete(key: K): boolean {
    const i = this.map.get(key);
    if (i === undefined) return false;
    if (this.expiresAt !== undefined && this.isStale(i)) {
      this.remove(i, 'expire');
      return false;
    }
    this.remove(i, 'delete');
    return true;
  }

  /**
   * Removes every entry; `onEvict` sees each, in iteration order, with reason `'delete'` (or
   * `'expire'` for one whose TTL had run out). The frequency sketch is reset. Stats are kept.
   */
  clear(): void {
    let removed: [K, V, EvictionReason][] | undefined;
    if (this.onEvict !== undefined || this.expiresAt !== undefined) {
      removed = [];
      for (const i of this.order()) {
        const stale = this.expiresAt !== undefined && this.isStale(i);
        if (stale) this.expirations++;
        removed.push([this.keys_[i] as K, this.values_[i] as V, stale ? 'expire' : 'delete']);
      }
    }
    this.map.clear();
    this.keys_.fill(undefined);
    this.values_.fill(undefined);
    for (const s of [WINDOW, PROBATION, PROTECTED]) {
      this.next[s] = s;
      this.prev[s] = s;
      this.counts[s] = 0;
    }
    this.freeHead = -1;
    this.fresh = FIRST;
    this.totalSize_ = 0;
    this.sketch.clear();
    this.climber.reset();
    this.resizeWindow(initialWindow(this.capacity));
    this.sampled = 0;
    this.sampleHits = 0;
    this.sampleWindowHits = 0;
    if (removed !== undefined && this.onEvict !== undefined) {
      for (const [key, value, reason] of removed) this.onEvict(value, key, reason);
    }
  }

  /**
   * Removes the live entry main would give up first (probation's least recent, else
   * protected's, else the window's) and returns its value (`undefined` if none).
   * Expired entries met on the way are removed (reason `'expire'`); the popped entry is
   * reported to `onEvict` with reason `'delete'` (lru-cache's `pop`, which reports `'evict'` and
   * may return an expired value).
   */
  pop(): V | undefined {
    while (this.map.size > 0) {
      let i = this.leastRecent(PROBATION, -1);
      if (i === -1) i = this.leastRecent(PROTECTED, -1);
      if (i === -1) i = this.leastRecent(WINDOW, -1);
      if (this.expiresAt !== undefined && this.isStale(i)) {
        this.remove(i, 'expire');
        continue;
      }
      const value = this.values_[i] as V;
      this.remove(i, 'delete');
      return value;
    }
    return undefined;
  }

  /** Removes every expired entry (reason `'expire'`, in iteration order); returns how many. */
  prune(): number {
    if (this.expiresAt === undefined) return 0;
    const stale = [...this.order()].filter((i) => this.isStale(i));
    for (const i of stale) this.remove(i, 'expire');
    return stale.length;
  }

  /** A snapshot of the counters (a refused candidate counts as an eviction). */
  stats(): CacheStats {
    return {
      name: this.name,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      expirations: this.expirations,
      size: this.map.size,
    };
  }

  /** Live keys (window, protected, probation; most recent first in each). */
  *keys(): IterableIterator<K> {
    for (const i of this.visit()) if (this.isLive(i)) yield this.keys_[i] as K;
  }

  /** Live values, in the order of {@link WTinyLFUCache.keys}. */
  *values(): IterableIterator<V> {
    for (const i of this.visit()) if (this.isLive(i)) yield this.values_[i] as V;
  }

  /** Live `[key, value]` pairs, in the order of {@link WTinyLFUCache.keys}. */
  *entries(): IterableIterator<[K, V]> {
    for (const i of this.visit()) {
      if (this.isLive(i)) yield [this.keys_[i] as K, this.values_[i] as V];
    }
  }

  /**
   * Live `[key, value]` pairs in the reverse of {@link WTinyLFUCache.entries}' order: the next victim
   * first (lru-cache's `rentries`). The same guarantees under deletion as `entries`.
   */
  *rentries(): IterableIterator<[K, V]> {
    const slots: number[] = [];
    const keys: K[] = [];
    for (const i of this.order()) {
      slots.push(i);
      keys.push(this.keys_[i] as K);
    }
    for (let n = slots.length - 1; n >= 0; n--) {
      const i = slots[n]!;
      if (this.map.get(keys[n]!) !== i) continue;
      if (this.expiresAt === undefined || !this.isStale(i)) yield [keys[n]!, this.values_[i] as V];
    }
  }

  /** Live keys, in the order of {@link WTinyLFUCache.rentries}. */
  *rkeys(): IterableIterator<K> {
    for (const [key] of this.rentries()) yield key;
  }

  /** Live values, in the order of {@link WTinyLFUCache.rentries}. */
  *rvalues(): IterableIterator<V> {
    for (const [, value] of this.rentries()) yield value;
  }

  /**
   * `key`'s live entry as {@link WTinyLFUCache.dump} gives it (value, remaining `ttlMs` when the
   * cache has TTLs, `size` with `sizeOf`); `undefined` if absent or expired. Reads only: counts
   * no use and removes nothing.
   */
  info(key: K): DumpEntry<V> | undefined {
    const i = this.map.get(key);
    if (i === undefined || (this.expiresAt !== undefined && this.isStale(i))) return undefined;
    const entry: DumpEntry<V> = { value: this.values_[i] as V };
    if (this.expiresAt !== undefined) entry.ttlMs = this.getRemainingTTL(key);
    if (this.sizes !== undefined) entry.size = this.sizes[i]!;
    return entry;
  }

  /**
   * The live entries, next victim first, each with its remaining TTL (`ttlMs`, when the cache
   * has TTLs; `Infinity` for none) and weight (`size`, with `sizeOf`): what {@link WTinyLFUCache.load}
   * takes to warm another cache. Reads only.
   */
  dump(): [K, DumpEntry<V>][] {
    return dumpEntries(this);
  }

  /**
   * Empties the cache (as `clear()`, `onEvict` included), then sets each entry of `entries` in
   * order, with its `ttlMs` and `size`: loading a `dump()` restores its entries and their order
   * of eviction (usage counts restart).
   */
  load(entries: Iterable<[K, DumpEntry<V>]>): void {
    loadEntries(this, entries);
  }

  /** Same as {@link WTinyLFUCache.entries}. */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** Calls `fn` for each live entry, in the order of {@link WTinyLFUCache.keys}. */
  forEach(fn: (value: V, key: K, cache: this) => void): void {
    for (const [key, value] of this.entries()) fn(value, key, this);
  }

  /** The sketch's estimate of how often `key` was accessed lately (0..15). For inspection. */
  frequencyOf(key: K): number {
    const i = this.map.get(key);
    return this.sketch.estimate(i === undefined ? hashKey(key) : this.hashes[i]!);
  }

  // --- the policy -----------------------------------------------------------------------------

  /** A hit: recency in the window or protected; probation -> protected (demoting if full). */
  private onHit(i: number): void {
    const r = this.region[i]!;
    if (r === PROBATION) {
      this.unlink(i);
      this.linkFront(i, PROTECTED);
      if (this.counts[PROTECTED]! > this.protectedMax) {
        const demoted = this.prev[PROTECTED]!;
        this.unlink(demoted);
        this.linkFront(demoted, PROBATION);
      }
    } else if (this.next[r] !== i) {
      // Within its list: relink at the front; the list's count and the region stay.
      const n = this.next[i]!;
      const p = this.prev[i]!;
      this.next[p] = n;
      this.prev[n] = p;
      const head = this.next[r]!;
      this.next[i] = head;
      this.prev[i] = r;
      this.prev[head] = i;
      this.next[r] = i;
    }
  }

  /**
   * Brings the cache back to capacity: the newest candidate (probation's most recent entry)
   * against main's victim (probation's least recent, else protected's least recent). The one
   * the sketch finds less popular is evicted; on a tie, the candidate.
   */
  private evictFromMain(): void {
    const candidate = this.next[PROBATION]!;
    if (candidate === PROBATION) {
      const fallback = this.prev[PROTECTED] !== PROTECTED ? PROTECTED : WINDOW;
      this.evictNode(this.prev[fallback]!);
      return;
    }
    let victim = this.prev[PROBATION]!;
    if (victim === candidate) victim = this.prev[PROTECTED]!;
    if (victim === PROTECTED) {
      this.evictNode(candidate);
      return;
    }
    this.duel(candidate, victim);
  }

  /** Over `maxSize`: the window's least recent entry duels main's victim; `keep` is spared. */
  private evictForWeight(keep: number): void {
    const w = this.leastRecent(WINDOW, keep);
    let m = this.leastRecent(PROBATION, keep);
    if (m === -1) m = this.leastRecent(PROTECTED, keep);
    if (w !== -1 && m !== -1) this.duel(w, m);
    else if (w !== -1 || m !== -1) this.evictNode(w !== -1 ? w : m);
    else this.evictNode(keep); // unreachable while keep weighs <= maxSize
  }

  /** Evicts whichever of the two the sketch finds less popular (expired ones first). */
  private duel(candidate: number, victim: number): void {
    if (this.expiresAt !== undefined) {
      if (this.isStale(victim)) {
        this.remove(victim, 'expire');
        return;
      }
      if (this.isStale(candidate)) {
        this.remove(candidate, 'expire');
        return;
      }
    }
    const c = this.sketch.estimate(this.hashes[candidate]!);
    const v = this.sketch.estimate(this.hashes[victim]!);
    this.remove(c > v ? victim : candidate, 'evict');
  }

  private evictNode(i: number): void {
    this.remove(i, this.expiresAt !== undefined && this.isStale(i) ? 'expire' : 'evict');
  }

  /** The least recent entry of list `s` other than `keep`, or -1. */
  private leastRecent(s: number, keep: number): number {
    let i = this.prev[s]!;
    if (i === keep) i = this.prev[i]!;
    return i < FIRST ? -1 : i;
  }

  // --- the adaptive window ------------------------------------------------------------------

  /**
   * A sample of gets has ended: the climber turns the hits it found in the window and in main
   * into a move of the window/main split. Nothing moves while the cache is still filling (below
   * capacity and below half of `maxSize`): nothing has been evicted yet, so the split has not
   * cost anything.
   */
  private climb(): void {
    const windowHits = this.sampleWindowHits;
    const mainHits = this.sampleHits - windowHits;
    this.sampled = 0;
    this.sampleHits = 0;
    this.sampleWindowHits = 0;
    if (!this.climbs || (this.map.size < this.capacity && this.totalSize_ * 2 < this.maxSize))
      return;
    const amount = this.climber.adjustment(this.samplePeriod, windowHits, mainHits, this.windowMax);
    if (amount > 0) this.growWindow(amount);
    else if (amount < 0) this.shrinkWindow(-amount);
  }

  /**
   * Takes up to `amount` entries of room from the protected segment and gives them to the
   * window, with the entries: main's least recent ones (probation's first) move to the window.
   */
  private growWindow(amount: number): void {
    const quota = Math.min(amount, this.capacity - 1 - this.windowMax);
    this.resizeWindow(this.windowMax + quota);
    for (let moved = 0; moved < quota; moved++) {
      let i = this.prev[PROBATION]!;
      if (i === PROBATION) i = this.prev[PROTECTED]!;
      if (i === PROTECTED) break;
      this.unlink(i);
      this.linkFront(i, WINDOW);
    }
  }

  /**
   * Gives up to `amount` entries of room (keeping at least one) from the window to main; the
   * window's least recent entries move to probation.
   */
  private shrinkWindow(amount: number): void {
    this.resizeWindow(this.windowMax - Math.min(amount, this.windowMax - 1));
    while (this.counts[WINDOW]! > this.windowMax) {
      const i = this.prev[WINDOW]!;
      this.unlink(i);
      this.linkFront(i, PROBATION);
    }
  }

  /** Sets the window's size; protected keeps 80% of the rest, demoting its overflow. */
  private resizeWindow(windowMax: number): void {
    this.windowMax = windowMax;
    this.protectedMax = Math.floor((this.capacity - windowMax) * PROTECTED_SHARE);
    this.demoteProtectedOverflow();
  }

  private demoteProtectedOverflow(): void {
    while (this.counts[PROTECTED]! > this.protectedMax) {
      const i = this.prev[PROTECTED]!;
      this.unlink(i);
      this.linkFront(i, PROBATION);
    }
  }

  // --- the lists ------------------------------------------------------------------------------

  /** Puts node `i` at the front (most recent end) of list `s`. */
  private linkFront(i: number, s: number): void {
    const head = this.next[s]!;
    this.next[i] = head;
    this.prev[i] = s;
    this.prev[head] = i;
    this.next[s] = i;
    this.region[i] = s;
    this.counts[s]!++;
  }

  /** Takes node `i` out of its list. */
  private unlink(i: number): void {
    const n = this.next[i]!;
    const p = this.prev[i]!;
    this.next[p] = n;
    this.prev[n] = p;
    this.counts[this.region[i]!]!--;
  }

  /** Removes node `i` from the map and its list, frees its slot, then tells `onEvict`. */
  private remove(i: number, reason: EvictionReason): void {
    const key = this.keys_[i] as K;
    const value = this.values_[i] as V;
    this.map.delete(key);
    this.unlink(i);
    this.keys_[i] = undefined;
    this.values_[i] = undefined;
    this.next[i] = this.freeHead;
    this.freeHead = i;
    if (this.sizes !== undefined) {
      this.totalSize_ = this.map.size === 0 ? 0 : this.totalSize_ - this.sizes[i]!;
    }
    if (reason === 'evict') this.evictions++;
    else if (reason === 'expire') this.expirations++;
    if (metricsChannel.hasSubscribers) publishMetric(this.name, 'remove', key, reason);
    if (this.onEvict !== undefined) this.onEvict(value, key, reason);
  }

  /** An entry too heavy to store: drop the key's old value, report the new one as evicted. */
  private refuse(key: K, value: V): this {
    const i = this.map.get(key);
    if (i !== undefined) this.remove(i, 'set');
    this.evictions++;
    if (metricsChannel.hasSubscribers) publishMetric(this.name, 'set', key, 'refused');
    if (this.onEvict !== undefined) this.onEvict(value, key, 'evict');
    return this;
  }

  /** Creates the expiry arrays (`length` slots) once some entry has a TTL. */
  private allocateExpiry(length: number): void {
    this.expiresAt = new Float64Array(length);
    if (this.updateAgeOnGet || this.updateAgeOnHas) this.ttls = new Float64Array(length);
  }

  /** Gives node `i` its TTL (`ttl`, 0 = none) and its expiry time. */
  private setExpiry(i: number, ttl: number, expiry: number): void {
    this.expiresAt![i] = expiry;
    if (this.ttls !== undefined) this.ttls[i] = ttl;
  }

  /** Restarts node `i`'s TTL from now (`updateAgeOnGet`, `updateAgeOnHas`). */
  private renew(i: number): void {
    const ttl = this.ttls![i]!;
    if (ttl !== 0) this.expiresAt![i] = this.clock.now() + ttl;
  }

  private isStale(i: number): boolean {
    const at = this.expiresAt![i]!;
    return at !== 0 && at <= this.clock.now();
  }

  /** Doubles the slot arrays (up to capacity + FIRST + 1) and the sketch with them. */
  private grow(): void {
    const length = grownLength(this.next.length, this.capacity + FIRST + 1);
    this.next = grow(this.next, length);
    this.prev = grow(this.prev, length);
    this.hashes = grow(this.hashes, length);
    this.region = grow(this.region, length);
    if (this.expiresAt !== undefined) this.expiresAt = grow(this.expiresAt, length);
    if (this.ttls !== undefined) this.ttls = grow(this.ttls, length);
    if (this.sizes !== undefined) this.sizes = grow(this.sizes, length);
    growSlots(this.keys_, length);
    growSlots(this.values_, length);
    this.sketch.grow(Math.min(length, this.capacity));
  }

  private isLive(i: number): boolean {
    return this.expiresAt === undefined || !this.isStale(i);
  }

  /**
   * The entries of {@link order} as they are when iteration starts, each handed out only if it
   * is still in the cache when its turn comes. The caller may delete any entry meanwhile (the
   * one it was just given or any other): a deleted entry is skipped, never read from the free
   * list; entries added meanwhile are not visited. Costs one array of the entries per walk.
   */
  private *visit(): IterableIterator<number> {
    const slots: number[] = [];
    const keys: K[] = [];
    for (const i of this.order()) {
      slots.push(i);
      keys.push(this.keys_[i] as K);
    }
    for (let n = 0; n < slots.length; n++) {
      const i = slots[n]!;
      if (this.map.get(keys[n]!) === i) yield i;
    }
  }

  /** All entries (live or not): window, protected, probation; most recent first in each. */
  private *order(): IterableIterator<number> {
    for (const s of [WINDOW, PROTECTED, PROBATION]) {
      for (let i = this.next[s]!; i !== s; ) {
        const after = this.next[i]!;
        yield i;
        i = after;
      }
    }
  }
}

/** The window's size before the hill climber moves it: 1% of the capacity, at least 1. */
function initialWindow(capacity: number): number {
  return Math.max(1, Math.floor(capacity / 100));
}
