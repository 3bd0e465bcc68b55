// LFU cache with O(1) operations: a key map, a list of frequency buckets, and in each bucket a
// recency list of the entries used exactly that many times.
//
//   key map:        key -> entry
//   frequency list: buckets in ascending frequency; the first one holds the least frequently
//                   used entries (its frequency is the classic `minFreq`)
//   bucket:         a recency list of its entries, most recent first
//
// A use (a `get` hit, or a `set` of a present key) moves an entry from the bucket of frequency f
// to the bucket of f + 1. That bucket, if it exists, is the very next one in the frequency list,
// so no lookup is needed: either the next bucket has frequency f + 1, or a new bucket goes in
// right after the current one (and if the entry was alone in its bucket, the bucket itself just
// becomes f + 1). The victim is the least recent entry of the first bucket. No heap, no scan:
// every operation is O(1).
//
// As in the LRU, entries and buckets are slots of typed arrays (which start small and double as
// entries arrive, up to the capacity): entry `i` has
// `keys[i]`, `values[i]`, its bucket `bucketOf[i]` and its ring links `next[i]`/`prev[i]` (the
// entries of one bucket form a circular list: `next` goes to less recent entries, and the
// bucket's least recent entry is `prev[head]`). Bucket `b` has `freq[b]`, its most recent entry
// `head[b]` and its links `bNext[b]`/`bPrev[b]` in the frequency list, a circular list around
// the sentinel bucket 0: `bNext[0]` is the minFreq bucket and `bPrev[0]` the most frequent.

import { type Clock, typeError } from '@bulwark/kernel';
import { dumpEntries, loadEntries } from './dump.js';
import { metricsChannel, publishMetric } from './metrics.js';
import {
  type CacheOptions,
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
} from './options.js';

/**
 * A least-frequently-used cache with a fixed capacity: when full, `set` of a new key evicts the
 * entry used the fewest times (`get` hits and `set`s of a present key count as uses), and among
 * those the least recently used. Every operation is O(1).
 *
 * Same options and surface as `LRUCache`; iteration goes from the most frequently used entry to
 * the next victim (most recent first among equal frequencies).
 *
 * @example
 * const cache = new LFUCache<string, Buffer>({ capacity: 1000 });
 * cache.set('logo', png);
 * cache.get('logo'); // used twice now: outlives entries used once
 */
export class LFUCache<K, V> {
  /** The most entries the cache holds. */
  readonly capacity: number;
  /** The `name` option: in `stats()` and on the metrics channel. */
  readonly name: string;
  /** The bound on the sum of entry weights (`Infinity` without `maxSize`). */
  readonly maxSize: number;

  private readonly map = new Map<K, number>();
  // Entries, slots 1..capacity.
  private readonly keys_: (K | undefined)[];
  private readonly values_: (V | undefined)[];
  private next: Int32Array;
  private prev: Int32Array;
  private bucketOf: Int32Array;
  // Buckets, slots 1..capacity (at most one per entry); slot 0 is the sentinel of the frequency
  // list. Frequencies are doubles: a hot key can pass 2^31 uses in a long-lived process.
  private freq: Float64Array;
  private head: Int32Array;
  private bNext: Int32Array;
  private bPrev: Int32Array;

  private expiresAt: Float64Array | undefined;
  /** TTL per node (0 = none), kept only with `updateAgeOnGet`/`updateAgeOnHas`: a read restarts it. */
  private ttls: Float64Array | undefined;
  private sizes: Float64Array | undefined;
  private totalSize_ = 0;
  private freeEntry = 0;
  private freshEntry = 1;
  private freeBucket = 0;
  private freshBucket = 1;
  /** The key of the last missed `get`, until the next `set` (see LRUCache). */
  private missed: K | undefined = undefined;
  private hasMissed = false;

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
  constructor(options: CacheOptions<K, V>) {
    const o = resolveOptions(options, 'LFUCache');
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
    const slots = Math.min(o.capacity + 1, INITIAL_SLOTS);
    this.keys_ = new Array<K | undefined>(slots).fill(undefined);
    this.values_ = new Array<V | undefined>(slots).fill(undefined);
    this.next = new Int32Array(slots);
    this.prev = new Int32Array(slots);
    this.bucketOf = new Int32Array(slots);
    this.freq = new Float64Array(slots);
    this.head = new Int32Array(slots);
    this.bNext = new Int32Array(slots);
    this.bPrev = new Int32Array(slots);
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

  /** The value of `key`, counting one use; `undefined` if absent or expired (with `allowStale`, an expired value is returned once as it is removed). */
  get(key: K): V | undefined {
    const i = this.map.get(key);
    if (i === undefined) {
      this.misses++;
      this.missed = key;
      this.hasMissed = true;
      if (metricsChannel.hasSubscribers) publishMetric(this.name, 'get', key, 'miss');
      return undefined;
    }
    if (this.expiresAt !== undefined) {
      if (this.isStale(i)) {
        const stale = this.values_[i];
        this.misses++;
        this.remove(i, 'expire');
        this.missed = key;
        this.hasMissed = true;
        if (metricsChannel.hasSubscribers) publishMetric(this.name, 'get', key, 'expired');
        return this.allowStale ? stale : undefined;
      }
      if (this.updateAgeOnGet) this.renew(i);
    }
    this.hits++;
    this.touch(i);
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
   * The value of `key` without counting a use or a hit.
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
   * Whether `key` holds a live entry. Does not count a use.
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
   * Stores `value` under `key`. A new key starts at one use; a present key counts one more use.
   * If the cache is full (or over `maxSize`), the least frequently used entries are evicted
   * first. An entry heavier than `maxSize` on its own is not stored: `onEvict` sees it at once
   * with reason `'evict'` (and the key's old value, if any, with reason `'set'`).
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

    let i = this.hasMissed && key === this.missed ? undefined : this.map.get(key);
    this.hasMissed = false;
    this.missed = undefined;
    if (i !== undefined) {
      const old = this.values_[i] as V;
      this.values_[i] = value;
      this.touch(i);
      if (this.expiresAt !== undefined && !this.noUpdateTTL) this.setExpiry(i, ttl, expiry);
      if (this.sizes !== undefined) {
        this.totalSize_ += weight - this.sizes[i]!;
        this.sizes[i] = weight;
        while (this.totalSize_ > this.maxSize) this.evict(i);
      }
      if (this.onEvict !== undefined && old !== value && !this.noDisposeOnSet)
        this.onEvict(old, key, 'set');
      if (metricsChannel.hasSubscribers) publishMetric(this.name, 'set', key, 'update');
      return this;
    }

    if (this.sizes === undefined && this.map.size === this.capacity) {
      // Full: the victim's slot takes the new entry, then the victim is reported.
      i = this.victim(0);
      const oldKey = this.keys_[i] as K;
      const oldValue = this.values_[i] as V;
      const reason = this.expiresAt !== undefined && this.isStale(i) ? 'expire' : 'evict';
      this.map.delete(oldKey);
      this.leaveBucket(i);
      this.keys_[i] = key;
      this.values_[i] = value;
      this.map.set(key, i);
      this.joinFirstBucket(i);
      if (this.expiresAt !== undefined) this.setExpiry(i, ttl, expiry);
      if (reason === 'evict') this.evictions++;
      else this.expirations++;
      if (metricsChannel.hasSubscribers) {
        publishMetric(this.name, 'remove', oldKey, reason);
        publishMetric(this.name, 'set', key, 'add');
      }
      if (this.onEvict !== undefined) this.onEvict(oldValue, oldKey, reason);
      return this;
    }
    while (this.map.size >= this.capacity) this.evict(0);
    while (this.totalSize_ + weight > this.maxSize && this.map.size > 0) this.evict(0);
    if (this.freeEntry !== 0) {
      i = this.freeEntry;
      this.freeEntry = this.next[i]!;
    } else {
      i = this.freshEntry++;
      if (i === this.next.length) this.growEntries();
    }
    this.keys_[i] = key;
    this.values_[i] = value;
    this.map.set(key, i);
    this.joinFirstBucket(i);
    if (this.expiresAt !== undefined) this.setExpiry(i, ttl, expiry);
    if (this.sizes !== undefined) {
      this.sizes[i] = weight;
      this.totalSize_ += weight;
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
   * `'expire'` for one whose TTL had run out). Stats are kept.
   */
  clear(): void {
    // Collect first and report after the reset (see LRUCache.clear).
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
    this.bNext[0] = 0;
    this.bPrev[0] = 0;
    this.freeEntry = 0;
    this.freshEntry = 1;
    this.freeBucket = 0;
    this.freshBucket = 1;
    this.totalSize_ = 0;
    if (removed !== undefined && this.onEvict !== undefined) {
      for (const [key, value, reason] of removed) this.onEvict(value, key, reason);
    }
  }

  /**
   * Removes the live entry eviction would drop next (the least frequently used, the least
   * recent among equals) and returns its value (`undefined` if none).
   * Expired entries met on the way are removed (reason `'expire'`); the popped entry is
   * reported to `onEvict` with reason `'delete'` (lru-cache's `pop`, which reports `'evict'` and
   * may return an expired value).
   */
  pop(): V | undefined {
    while (this.map.size > 0) {
      const i = this.victim(0);
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

  /** Removes every expired entry (reason `'expire'`, next victim first) and returns how many. */
  prune(): number {
    if (this.expiresAt === undefined) return 0;
    const stale = [...this.order()].filter((i) => this.isStale(i)).reverse();
    for (const i of stale) this.remove(i, 'expire');
    return stale.length;
  }

  /** A snapshot of the counters. */
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

  /** Live keys, most frequently used first. Does not count uses. */
  *keys(): IterableIterator<K> {
    for (const i of this.visit()) if (this.isLive(i)) yield this.keys_[i] as K;
  }

  /** Live values, most frequently used first. Does not count uses. */
  *values(): IterableIterator<V> {
    for (const i of this.visit()) if (this.isLive(i)) yield this.values_[i] as V;
  }

  /** Live `[key, value]` pairs, most frequently used first. Does not count uses. */
  *entries(): IterableIterator<[K, V]> {
    for (const i of this.visit()) {
      if (this.isLive(i)) yield [this.keys_[i] as K, this.values_[i] as V];
    }
  }

  /**
   * Live `[key, value]` pairs in the reverse of {@link LFUCache.entries}' order: the next victim
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

  /** Live keys, in the order of {@link LFUCache.rentries}. */
  *rkeys(): IterableIterator<K> {
    for (const [key] of this.rentries()) yield key;
  }

  /** Live values, in the order of {@link LFUCache.rentries}. */
  *rvalues(): IterableIterator<V> {
    for (const [, value] of this.rentries()) yield value;
  }

  /**
   * `key`'s live entry as {@link LFUCache.dump} gives it (value, remaining `ttlMs` when the
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
   * has TTLs; `Infinity` for none) and weight (`size`, with `sizeOf`): what {@link LFUCache.load}
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

  /** Same as {@link LFUCache.entries}. */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** Calls `fn` for each live entry, most frequently used first. */
  forEach(fn: (value: V, key: K, cache: this) => void): void {
    for (const [key, value] of this.entries()) fn(value, key, this);
  }

  /** The frequency of `key`'s entry (its number of uses), or 0 if absent. For inspection. */
  frequencyOf(key: K): number {
    const i = this.map.get(key);
    return i === undefined ? 0 : this.freq[this.bucketOf[i]!]!;
  }

  // --- frequencies and buckets ---------------------------------------------------------------

  /** The bucket of the least frequently used entries (0, the sentinel, when the cache is empty). */
  private minFreqBucket(): number {
    return this.bNext[0]!;
  }

  /** One more use of entry `i`: it moves from the bucket of frequency f to that of f + 1. */
  private touch(i: number): void {
    const b = this.bucketOf[i]!;
    const f = this.freq[b]! + 1;
    const after = this.bNext[b]!;
    // (The sentinel's frequency is 0, so `after` = 0 never matches f + 1 >= 2.)
    if (this.freq[after] === f) {
      this.leaveBucket(i);
      this.joinBucket(i, after);
    } else if (this.next[i] === i) {
      this.freq[b] = f; // alone in its bucket: the bucket moves up with it
    } else {
      const nb = this.newBucket(f, b);
      this.leaveBucket(i);
      this.joinBucket(i, nb);
    }
  }

  /** Entry `i` (new or reused) joins the bucket of frequency 1, creating it if needed. */
  private joinFirstBucket(i: number): void {
    const first = this.minFreqBucket();
    this.joinBucket(i, this.freq[first] === 1 ? first : this.newBucket(1, 0));
  }

  /** Makes entry `i` the most recent of bucket `b`. */
  private joinBucket(i: number, b: number): void {
    const h = this.head[b]!;
    if (h === 0) {
      this.next[i] = i;
      this.prev[i] = i;
    } else {
      const t = this.prev[h]!;
      this.next[i] = h;
      this.prev[i] = t;
      this.next[t] = i;
      this.prev[h] = i;
    }
    this.head[b] = i;
    this.bucketOf[i] = b;
  }

  /** Takes entry `i` out of its bucket; a bucket left empty leaves the frequency list. */
  private leaveBucket(i: number): void {
    const b = this.bucketOf[i]!;
    const n = this.next[i]!;
    if (n === i) {
      const bn = this.bNext[b]!;
      const bp = this.bPrev[b]!;
      this.bNext[bp] = bn;
      this.bPrev[bn] = bp;
      this.head[b] = 0;
      this.bNext[b] = this.freeBucket;
      this.freeBucket = b;
      return;
    }
    const p = this.prev[i]!;
    this.next[p] = n;
    this.prev[n] = p;
    if (this.head[b] === i) this.head[b] = n;
  }

  /** Doubles the entry arrays (up to capacity + 1). */
  private growEntries(): void {
    const length = grownLength(this.next.length, this.capacity + 1);
    this.next = grow(this.next, length);
    this.prev = grow(this.prev, length);
    this.bucketOf = grow(this.bucketOf, length);
    if (this.expiresAt !== undefined) this.expiresAt = grow(this.expiresAt, length);
    if (this.ttls !== undefined) this.ttls = grow(this.ttls, length);
    if (this.sizes !== undefined) this.sizes = grow(this.sizes, length);
    growSlots(this.keys_, length);
    growSlots(this.values_, length);
  }

  /** Doubles the bucket arrays (up to capacity + 1: at most one bucket per entry). */
  private growBuckets(): void {
    const length = grownLength(this.freq.length, this.capacity + 1);
    this.freq = grow(this.freq, length);
    this.head = grow(this.head, length);
    this.bNext = grow(this.bNext, length);
    this.bPrev = grow(this.bPrev, length);
  }

  /** A new empty bucket of frequency `f`, placed right after bucket `before`. */
  private newBucket(f: number, before: number): number {
    let b = this.freeBucket;
    if (b !== 0) this.freeBucket = this.bNext[b]!;
    else {
      b = this.freshBucket++;
      if (b === this.freq.length) this.growBuckets();
    }
    this.freq[b] = f;
    this.head[b] = 0;
    const after = this.bNext[before]!;
    this.bNext[b] = after;
    this.bPrev[b] = before;
    this.bPrev[after] = b;
    this.bNext[before] = b;
    return b;
  }

  /** The next victim: the least recent entry of the lowest bucket, skipping entry `keep`. */
  private victim(keep: number): number {
    const b = this.minFreqBucket();
    const i = this.prev[this.head[b]!]!;
    if (i !== keep) return i;
    if (this.next[i] !== i) return this.prev[i]!; // the next least recent of the same bucket
    return this.prev[this.head[this.bNext[b]!]!]!; // the least recent of the next bucket
  }

  /** Evicts the next victim other than `keep` (0: none kept). */
  private evict(keep: number): void {
    const i = this.victim(keep);
    this.remove(i, this.expiresAt !== undefined && this.isStale(i) ? 'expire' : 'evict');
  }

  /** Removes entry `i` from the map and its bucket, frees its slot, then tells `onEvict`. */
  private remove(i: number, reason: EvictionReason): void {
    const key = this.keys_[i] as K;
    const value = this.values_[i] as V;
    this.map.delete(key);
    this.leaveBucket(i);
    this.keys_[i] = undefined;
    this.values_[i] = undefined;
    this.next[i] = this.freeEntry;
    this.freeEntry = i;
    if (this.sizes !== undefined) {
      // Back to exactly 0 when empty: fractional weights would otherwise leave rounding dust.
      this.totalSize_ = this.map.size === 0 ? 0 : this.totalSize_ - this.sizes[i]!;
    }
    if (reason === 'evict') this.evictions++;
    else if (reason === 'expire') this.expirations++;
    if (metricsChannel.hasSubscribers) publishMetric(this.name, 'remove', key, reason);
    if (this.onEvict !== undefined) {
      this.onEvict(value, key, reason);
      // onEvict may have called get() on the key a set is about to insert; that miss must not
      // let the next set of the key skip its lookup once the key is in.
      this.hasMissed = false;
    }
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

  /**
   * All entries (live or not), most frequent bucket first, most recent first in a bucket.
   *
   * Each link is read before its entry is handed out, and the walk of a bucket ends at the entry
   * that was its least recent when the walk began (not back at its head, which moves if the head
   * is deleted): so, as with the other caches, a caller may delete the entry it was just given.
   */
  private *order(): IterableIterator<number> {
    for (let b = this.bPrev[0]!; b !== 0; ) {
      const before = this.bPrev[b]!;
      const first = this.head[b]!;
      const last = this.prev[first]!;
      for (let i = first; ; ) {
        const after = this.next[i]!;
        yield i;
        if (i === last) break;
        i = after;
      }
      b = before;
    }
  }
}
