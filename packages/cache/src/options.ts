// The options of createCache, their defaults and their checks (one message form, via the kernel).

import {
  checkClock,
  checkFunction,
  checkInteger,
  checkKnownKeys,
  checkMs,
  checkNumber,
  checkObject,
  checkOneOf,
  checkString,
  MAX_TIMER_MS,
  rangeError,
  systemClock,
  type TimerClock,
  typeError,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';

/** Time source and timers: `now()` in ms, `setTimeout`, `clearTimeout` (the kernel's `TimerClock`). */
export type Clock = TimerClock;

/** The eviction policy of the memory tier, from `@bulwark/lru-lfu`. */
export type Eviction = 'w-tinylfu' | 'lru' | 'lfu';

/** XFetch early refresh (see `earlyRefresh` in {@link CacheOptions}). */
export interface EarlyRefreshOptions {
  /** How early to refresh: > 1 earlier, < 1 later. A number > 0. Default 1. */
  beta?: number;
}

/** Options of {@link createCache}. Every one is optional. */
export interface CacheOptions<V = unknown> {
  /** The cache's label in `stats()` and events. Default `'default'`. */
  name?: string;
  /** How long a loaded or `set` value is fresh, in ms (> 0; `Infinity`: forever). Default `Infinity`. */
  ttlMs?: number;
  /**
   * After `ttlMs`, for this many ms more, `get` serves the stale value at once and refreshes it in
   * the background (one refresh per key). Default 0.
   */
  staleWhileRevalidateMs?: number;
  /**
   * After `ttlMs`, for this many ms more, a load that fails (or times out) serves the stale value
   * instead of the error. Default 0.
   */
  staleIfErrorMs?: number;
  /**
   * When > 0, loader errors and "not found" (a loader resolving `undefined`) are cached for this
   * many ms: `get` rejects with the same error, or resolves `undefined`, without calling the
   * loader. Default 0: errors are never cached and `undefined` lives `ttlMs` like any value.
   */
  negativeTtlMs?: number;
  /** Spreads expiries: each TTL is multiplied by `1 − jitter·rand()`. A number in [0, 1). Default 0. */
  jitter?: number;
  /**
   * XFetch: a hit refreshes the entry early, in the background, when
   * `now − δ·β·ln(rand()) ≥ expiry`, δ being the key's last load time. `false` turns it off.
   * Default `{ beta: 1 }`.
   */
  earlyRefresh?: false | EarlyRefreshOptions;
  /**
   * When a stale value exists and a load takes longer than this (ms), `get` resolves with the
   * stale value and the load goes on in the background. 0: off. Default 0.
   */
  softTimeoutMs?: number;
  /**
   * A load running longer than this (ms) is given up: its callers reject with `TimeoutError`
   * (or get a stale value, see `staleIfErrorMs`) and the loader's signal aborts. 0: off. Default 0.
   */
  hardTimeoutMs?: number;
  /** The most entries the memory tier holds. An integer from 1 to 2^30. Default 10,000. */
  max?: number;
  /** Bound on the sum of `sizeOf(value, key)` over the memory tier's entries. Requires `sizeOf`. */
  maxSize?: number;
  /** Weight of one value, a finite number >= 0. Requires `maxSize`. */
  sizeOf?: (value: V, key: string) => number;
  /** Eviction policy of the memory tier. Default `'w-tinylfu'`. */
  eviction?: Eviction;
  /** Source of time and timers. Default: monotonic ms on the Unix epoch and the global timers. */
  clock?: Clock;
  /** Uniform numbers in [0, 1) for jitter and XFetch. Default `Math.random`; tests pass a seeded one. */
  random?: () => number;
}

/** Options of {@link createCache} after checking, as the cache uses them. @internal */
export interface ResolvedOptions<V> {
  name: string;
  ttlMs: number;
  staleWhileRevalidateMs: number;
  staleIfErrorMs: number;
  negativeTtlMs: number;
  jitter: number;
  /** 0 when early refresh is off. */
  beta: number;
  softTimeoutMs: number;
  hardTimeoutMs: number;
  max: number;
  maxSize: number | undefined;
  sizeOf: ((value: V, key: string) => number) | undefined;
  eviction: Eviction;
  clock: Clock;
  random: () => number;
}

/** The option names of createCache, for `checkKnownKeys`. @internal */
export const CACHE_OPTION_KEYS: readonly string[] = [
  'name',
  'ttlMs',
  'staleWhileRevalidateMs',
  'staleIfErrorMs',
  'negativeTtlMs',
  'jitter',
  'earlyRefresh',
  'softTimeoutMs',
  'hardTimeoutMs',
  'max',
  'maxSize',
  'sizeOf',
  'eviction',
  'clock',
  'random',
];

const KNOWN = new Set(CACHE_OPTION_KEYS);
const KNOWN_EARLY = new Set(['beta']);

/** Checks createCache's options; `known` and `where` let the Redis variant add its own. @internal */
export function resolveOptions<V>(
  input: CacheOptions<V> | undefined,
  known: ReadonlySet<string> = KNOWN,
  where = 'createCache(options)',
): ResolvedOptions<V> {
  const options = input === undefined ? {} : checkObject<CacheOptions<V>>('options', input);
  checkKnownKeys(options, known, where, VOCABULARY_RENAMES);
  const {
    name = 'default',
    ttlMs = Number.POSITIVE_INFINITY,
    staleWhileRevalidateMs = 0,
    staleIfErrorMs = 0,
    negativeTtlMs = 0,
    jitter = 0,
    earlyRefresh = {},
    softTimeoutMs = 0,
    hardTimeoutMs = 0,
    max = 10_000,
    maxSize,
    sizeOf,
    eviction = 'w-tinylfu',
    clock = systemClock,
    random = Math.random,
  } = options;
  let beta = 0;
  if (earlyRefresh !== false) {
    checkObject('earlyRefresh', earlyRefresh);
    checkKnownKeys(earlyRefresh, KNOWN_EARLY, 'earlyRefresh', VOCABULARY_RENAMES);
    beta = checkNumber('earlyRefresh.beta', earlyRefresh.beta ?? 1, 0, 1e6, true);
  }
  if (maxSize !== undefined && sizeOf === undefined)
    typeError('sizeOf', 'a function when maxSize is set', sizeOf);
  if (sizeOf !== undefined && maxSize === undefined)
    typeError('maxSize', 'a number when sizeOf is set', maxSize);
  return {
    name: checkString('name', name),
    ttlMs: checkTtl('ttlMs', ttlMs),
    // Finite: an infinite window would keep every entry forever.
    staleWhileRevalidateMs: checkMs('staleWhileRevalidateMs', staleWhileRevalidateMs),
    staleIfErrorMs: checkMs('staleIfErrorMs', staleIfErrorMs),
    negativeTtlMs: checkMs('negativeTtlMs', negativeTtlMs),
    jitter: checkJitter(jitter),
    beta,
    softTimeoutMs: checkMs('softTimeoutMs', softTimeoutMs, false, MAX_TIMER_MS),
    hardTimeoutMs: checkMs('hardTimeoutMs', hardTimeoutMs, false, MAX_TIMER_MS),
    max: checkInteger('max', max, 1, 2 ** 30),
    maxSize: maxSize === undefined ? undefined : checkNumber('maxSize', maxSize, 0, 2 ** 53, true),
    sizeOf:
      sizeOf === undefined
        ? undefined
        : checkFunction<(value: V, key: string) => number>('sizeOf', sizeOf),
    eviction: checkOneOf('eviction', eviction, ['w-tinylfu', 'lru', 'lfu']),
    clock: checkClock<Clock>('clock', clock, true),
    random: checkFunction<() => number>('random', random),
  };
}

/** A TTL: a number > 0, `Infinity` allowed. @internal */
export function checkTtl(name: string, value: unknown): number {
  return checkNumber(name, value, 0, Number.POSITIVE_INFINITY, true);
}

function checkJitter(value: unknown): number {
  const jitter = checkNumber('jitter', value, 0, 1);
  if (jitter === 1) rangeError('jitter', 'a number >= 0 and < 1', jitter);
  return jitter;
}
