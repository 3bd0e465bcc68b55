// The shell the three caches share: the key map, the slots that hold keys and values, TTLs,
// weights, onEvict, stats, the metrics channel and iteration. What it does not know is which
// entry to evict; that is the policy, a subclass (lru.ts, lfu.ts, w-tinylfu.ts) that threads the
// slots' links (`next`/`prev`, kept here) into its own lists and answers these calls:
//
//   added(i, afterMiss)  a new entry took slot i           used(i)    a get hit or a set of its key
//   removed(i)           slot i's entry is leaving          missed(k)  a get found no live entry
//   victim(keep)         whom eviction takes next           order()    slots, most worth keeping first
//   grown(length)        the slot arrays grew               cleared()  every entry went at once
//   resized(previous)    the capacity changed
//
// An entry lives in a slot: slot `i` is index `i` of a few parallel arrays (`keys_[i]`,
// `values_[i]`, `next[i]`, `prev[i]`, and the policy's own). The arrays start small and double
// as entries arrive, up to the capacity, so a cache costs memory for what it holds; the hot path
// then creates no garbage. Slots below `reserved` are the policy's list sentinels and never hold
// an entry.
//
// Why subclasses and not a policy object: the shell calls its policy as `this.used(i)`, and each
// cache class is a receiver shape of its own. A process that uses one class sees every such call
// site monomorphic (and inlined); one that uses all three, polymorphic of degree 3, never
// megamorphic. A separate policy object would add a load and the same polymorphism.

import { type Clock, checkInteger, rangeError, typeError } from '@bulwark/kernel';
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
  MAX_CAPACITY,
  resolveOptions,
  type SetOptions,
} from './options.js';

/**
 * What `LRUCache`, `LFUCache` and `WTinyLFUCache` have in common: every method but the choice
 * of whom to evict. Not constructed directly.
 */
export abstract class CacheShell<K, V> {
  // The fields the hot path reads come first: they share the object's first cache lines.

  /** Key to slot. */
  protected readonly map = new Map<K, number>();
  protected keys_: (K | undefined)[];
  protected values_: (V | undefined)[];
  /** Each slot's two links, which the policy threads into its lists (see `linkFront`). */
  protected next: Int32Array;
  protected prev: Int32Array;
  /** Absolute expiry time per slot, 0 = never. Allocated only once some entry has a TTL. */
  protected expiresAt: Float64Array | undefined;
  protected hits = 0;
  protected misses = 0;
  /**
   * The key of the last `get` that missed (while `hasMissed`), until the next `set`: a `set` of
   * that key skips its map lookup (the common get-then-set-on-miss pattern), and the policy
   * knows the access was already counted.
   */
  private missedKey: K | undefined = undefined;
  private hasMissed = false;
  /** Weight per slot. Allocated only with `sizeOf`. */
  private sizes: Float64Array | undefined;
  private readonly onEvict: ((value: V, key: K, reason: EvictionReason) => void) | undefined;
  private readonly ttlMs: number;

  /** The `name` option: in `stats()` and on the metrics channel. */
  readonly name: string;
  /** The bound on the sum of entry weights (`Infinity` without `maxSize`). */
  readonly maxSize: number;
  /** TTL per slot (0 = none), kept only with `updateAgeOnGet`/`updateAgeOnHas`: a read restarts it. */
  private ttls: Float64Array | undefined;
  protected totalSize_ = 0;
  /** The length of the slot arrays. */
  protected slotCount: number;
  /** Slots freed by removals, reused first. */
  private readonly freeSlots: number[] = [];
  /** Slots `reserved .. fresh-1` have held an entry at least once. */
  private fresh: number;
  private readonly reserved: number;
  private capacity_: number;
  private readonly sizeOf: ((value: V, key: K) => number) | undefined;
  protected readonly clock: Clock;
  private readonly noUpdateTTL: boolean;
  private readonly noDisposeOnSet: boolean;
  private readonly updateAgeOnGet: boolean;
  private readonly updateAgeOnHas: boolean;
  private readonly allowStale: boolean;
  /** Heaviest entry stored: `maxEntrySize`, else `maxSize` (`Infinity` without either). */
  private readonly maxEntrySize: number;
  private evictions = 0;
  private expirations = 0;

  /**
   * @param where the class name, for error messages.
   * @param reserved slots `0 .. reserved-1` belong to the policy (its list sentinels).
   * @throws TypeError or RangeError naming the bad option.
   */
  protected constructor(options: CacheOptions<K, V>, where: string, reserved: number) {
    const o = resolveOptions(options, where);
    this.capacity_ = o.capacity;
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
    this.reserved = reserved;
    this.fresh = reserved;
    this.slotCount = Math.min(o.capacity + reserved, INITIAL_SLOTS);
    this.keys_ = new Array<K | undefined>(this.slotCount).fill(undefined);
    this.values_ = new Array<V | undefined>(this.slotCount).fill(undefined);
    this.next = new Int32Array(this.slotCount);
    this.prev = new Int32Array(this.slotCount);
    if (o.ttlMs > 0) this.allocateExpiry(this.slotCount);
    if (o.sizeOf !== undefined) this.sizes = new Float64Array(this.slotCount);
  }

  // --- the policy -----------------------------------------------------------------------------

  /** A new entry took slot `i`; `afterMiss`: right after a `get` of its key missed (counted). */
  protected abstract added(i: number, afterMiss: boolean): void;
  /** The entry in slot `i` is leaving (removed, or its slot about to take a new entry). */
  protected abstract removed(i: number): void;
  /** The entry in slot `i` was used: a `get` that found it live, or a `set` of its key. */
  protected abstract used(i: number): void;
  /** The slot eviction takes next, never `keep` (0: nothing to spare); the cache is not empty. */
  protected abstract victim(keep: number): number;
  /** Every slot holding an entry (live or not), the most worth keeping first. */
  protected abstract order(): IterableIterator<number>;
  /** The slot arrays (`next` and `prev` too) are now `length` long: the policy's own follow. */
  protected abstract grown(length: number): void;
  /** Every entry is gone at once (`clear()`): the policy starts afresh. */
  protected abstract cleared(): void;
  /** A `get` of `key` found no live entry. */
  protected missed(_key: K): void {}
  /** The capacity changed from `previous` (`resize()`), before any eviction it calls for. */
  protected resized(_previous: number): void {}

  // --- reads ----------------------------------------------------------------------------------

  /** The most entries the cache holds (changed by `resize()`). */
  get capacity(): number {
    return this.capacity_;
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
   * The value of `key`, which counts as a use; `undefined` if absent or expired (with
   * `allowStale`, an expired value is returned once as it is removed).
   */
  get(key: K): V | undefined {
    const i = this.map.get(key);
    if (i === undefined) {
      this.misses++;
      this.rememberMiss(key);
      if (metricsChannel.hasSubscribers) publishMetric(this.name, 'get', key, 'miss');
      return undefined;
    }
    if (this.expiresAt !== undefined) {
      if (this.isStale(i)) {
        const stale = this.values_[i];
        this.misses++;
        this.remove(i, 'expire');
        this.rememberMiss(key);
        if (metricsChannel.hasSubscribers) publishMetric(this.name, 'get', key, 'expired');
        return this.allowStale ? stale : undefined;
      }
      if (this.updateAgeOnGet) this.renew(i);
    }
    this.hits++;
    this.used(i);
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
   * Whether `key` holds a live entry, without counting a use.
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

  // --- writes ---------------------------------------------------------------------------------

  /**
   * Stores `value` under `key`: a present key counts one more use; a new key, when the cache is
   * full (or would pass `maxSize`), first makes room by evicting what the policy chooses (never
   * an entry the same `set` writes). An entry heavier than `maxEntrySize` (else `maxSize`) is
   * not stored: `onEvict` sees it at once with reason `'evict'` (and the key's old value, if
   * any, with reason `'set'`).
   */
  set(key: K, value: V, options?: SetOptions): this {
    let ttl = this.ttlMs;
    if (options !== undefined && checkSetOptions(options).ttlMs !== undefined) {
      ttl = checkTtl(options.ttlMs, 'ttlMs');
      if (ttl === Number.POSITIVE_INFINITY) ttl = 0;
      else if (this.expiresAt === undefined) this.allocateExpiry(this.slotCount);
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

    const afterMiss = this.hasMissed && key === this.missedKey;
    this.hasMissed = false;
    this.missedKey = undefined;
    let i = afterMiss ? undefined : this.map.get(key);
    if (i !== undefined) return this.update(i, key, value, ttl, expiry, weight);
    if (this.sizes === undefined && this.map.size >= this.capacity_) {
      return this.replaceVictim(key, value, ttl, expiry, afterMiss);
    }
    // Room is made by count, then by weight, before the entry goes in.
    while (this.map.size >= this.capacity_) this.evict(0);
    if (this.sizes !== undefined) {
      while (this.totalSize_ + weight > this.maxSize && this.map.size > 0) this.evict(0);
    }
    i = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.freshSlot();
    this.keys_[i] = key;
    this.values_[i] = value;
    this.map.set(key, i);
    if (this.expiresAt !== undefined) this.setExpiry(i, ttl, expiry);
    if (this.sizes !== undefined) {
      this.sizes[i] = weight;
      this.totalSize_ += weight;
    }
    this.added(i, afterMiss);
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
   * `'expire'` for one whose TTL had run out). The policy's memory of past uses goes too; stats
   * are kept.
   */
  clear(): void {
    // Collect first and report after the reset, so that onEvict sees an empty cache. With TTLs
    // the walk is needed even without onEvict, to count the expired entries.
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
    this.freeSlots.length = 0;
    this.fresh = this.reserved;
    this.totalSize_ = 0;
    this.cleared();
    if (removed !== undefined && this.onEvict !== undefined) {
      for (const [key, value, reason] of removed) this.onEvict(value, key, reason);
    }
  }

  /**
   * Removes the live entry eviction would take next and returns its value (`undefined` if
   * none). Expired entries met on the way are removed (reason `'expire'`); the popped entry is
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

  /** Removes every expired entry (reason `'expire'`, in `rkeys()` order); returns how many. */
  prune(): number {
    if (this.expiresAt === undefined) return 0;
    const stale = [...this.order()].filter((i) => this.isStale(i)).reverse();
    for (const i of stale) this.remove(i, 'expire');
    return stale.length;
  }

  /**
   * Sets a new capacity (an integer from 1 to 2^30). Shrinking evicts, as the policy chooses,
   * down to the new capacity (reason `'evict'`, or `'expire'` for an expired victim); the slot
   * arrays keep their length. Growing takes effect at once; memory still follows the entries.
   * @throws TypeError or RangeError naming `capacity`.
   */
  resize(capacity: number): void {
    checkInteger('capacity', capacity, 1);
    if (capacity > MAX_CAPACITY) rangeError('capacity', 'an integer <= 2^30', capacity);
    const previous = this.capacity_;
    this.capacity_ = capacity;
    this.resized(previous);
    while (this.map.size > capacity) this.evict(0);
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

  // --- iteration ------------------------------------------------------------------------------

  /** Live keys, in iteration order (see the class). Counts no use. */
  *keys(): IterableIterator<K> {
    for (const i of this.walk(false)) yield this.keys_[i] as K;
  }

  /** Live values, in iteration order. Counts no use. */
  *values(): IterableIterator<V> {
    for (const i of this.walk(false)) yield this.values_[i] as V;
  }

  /**
   * Live `[key, value]` pairs, in iteration order. Counts no use. The caller may delete any
   * entry meanwhile: a deleted entry is skipped; entries added meanwhile are not visited.
   */
  *entries(): IterableIterator<[K, V]> {
    for (const i of this.walk(false)) yield [this.keys_[i] as K, this.values_[i] as V];
  }

  /**
   * Live `[key, value]` pairs in the reverse of `entries()` order: the next victim first
   * (lru-cache's `rentries`). The same guarantees under deletion as `entries`.
   */
  *rentries(): IterableIterator<[K, V]> {
    for (const i of this.walk(true)) yield [this.keys_[i] as K, this.values_[i] as V];
  }

  /** Live keys, in `rentries()` order. */
  *rkeys(): IterableIterator<K> {
    for (const [key] of this.rentries()) yield key;
  }

  /** Live values, in `rentries()` order. */
  *rvalues(): IterableIterator<V> {
    for (const [, value] of this.rentries()) yield value;
  }

  /** Same as `entries()`. */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** Calls `fn` for each live entry, in iteration order. */
  forEach(fn: (value: V, key: K, cache: this) => void): void {
    for (const [key, value] of this.entries()) fn(value, key, this);
  }

  /**
   * `key`'s live entry as `dump()` gives it (value, remaining `ttlMs` when the cache has TTLs,
   * `size` with `sizeOf`); `undefined` if absent or expired. Reads only: counts no use and
   * removes nothing.
   */
  info(key: K): DumpEntry<V> | undefined {
    const i = this.map.get(key);
    if (i === undefined || !this.isLive(i)) return undefined;
    const entry: DumpEntry<V> = { value: this.values_[i] as V };
    if (this.expiresAt !== undefined) entry.ttlMs = this.getRemainingTTL(key);
    if (this.sizes !== undefined) entry.size = this.sizes[i]!;
    return entry;
  }

  /**
   * The live entries, next victim first, each with its remaining TTL (`ttlMs`, when the cache
   * has TTLs; `Infinity` for none) and weight (`size`, with `sizeOf`): what `load()` takes to
   * warm another cache. Reads only.
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

  // --- for the policies -----------------------------------------------------------------------

  /** Whether slot `i`'s entry has expired (only while the cache has TTLs). */
  protected isStale(i: number): boolean {
    const at = this.expiresAt![i]!;
    return at !== 0 && at <= this.clock.now();
  }

  /**
   * Makes slot `i` the most recent entry of the list around sentinel slot `s`: lists are
   * circular, `next[s]` is the most recent entry and `prev[s]` the least; with a sentinel,
   * linking and unlinking need no branch for "first" or "last".
   */
  protected linkFront(i: number, s: number): void {
    const first = this.next[s]!;
    this.next[i] = first;
    this.prev[i] = s;
    this.prev[first] = i;
    this.next[s] = i;
  }

  /** Takes slot `i` out of its list. */
  protected unlink(i: number): void {
    const n = this.next[i]!;
    const p = this.prev[i]!;
    this.next[p] = n;
    this.prev[n] = p;
  }

  /** The entries of the list around sentinel `s`, most recent first. */
  protected *listed(s: number): IterableIterator<number> {
    for (let i = this.next[s]!; i !== s; i = this.next[i]!) yield i;
  }

  // --- inside the shell -----------------------------------------------------------------------

  private rememberMiss(key: K): void {
    this.missedKey = key;
    this.hasMissed = true;
    this.missed(key);
  }

  /** A `set` of a key the cache holds (in slot `i`). */
  private update(i: number, key: K, value: V, ttl: number, expiry: number, weight: number): this {
    const old = this.values_[i] as V;
    this.values_[i] = value;
    this.used(i);
    if (this.expiresAt !== undefined && !this.noUpdateTTL) this.setExpiry(i, ttl, expiry);
    if (this.sizes !== undefined) {
      this.totalSize_ += weight - this.sizes[i]!;
      this.sizes[i] = weight;
      // The entry weighs at most maxSize, so others go before it would.
      while (this.totalSize_ > this.maxSize && this.map.size > 1) this.evict(i);
    }
    if (this.onEvict !== undefined && old !== value && !this.noDisposeOnSet)
      this.onEvict(old, key, 'set');
    if (metricsChannel.hasSubscribers) publishMetric(this.name, 'set', key, 'update');
    return this;
  }

  /**
   * A new key in a full cache without weights: the victim's slot takes the new entry in place
   * (no trip through the free slots); the victim is reported last, once the cache is consistent.
   */
  private replaceVictim(key: K, value: V, ttl: number, expiry: number, afterMiss: boolean): this {
    const i = this.victim(0);
    const oldKey = this.keys_[i] as K;
    const oldValue = this.values_[i] as V;
    const reason = this.expiresAt !== undefined && this.isStale(i) ? 'expire' : 'evict';
    this.map.delete(oldKey);
    this.removed(i);
    this.keys_[i] = key;
    this.values_[i] = value;
    this.map.set(key, i);
    if (this.expiresAt !== undefined) this.setExpiry(i, ttl, expiry);
    this.added(i, afterMiss);
    if (reason === 'evict') this.evictions++;
    else this.expirations++;
    if (metricsChannel.hasSubscribers) {
      publishMetric(this.name, 'remove', oldKey, reason);
      publishMetric(this.name, 'set', key, 'add');
    }
    if (this.onEvict !== undefined) this.onEvict(oldValue, oldKey, reason);
    return this;
  }

  /** Evicts the policy's victim other than `keep`: reason `'expire'` if its TTL ran out. */
  private evict(keep: number): void {
    const i = this.victim(keep);
    this.remove(i, this.expiresAt !== undefined && this.isStale(i) ? 'expire' : 'evict');
  }

  /** Removes slot `i`'s entry from the map and the policy, frees the slot, tells `onEvict`. */
  private remove(i: number, reason: EvictionReason): void {
    const key = this.keys_[i] as K;
    const value = this.values_[i] as V;
    this.map.delete(key);
    this.removed(i);
    this.keys_[i] = undefined;
    this.values_[i] = undefined;
    this.freeSlots.push(i);
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

  /** A slot never used before, growing the arrays when they are full. */
  private freshSlot(): number {
    const i = this.fresh++;
    if (i === this.slotCount) {
      const length = grownLength(this.slotCount, this.capacity_ + this.reserved);
      this.slotCount = length;
      if (this.expiresAt !== undefined) this.expiresAt = grow(this.expiresAt, length);
      if (this.ttls !== undefined) this.ttls = grow(this.ttls, length);
      if (this.sizes !== undefined) this.sizes = grow(this.sizes, length);
      this.keys_ = growSlots(this.keys_, length);
      this.values_ = growSlots(this.values_, length);
      this.next = grow(this.next, length);
      this.prev = grow(this.prev, length);
      this.grown(length);
    }
    return i;
  }

  /** Creates the expiry arrays (`length` slots) once some entry has a TTL. */
  private allocateExpiry(length: number): void {
    this.expiresAt = new Float64Array(length);
    if (this.updateAgeOnGet || this.updateAgeOnHas) this.ttls = new Float64Array(length);
  }

  /** Gives slot `i` its TTL (`ttl`, 0 = none) and its expiry time. */
  private setExpiry(i: number, ttl: number, expiry: number): void {
    this.expiresAt![i] = expiry;
    if (this.ttls !== undefined) this.ttls[i] = ttl;
  }

  /** Restarts slot `i`'s TTL from now (`updateAgeOnGet`, `updateAgeOnHas`). */
  private renew(i: number): void {
    const ttl = this.ttls![i]!;
    if (ttl !== 0) this.expiresAt![i] = this.clock.now() + ttl;
  }

  private isLive(i: number): boolean {
    return this.expiresAt === undefined || !this.isStale(i);
  }

  /**
   * The live slots of `order()` (reversed: from the last), as they are when the walk starts,
   * each handed out only if it still holds the same entry when its turn comes. The caller may
   * delete any entry meanwhile (the one it was just given or any other): a deleted entry is
   * skipped, never read from a freed slot (a later set may even reuse the slot for another key);
   * entries added meanwhile are not visited. Costs two arrays of the entries per walk.
   */
  private *walk(reversed: boolean): IterableIterator<number> {
    const slots: number[] = [];
    const keys: K[] = [];
    for (const i of this.order()) {
      slots.push(i);
      keys.push(this.keys_[i] as K);
    }
    for (let k = 0; k < slots.length; k++) {
      const n = reversed ? slots.length - 1 - k : k;
      const i = slots[n]!;
      if (this.map.get(keys[n]!) === i && this.isLive(i)) yield i;
    }
  }
}
