// Options, stats and the validation shared by LRUCache, LFUCache and WTinyLFUCache.

import {
  type Clock,
  checkBoolean,
  checkClock,
  checkFunction,
  checkInteger,
  checkKnownKeys,
  checkNumber,
  checkString,
  rangeError,
  systemClock,
  typeError,
  withRenames,
} from '@bulwark/kernel';

/**
 * Why an entry left the cache, as passed to `onEvict`:
 * - `'evict'`: pushed out by the eviction policy (capacity or `maxSize`), or, for
 *   `WTinyLFUCache`, refused admission;
 * - `'expire'`: its TTL ran out (found on access, by `prune()`, as the eviction victim or
 *   by `clear()`);
 * - `'delete'`: removed by `delete()` or `clear()`;
 * - `'set'`: its value was replaced by `set()` with a different value.
 */
export type EvictionReason = 'evict' | 'expire' | 'delete' | 'set';

/** Options of `LRUCache`, `LFUCache` and `WTinyLFUCache`. Only `capacity` is required. */
export interface CacheOptions<K, V> {
  /** The most entries the cache holds; fixed at construction. An integer from 1 to 2^30. */
  capacity: number;
  /** Default time to live of every entry, in ms (> 0; `Infinity`: never). Default: never. */
  ttlMs?: number;
  /**
   * Upper bound of the sum of `sizeOf(value, key)` over all entries, finite and > 0. Requires
   * `sizeOf`. Default: no weight bound, only `capacity`.
   */
  maxSize?: number;
  /**
   * Weight of one entry, a finite number ≥ 0; called once per `set`. Requires `maxSize` or
   * `maxEntrySize`. If it
   * throws or returns a bad weight, `set` throws and the cache is unchanged.
   */
  sizeOf?: (value: V, key: K) => number;
  /**
   * Called synchronously after an entry has left the cache (the cache is consistent when it runs).
   * If it throws, the error reaches the caller of the operation that removed the entry, which
   * stops there: the cache stays consistent, but a `set` may leave the total weight above
   * `maxSize` until the next `set`. It may read the cache but must not change it (no `set`,
   * `delete` or `clear` from inside).
   */
  onEvict?: (value: V, key: K, reason: EvictionReason) => void;
  /**
   * Source of time for TTLs, in ms; only differences matter. Default the kernel's `systemClock`
   * (monotonic).
   */
  clock?: Clock;
  /** The cache's name in `stats()` and on the metrics channel. Default `'default'`. */
  name?: string;
  /**
   * A `set` of a key already held keeps the entry's expiry instead of restarting its TTL
   * (lru-cache's option of the same name). A new key always gets its TTL. Default `false`.
   */
  noUpdateTTL?: boolean;
  /**
   * A `set` that replaces a key's value does not report the old value to `onEvict` (reason
   * `'set'`); other removals are still reported (lru-cache's option of the same name).
   * Default `false`.
   */
  noDisposeOnSet?: boolean;
  /**
   * A `get` that finds a live entry restarts its TTL from now, as a `set` would (lru-cache's
   * option of the same name). Entries without a TTL are untouched. Default `false`.
   */
  updateAgeOnGet?: boolean;
  /**
   * A `has` that finds a live entry restarts its TTL from now (lru-cache's option of the same
   * name). `peek` never does. Default `false`.
   */
  updateAgeOnHas?: boolean;
  /**
   * A `get` or `peek` that finds an expired entry returns its value once, as it removes it
   * (reason `'expire'`; a `get` still counts a miss), instead of `undefined` (lru-cache's option
   * of the same name, without its `noDeleteOnStaleGet`). `has` and iteration never show an
   * expired entry. Default `false`.
   */
  allowStale?: boolean;
  /**
   * Heaviest entry stored, finite, > 0 and at most `maxSize`: a `set` of a heavier one is refused
   * (`onEvict` sees it with reason `'evict'`; the key's old value goes with reason `'set'`).
   * Requires `sizeOf`; usable without `maxSize` (weights then bound single entries only).
   * Default `maxSize` (lru-cache's option of the same name).
   */
  maxEntrySize?: number;
}

/** Options of `WTinyLFUCache`: those of every cache, and two of its own. */
export interface WTinyLFUOptions<K, V> extends CacheOptions<K, V> {
  /**
   * Whether a hill climber moves the window/main split to follow the workload (as Caffeine
   * does). `false` keeps the window at 1% of the capacity. Default `true`.
   */
  adaptive?: boolean;
  /**
   * Whether a Bloom filter (the TinyLFU "doorkeeper") keeps keys seen once per aging period out
   * of the frequency sketch; costs 2 bytes per entry of capacity. Default `false`.
   */
  doorkeeper?: boolean;
}

/** Per-entry options of `set`. */
export interface SetOptions {
  /** Time to live of this entry in ms (> 0; `Infinity`: never expires). Default: the cache's `ttlMs`. */
  ttlMs?: number;
  /**
   * Weight of this entry, a finite number ≥ 0, used instead of `sizeOf(value, key)`; only for a
   * cache with `maxSize` or `maxEntrySize` (lru-cache's `size` option of `set`).
   */
  size?: number;
}

/** One entry of a cache's `dump()`, as its `load()` takes it. */
export interface DumpEntry<V> {
  /** The entry's value. */
  value: V;
  /** Remaining time to live in ms at the dump (`Infinity`: none); absent for a cache without TTLs. */
  ttlMs?: number;
  /** The entry's weight; present for a cache with `sizeOf`. */
  size?: number;
}

/** A snapshot of a cache's counters, from `stats()`. */
export interface CacheStats {
  /** The cache's `name`. */
  name: string;
  /** `get` calls that found a live entry. */
  hits: number;
  /** `get` calls that found no entry, or an expired one. */
  misses: number;
  /**
   * Entries removed by the eviction policy, refused admission, or too heavy to store (reason
   * `'evict'`).
   */
  evictions: number;
  /** Entries removed because their TTL ran out (reason `'expire'`). */
  expirations: number;
  /** Entries held now (expired entries count until they are found or purged). */
  size: number;
}

/** Options after validation, as the caches use them. @internal */
export interface ResolvedOptions<K, V> {
  capacity: number;
  /** 0 when the cache has no default TTL. */
  ttlMs: number;
  /** `Infinity` when no `maxSize` was given. */
  maxSize: number;
  sizeOf: ((value: V, key: K) => number) | undefined;
  onEvict: ((value: V, key: K, reason: EvictionReason) => void) | undefined;
  clock: Clock;
  name: string;
  noUpdateTTL: boolean;
  noDisposeOnSet: boolean;
  updateAgeOnGet: boolean;
  updateAgeOnHas: boolean;
  allowStale: boolean;
  /** `Infinity` when neither `maxEntrySize` nor `maxSize` was given. */
  maxEntrySize: number;
}

/** Largest capacity accepted: node indices live in `Int32Array`s. */
export const MAX_CAPACITY = 2 ** 30;

const OPTIONS: ReadonlySet<string> = new Set([
  'capacity',
  'ttlMs',
  'maxSize',
  'sizeOf',
  'onEvict',
  'clock',
  'name',
  'noUpdateTTL',
  'noDisposeOnSet',
  'updateAgeOnGet',
  'updateAgeOnHas',
  'allowStale',
  'maxEntrySize',
]);
const W_TINYLFU_OPTIONS: ReadonlySet<string> = new Set([...OPTIONS, 'adaptive', 'doorkeeper']);
const SET_OPTIONS: ReadonlySet<string> = new Set(['ttlMs', 'size']);
/**
 * lru-cache's names for our options (and the project's former names): a user moving over is
 * told the name here instead of a near miss (lru-cache's `max` is `capacity`, not `maxSize`).
 */
const RENAMES = withRenames([
  ['max', 'capacity'],
  ['sizeCalculation', 'sizeOf'],
  ['dispose', 'onEvict'],
  ['disposeAfter', 'onEvict'],
  ['perf', 'clock'],
]);

/**
 * Slots the caches allocate at construction (or fewer, for a smaller capacity). Their arrays then
 * double as entries arrive, up to the capacity, so a cache costs memory for what it holds, not
 * for what it could hold. @internal
 */
export const INITIAL_SLOTS = 64;

/** The next length of the slot arrays: double, at most `max`. @internal */
export function grownLength(length: number, max: number): number {
  return Math.min(length * 2, max);
}

/** A copy of `array` of length `length`, zero-filled past the old end. @internal */
export function grow<A extends Int32Array | Float64Array | Uint8Array>(
  array: A,
  length: number,
): A {
  const bigger = new (array.constructor as new (length: number) => A)(length);
  bigger.set(array);
  return bigger;
}

/**
 * A copy of the plain slot array `array`, `length` long, new slots `undefined`. Allocated at its
 * exact length: growing by `push` would leave the engine's spare capacity (up to half again)
 * behind, 8 bytes per spare slot. @internal
 */
export function growSlots<T>(array: (T | undefined)[], length: number): (T | undefined)[] {
  const bigger = new Array<T | undefined>(length);
  for (let i = 0; i < array.length; i++) bigger[i] = array[i];
  for (let i = array.length; i < length; i++) bigger[i] = undefined;
  return bigger;
}

/**
 * Validates the constructor options of cache class `where`; throws a TypeError or RangeError
 * naming the option. @internal
 */
export function resolveOptions<K, V>(
  options: CacheOptions<K, V>,
  where: string,
): ResolvedOptions<K, V> {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    typeError('options', 'an object with a capacity', options);
  const known = where === 'WTinyLFUCache' ? W_TINYLFU_OPTIONS : OPTIONS;
  checkKnownKeys(options, known, `new ${where}(options)`, RENAMES);
  if (where === 'WTinyLFUCache') {
    const { adaptive, doorkeeper } = options as WTinyLFUOptions<K, V>;
    if (adaptive !== undefined) checkBoolean('adaptive', adaptive);
    if (doorkeeper !== undefined) checkBoolean('doorkeeper', doorkeeper);
  }
  const {
    capacity,
    ttlMs,
    maxSize,
    sizeOf,
    onEvict,
    clock,
    name,
    noUpdateTTL,
    noDisposeOnSet,
    updateAgeOnGet,
    updateAgeOnHas,
    allowStale,
    maxEntrySize,
  } = options;
  checkInteger('capacity', capacity, 1);
  if (capacity > MAX_CAPACITY) rangeError('capacity', 'an integer <= 2^30', capacity);
  if (ttlMs !== undefined) checkTtl(ttlMs, 'ttlMs');
  if (maxSize !== undefined) {
    if (typeof maxSize !== 'number') typeError('maxSize', 'a number', maxSize);
    if (!(maxSize > 0) || !Number.isFinite(maxSize))
      rangeError('maxSize', 'a finite number > 0', maxSize);
    if (typeof sizeOf !== 'function') typeError('sizeOf', 'a function when maxSize is set', sizeOf);
  }
  if (maxEntrySize !== undefined) {
    if (typeof maxEntrySize !== 'number') typeError('maxEntrySize', 'a number', maxEntrySize);
    if (!(maxEntrySize > 0) || !(maxEntrySize <= (maxSize ?? Number.MAX_VALUE)))
      rangeError('maxEntrySize', 'a finite number > 0 and <= maxSize', maxEntrySize);
    if (typeof sizeOf !== 'function')
      typeError('sizeOf', 'a function when maxEntrySize is set', sizeOf);
  }
  if (maxSize === undefined && maxEntrySize === undefined && sizeOf !== undefined)
    typeError('sizeOf', 'used with maxSize or maxEntrySize', sizeOf);
  if (onEvict !== undefined) checkFunction('onEvict', onEvict);
  return {
    capacity,
    ttlMs: ttlMs === undefined || ttlMs === Number.POSITIVE_INFINITY ? 0 : ttlMs,
    maxSize: maxSize ?? Number.POSITIVE_INFINITY,
    sizeOf,
    onEvict,
    clock: clock === undefined ? systemClock : checkClock<Clock>('clock', clock),
    name: checkString('name', name ?? 'default'),
    noUpdateTTL: noUpdateTTL === undefined ? false : checkBoolean('noUpdateTTL', noUpdateTTL),
    noDisposeOnSet:
      noDisposeOnSet === undefined ? false : checkBoolean('noDisposeOnSet', noDisposeOnSet),
    updateAgeOnGet:
      updateAgeOnGet === undefined ? false : checkBoolean('updateAgeOnGet', updateAgeOnGet),
    updateAgeOnHas:
      updateAgeOnHas === undefined ? false : checkBoolean('updateAgeOnHas', updateAgeOnHas),
    allowStale: allowStale === undefined ? false : checkBoolean('allowStale', allowStale),
    maxEntrySize: maxEntrySize ?? maxSize ?? Number.POSITIVE_INFINITY,
  };
}

/** Checks the options of one `set` call: an object with at most `ttlMs` and `size`. @internal */
export function checkSetOptions(options: SetOptions): SetOptions {
  if (options === null || typeof options !== 'object')
    typeError('set options', 'an object', options);
  checkKnownKeys(options, SET_OPTIONS, 'set(key, value, options)', RENAMES);
  return options;
}

/** Checks a TTL (cache-wide or per entry): a number > 0, `Infinity` allowed. @internal */
export function checkTtl(ttlMs: unknown, name: string): number {
  return checkNumber(name, ttlMs, 0, Number.POSITIVE_INFINITY, true);
}

/**
 * Checks a weight from `sizeOf` (or the `size` option of `set`, named by `name`): TypeError for
 * a non-number, else RangeError. @internal
 */
export function checkSize(size: unknown, name = 'sizeOf(value, key)'): number {
  if (typeof size !== 'number') typeError(name, 'a finite number >= 0', size);
  if (!(size >= 0) || !Number.isFinite(size)) rangeError(name, 'a finite number >= 0', size);
  return size;
}
