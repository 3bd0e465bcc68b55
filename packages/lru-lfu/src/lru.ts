// LRU cache: a hash map from key to node, plus a doubly linked list of nodes in recency order.
//
// A `get` looks the key up in the map and moves its node to the front of the list; a `set` of a
// new key, when the cache is full, removes the node at the back (the least recently used) and
// reuses it. Both are O(1).
//
// The nodes are not objects: node `i` is slot `i` of a few parallel arrays (`keys[i]`,
// `values[i]`, `next[i]`, `prev[i]`). They start small and double as entries arrive, up to the
// capacity (a cache of 2^30 costs what it holds, not 2^30 slots); the hot path then creates no
// garbage, and the links are 4-byte integers instead of pointers to per-entry objects.
//
// The list is circular around a sentinel, node 0: `next[0]` is the most recently used node and
// `prev[0]` the least recently used. With the sentinel, linking and unlinking need no branches
// for "first" or "last". Free slots (after a delete) are chained through `next`.

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
 * A least-recently-used cache with a fixed capacity: when full, `set` of a new key evicts the
 * entry that was read or written longest ago. Every operation is O(1).
 *
 * Optional: a TTL (per cache and per entry; expired entries are removed lazily when found, or by
 * `prune()`), a weight bound (`maxSize` with `sizeOf`) and an `onEvict` callback.
 *
 * @example
 * const cache = new LRUCache<string, User>({ capacity: 10_000, ttlMs: 60_000 });
 * cache.set('u1', user);
 * cache.get('u1'); // user, now the most recently used
 */
export class LRUCache<K, V> {
  /** The most entries the cache holds. */
  readonly capacity: number;
  /** The `name` option: in `stats()` and on the metrics channel. */
  readonly name: string;
  /** The bound on the sum of entry weights (`Infinity` without `maxSize`). */
  readonly maxSize: number;

  private readonly map = new Map<K, number>();
  private readonly keys_: (K | undefined)[];
  private readonly values_: (V | undefined)[];
  private next: Int32Array;
  private prev: Int32Array;
  /** Absolute expiry time per node, 0 = never. Allocated only once some entry has a TTL. */
  private expiresAt: Float64Array | undefined;
  /** TTL per node (0 = none), kept only with `updateAgeOnGet`/`updateAgeOnHas`: a read restarts it. */
  private ttls: Float64Array | undefined;
  /** Weight per node. Allocated only with `maxSize`. */
  private sizes: Float64Array | undefined;
  private totalSize_ = 0;
  /** First free slot, chained through `next`; 0 when none. */
  private freeHead = 0;
  /** Slots `1..fresh-1` have been used at least once. */
  private fresh = 1;

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

  /**
   * The key of the last `get` that missed (while `hasMissed`), until the next `set`: a `set` of
   * that key can skip its map lookup (the common get-then-set-on-miss pattern).
   */
  private missed: K | undefined = undefined;
  private hasMissed = false;

  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private expirations = 0;

  /** @throws TypeError or RangeError naming the bad option. */
  constructor(options: CacheOptions<K, V>) {
    const o = resolveOptions(options, 'LRUCache');
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

  /** The value of `key`, which becomes the most recently used; `undefined` if absent or expired (with `allowStale`, an expired value is returned once as it is removed). */
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
    if (this.next[0] !== i) this.moveToFront(i);
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
   * The value of `key` without making it the most recently used and without counting a hit.
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
   * Whether `key` holds a live entry. Does not change its recency.
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
   * Stores `value` under `key` as the most recently used entry, evicting the least recently used
   * ones if the cache is full (or over `maxSize`). An entry heavier than `maxSize` on its own is
   * not stored: `onEvict` sees it at once with reason `'evict'` (and the key's old value, if any,
   * with reason `'set'`).
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
      if (this.next[0] !== i) this.moveToFront(i);
      if (this.expiresAt !== undefined && !this.noUpdateTTL) this.setExpiry(i, ttl, expiry);
      if (this.sizes !== undefined) {
        this.totalSize_ += weight - this.sizes[i]!;
        this.sizes[i] = weight;
        this.shrinkTo(this.maxSize);
      }
      if (this.onEvict !== undefined && old !== value && !this.noDisposeOnSet)
        this.onEvict(old, key, 'set');
      if (metricsChannel.hasSubscribers) publishMetric(this.name, 'set', key, 'update');
      return this;
    }

    if (this.sizes === undefined && this.map.size === this.capacity) {
      // Full, no weights: the least recently used node takes the new entry in place (no trip
      // through the free list); the old entry is reported last, once the cache is consistent.
      i = this.prev[0]!;
      const oldKey = this.keys_[i] as K;
      const oldValue = this.values_[i] as V;
      const reason = this.expiresAt !== undefined && this.isStale(i) ? 'expire' : 'evict';
      this.map.delete(oldKey);
      this.keys_[i] = key;
      this.values_[i] = value;
      this.map.set(key, i);
      this.moveToFront(i);
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
    // Here the cache has room, or has weights: room is made by count, then by weight.
    while (this.map.size >= this.capacity) this.evictLeastRecent();
    if (this.sizes !== undefined) this.shrinkTo(this.maxSize - weight);
    if (this.freeHead !== 0) {
      i = this.freeHead;
      this.freeHead = this.next[i]!;
    } else {
      i = this.fresh++;
      if (i === this.next.length) this.grow();
    }
    this.keys_[i] = key;
    this.values_[i] = value;
    this.map.set(key, i);
    this.linkFront(i);
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
   * Removes every entry; `onEvict` sees each, most recent first, with reason `'delete'` (or
   * `'expire'` for one whose TTL had run out). Stats are kept.
   */
  clear(): void {
    // Collect first and report after the reset, so that onEvict sees an empty cache. With TTLs
    // the walk is needed even without onEvict, to count the expired entries.
    let removed: [K, V, EvictionReason][] | undefined;
    if (this.onEvict !== undefined || this.expiresAt !== undefined) {
      removed = [];
      for (let i = this.next[0]!; i !== 0; i = this.next[i]!) {
        const stale = this.expiresAt !== undefined && this.isStale(i);
        if (stale) this.expirations++;
        removed.push([this.keys_[i] as K, this.values_[i] as V, stale ? 'expire' : 'delete']);
      }
    }
    this.map.clear();
    this.keys_.fill(undefined);
    this.values_.fill(undefined);
    this.next[0] = 0;
    this.prev[0] = 0;
    this.freeHead = 0;
    this.fresh = 1;
    this.totalSize_ = 0;
    if (removed !== undefined && this.onEvict !== undefined) {
      for (const [key, value, reason] of removed) this.onEvict(value, key, reason);
    }
  }

  /**
   * Removes the least recently used live entry and returns its value (`undefined` if none).
   * Expired entries met on the way are removed (reason `'expire'`); the popped entry is
   * reported to `onEvict` with reason `'delete'` (lru-cache's `pop`, which reports `'evict'` and
   * may return an expired value).
   */
  pop(): V | undefined {
    while (this.map.size > 0) {
      const i = this.prev[0]!;
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

  /** Removes every expired entry (reason `'expire'`, least recent first); returns how many. */
  prune(): number {
    if (this.expiresAt === undefined) return 0;
    let removed = 0;
    let i = this.prev[0]!;
    while (i !== 0) {
      const before = this.prev[i]!;
      if (this.isStale(i)) {
        this.remove(i, 'expire');
        removed++;
      }
      i = before;
    }
    return removed;
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

  /** Live keys, most recently used first. Does not change recency. */
  *keys(): IterableIterator<K> {
    for (const [key] of this.nodes()) yield key;
  }

  /** Live values, most recently used first. Does not change recency. */
  *values(): IterableIterator<V> {
    for (const [, value] of this.nodes()) yield value;
  }

  /** Live `[key, value]` pairs, most recently used first. Does not change recency. */
  entries(): IterableIterator<[K, V]> {
    return this.nodes();
  }

  /**
   * Live `[key, value]` pairs in the reverse of {@link LRUCache.entries}' order: the next victim
   * first (lru-cache's `rentries`). The same guarantees under deletion as `entries`.
   */
  *rentries(): IterableIterator<[K, V]> {
    const slots: number[] = [];
    const keys: K[] = [];
    for (let i = this.next[0]!; i !== 0; i = this.next[i]!) {
      slots.push(i);
      keys.push(this.keys_[i] as K);
    }
    for (let n = slots.length - 1; n >= 0; n--) {
      const i = slots[n]!;
      if (this.map.get(keys[n]!) !== i) continue;
      if (this.expiresAt === undefined || !this.isStale(i)) yield [keys[n]!, this.values_[i] as V];
    }
  }

  /** Live keys, in the order of {@link LRUCache.rentries}. */
  *rkeys(): IterableIterator<K> {
    for (const [key] of this.rentries()) yield key;
  }

  /** Live values, in the order of {@link LRUCache.rentries}. */
  *rvalues(): IterableIterator<V> {
    for (const [, value] of this.rentries()) yield value;
  }

  /**
   * `key`'s live entry as {@link LRUCache.dump} gives it (value, remaining `ttlMs` when the
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
   * has TTLs; `Infinity` for none) and weight (`size`, with `sizeOf`): what {@link LRUCache.load}
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

  /** Same as {@link LRUCache.entries}. */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.nodes();
  }

  /** Calls `fn` for each live entry, most recently used first. */
  forEach(fn: (value: V, key: K, cache: this) => void): void {
    for (const [key, value] of this.nodes()) fn(value, key, this);
  }

  /** Doubles the slot arrays (up to capacity + 1): the cache is full up to its last slot. */
  private grow(): void {
    const length = grownLength(this.next.length, this.capacity + 1);
    this.next = grow(this.next, length);
    this.prev = grow(this.prev, length);
    if (this.expiresAt !== undefined) this.expiresAt = grow(this.expiresAt, length);
    if (this.ttls !== undefined) this.ttls = grow(this.ttls, length);
    if (this.sizes !== undefined) this.sizes = grow(this.sizes, length);
    growSlots(this.keys_, length);
    growSlots(this.values_, length);
  }

  // --- the list -------------------------------------------------------------------------------

  /** Inserts node `i` right after the sentinel: it becomes the most recently used. */
  private linkFront(i: number): void {
    const head = this.next[0]!;
    this.next[i] = head;
    this.prev[i] = 0;
    this.prev[head] = i;
    this.next[0] = i;
  }

  /** Takes node `i` out of the list. */
  private unlink(i: number): void {
    const n = this.next[i]!;
    const p = this.prev[i]!;
    this.next[p] = n;
    this.prev[n] = p;
  }

  private moveToFront(i: number): void {
    this.unlink(i);
    this.linkFront(i);
  }

  /** Removes node `i` from the map and the list, frees its slot, then tells `onEvict`. */
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

  /** Evicts least recently used entries until the total weight is at most `limit`. */
  private shrinkTo(limit: number): void {
    // After an update the entry just written is the most recent and weighs at most maxSize, so
    // the loop stops before reaching it; before an insert `limit` is maxSize minus its weight.
    while (this.totalSize_ > limit && this.map.size > 0) this.evictLeastRecent();
  }

  /** Removes the least recently used entry: reason `'expire'` if its TTL ran out, else `'evict'`. */
  private evictLeastRecent(): void {
    const i = this.prev[0]!;
    this.remove(i, this.expiresAt !== undefined && this.isStale(i) ? 'expire' : 'evict');
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

  /**
   * Live nodes from most to least recently used, as they are when iteration starts, each handed
   * out only if it is still in the cache when its turn comes. The caller may delete any entry
   * meanwhile (the one it was just given or any other): a deleted entry is skipped, never read
   * from the free list; entries added meanwhile are not visited. Costs one array of the entries
   * per walk.
   */
  private *nodes(): IterableIterator<[K, V]> {
    const slots: number[] = [];
    const keys: K[] = [];
    for (let i = this.next[0]!; i !== 0; i = this.next[i]!) {
      slots.push(i);
      keys.push(this.keys_[i] as K);
    }
    for (let n = 0; n < slots.length; n++) {
      const i = slots[n]!;
      if (this.map.get(keys[n]!) !== i) continue;
      if (this.expiresAt === undefined || !this.isStale(i)) {
        yield [keys[n]!, this.values_[i] as V];
      }
    }
  }
}
