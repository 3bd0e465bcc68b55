// The read-through cache. `get` reads top to bottom:
//
//   fresh entry in L1          → serve it; XFetch may start one background refresh
//   stale within SWR window    → serve it; start one background refresh
//   otherwise (miss)           → join the key's single flight, which fills from L2 (if any) or
//                                runs the loader; a failure serves the stale value within the
//                                stale-if-error window; with a stale value, softTimeoutMs bounds
//                                the wait and the load goes on in the background
//
// Every load of a key, whoever triggers it, runs through one SingleFlight, so a process never
// runs two loaders for one key at once; the Redis tier extends that across processes.

import {
  BulwarkError,
  checkFunction,
  checkObject,
  checkString,
  systemClock,
} from '@bulwark/kernel';
import { channels } from './channels.js';
import { coarseNow } from './coarse-clock.js';
import { type Entry, failedEntry, freshEntry, keptUntil } from './entry.js';
import { TimeoutError } from './errors.js';
import type { LazyAbort } from './lazy-abort.js';
import { checkTags, LoadContext, type Loader } from './load-context.js';
import { MemoryTier } from './memory-tier.js';
import { type Clock, checkTtl, type ResolvedOptions } from './options.js';
import { SingleFlight } from './single-flight.js';
import type { FillRequest, LocalTier, SecondTier } from './tier.js';
import { orAfter, within } from './timeouts.js';
import { refreshesEarly } from './xfetch.js';

/** Per-call options of {@link Cache.get}. */
export interface GetOptions {
  /** Stops this caller's wait (rejecting with the reason); the shared load goes on for others. */
  signal?: AbortSignal;
  /** TTL of a value this call loads, in ms (> 0; `Infinity`: forever). Default: the cache's `ttlMs`. */
  ttlMs?: number;
  /** Tags of a value this call loads. */
  tags?: readonly string[];
}

/** Per-call options of {@link Cache.set}. */
export interface SetOptions {
  /** TTL of this value, in ms (> 0; `Infinity`: forever). Default: the cache's `ttlMs`. */
  ttlMs?: number;
  /** Tags of this value, for `deleteByTag`. */
  tags?: readonly string[];
}

/** A snapshot of a cache's counters, from {@link Cache.stats}. */
export interface CacheStats {
  /** The cache's `name`. */
  name: string;
  /** `get` calls served a fresh value from memory. */
  hits: number;
  /** `get` calls that found no usable value in memory (each then waits for a load or L2). */
  misses: number;
  /** Stale values served: while revalidating, in place of a failed load, or on a soft timeout. */
  staleHits: number;
  /** Background refreshes XFetch started before expiry. */
  earlyRefreshes: number;
  /** Loader calls (each counted when it settles). */
  loads: number;
  /** Loader calls that threw, rejected or timed out. */
  loaderErrors: number;
  /** Loads given up after `hardTimeoutMs`. */
  timeouts: number;
  /** Misses that joined a load already in flight in this process instead of starting one. */
  coalesced: number;
  /** Entries in memory (expired entries count until found or pruned). */
  size: number;
  /** Misses answered by the second tier (Redis) without a load here. 0 without one. */
  l2Hits: number;
  /** Misses the second tier could not answer. 0 without one. */
  l2Misses: number;
  /** Loads this process waited for while another process ran the loader. 0 without a second tier. */
  remoteWaits: number;
  /** Loads whose Redis write was refused because their lease was lost (fencing). 0 without one. */
  fencedWrites: number;
}

/** Builds the second tier of a cache. @internal */
export type TierFactory<V> = (local: LocalTier) => SecondTier<V>;

/** `get` on a cache that was closed. Code `BULWARK_CACHE_CLOSED`. */
export class CacheClosedError extends BulwarkError {
  /** `name`: the closed cache's. */
  constructor(name: string) {
    super('BULWARK_CACHE_CLOSED', `cache ${JSON.stringify(name)} is closed`);
  }
}

const RESOLVED = Promise.resolve();

// The answer shared by the callers of one load that have no signal (see #sharedResult).
interface SharedResult<V> {
  readonly flight: Promise<Entry<V>>;
  result: Promise<V>;
  callers: number;
}

// Passed when joining a flight known to be in flight: SingleFlight never calls it then.
function unreachable(): never {
  throw new Error('unreachable: the flight was in flight');
}

function rejectBadString(name: string, value: unknown): Promise<never> {
  try {
    checkString(name, value);
  } catch (error) {
    return Promise.reject(error);
  }
  return Promise.reject(new TypeError(`${name} must be a non-empty string`));
}
const ignore = (): void => {};

/**
 * A read-through cache: `get(key, loader)` serves from memory or loads once for all concurrent
 * callers. Made by {@link createCache} (memory) or `createRedisCache` (memory + Redis).
 */
export class Cache<V = unknown> {
  /** The cache's label in stats and events. */
  readonly name: string;

  readonly #options: ResolvedOptions<V>;
  readonly #clock: Clock;
  // The hit path's clock: coarse (read once per ms) on the default clock, exact on an injected one.
  readonly #hitNow: () => number;
  readonly #beta: number;
  readonly #random: () => number;
  readonly #l1: MemoryTier<V>;
  readonly #tier: SecondTier<V> | undefined;
  readonly #flights = new SingleFlight<Entry<V>>();
  // A token per key being loaded: set/delete/clear drop it, so a load that started before them
  // does not write its (older) value into L1 when it ends.
  readonly #loading = new Map<string, object>();
  readonly #background = new Set<Promise<unknown>>();
  readonly #shared = new Map<string, SharedResult<V>>();
  #closed = false;

  #hits = 0;
  #misses = 0;
  #staleHits = 0;
  #earlyRefreshes = 0;
  #loads = 0;
  #loaderErrors = 0;
  #timeouts = 0;
  #coalesced = 0;

  /** @internal Use {@link createCache} or `createRedisCache`. */
  constructor(options: ResolvedOptions<V>, tier?: TierFactory<V>) {
    this.name = options.name;
    this.#options = options;
    this.#clock = options.clock;
    this.#hitNow = options.clock === systemClock ? coarseNow : () => options.clock.now();
    this.#beta = options.beta;
    this.#random = options.random;
    this.#l1 = new MemoryTier(options);
    const l1 = this.#l1;
    this.#tier = tier?.({
      evict: (key, dropLoading) => {
        l1.delete(key);
        if (dropLoading) this.#loading.delete(key);
      },
      evictTag: (tag) => {
        l1.deleteByTag(tag);
        this.#loading.clear();
      },
      clear: () => {
        l1.clear();
        this.#loading.clear();
      },
    });
  }

  /**
   * The value of `key`: from memory when fresh (or stale within `staleWhileRevalidateMs`, then
   * refreshed in the background), else loaded once for all concurrent callers by `loader`. Rejects
   * with the loader's error (unless a stale value may be served, see `staleIfErrorMs`), a
   * `TimeoutError` after `hardTimeoutMs`, or the reason of `options.signal`.
   */
  get(key: string, loader: Loader<V>, options?: GetOptions): Promise<V> {
    const entry = this.#l1.get(key);
    if (entry !== undefined) {
      const now = this.#hitNow();
      if (now < entry.freshUntil) {
        this.#hits++;
        if (
          this.#beta > 0 &&
          refreshesEarly(now, entry.freshUntil, entry.deltaMs, this.#beta, this.#random)
        )
          this.#refreshEarly(key, loader, entry, now, options);
        if (entry.failed) return Promise.reject(entry.error);
        entry.resolved ??= Promise.resolve(entry.value);
        return entry.resolved;
      }
      if (now < entry.staleUntil && !this.#closed) {
        this.#staleHits++;
        this.#publishStale(key, 'revalidate');
        this.#refresh(key, loader, options);
        entry.resolved ??= Promise.resolve(entry.value);
        return entry.resolved;
      }
    }
    this.#misses++;
    return this.#miss(key, loader, entry, options);
  }

  /**
   * The value `get` would serve at once (fresh, or stale within `staleWhileRevalidateMs`),
   * without loading, refreshing or counting; `undefined` when there is none.
   */
  peek(key: string): V | undefined {
    const entry = this.#l1.peek(key);
    if (entry === undefined || entry.failed || !(this.#clock.now() < entry.staleUntil))
      return undefined;
    return entry.value;
  }

  /**
   * Stores `value` for `key` (fresh for `ttlMs`), in memory at once and in the second tier (if
   * any) by the time the promise resolves. A load of `key` in flight will not overwrite it.
   */
  set(key: string, value: V, options?: SetOptions): Promise<void> {
    let entry: Entry<V>;
    try {
      entry = this.#entryToSet(key, value, options);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#loading.delete(key);
    this.#l1.set(key, entry);
    return this.#tier === undefined ? RESOLVED : this.#tier.written(key, entry);
  }

  /**
   * Removes `key` (here, from the second tier, and from other processes' memory). A load in
   * flight is forgotten: the next `get` starts a new one. Resolves `true` when memory held it.
   */
  delete(key: string): Promise<boolean> {
    if (typeof key !== 'string' || key === '') return rejectBadString('key', key);
    const held = this.#l1.delete(key);
    this.#loading.delete(key);
    this.#flights.forget(key);
    this.#publishInvalidate('key', key);
    if (this.#tier === undefined) return Promise.resolve(held);
    return this.#tier.deleted(key).then(() => held);
  }

  /** Removes every entry tagged `tag`, here, in the second tier and in other processes' memory. */
  deleteByTag(tag: string): Promise<void> {
    if (typeof tag !== 'string' || tag === '') return rejectBadString('tag', tag);
    this.#l1.deleteByTag(tag);
    this.#loading.clear();
    this.#publishInvalidate('tag', tag);
    return this.#tier === undefined ? RESOLVED : this.#tier.deletedByTag(tag);
  }

  /** Removes every entry, here, in the second tier (under its prefix) and in other processes' memory. */
  clear(): Promise<void> {
    this.#l1.clear();
    this.#loading.clear();
    this.#publishInvalidate('all', undefined);
    return this.#tier === undefined ? RESOLVED : this.#tier.cleared();
  }

  /** Drops entries past their last stale window now; returns how many. */
  prune(): number {
    return this.#l1.prune(this.#clock.now());
  }

  /**
   * `fn` behind the cache: calls with the same `keyOf(...args)` share one cached result.
   *
   * @example
   * const userById = cache.wrap((id: string) => db.user(id), (id) => `user:${id}`);
   */
  wrap<A extends unknown[]>(
    fn: (...args: A) => V | PromiseLike<V>,
    keyOf: (...args: A) => string,
    options?: Omit<GetOptions, 'signal'>,
  ): (...args: A) => Promise<V> {
    checkFunction('fn', fn);
    checkFunction('keyOf', keyOf);
    return (...args: A) => this.get(keyOf(...args), () => fn(...args), options);
  }

  /** A snapshot of the counters. */
  stats(): CacheStats {
    const tier = this.#tier?.stats();
    return {
      name: this.name,
      hits: this.#hits,
      misses: this.#misses,
      staleHits: this.#staleHits,
      earlyRefreshes: this.#earlyRefreshes,
      loads: this.#loads,
      loaderErrors: this.#loaderErrors,
      timeouts: this.#timeouts,
      coalesced: this.#coalesced,
      size: this.#l1.size,
      l2Hits: tier?.l2Hits ?? 0,
      l2Misses: tier?.l2Misses ?? 0,
      remoteWaits: tier?.remoteWaits ?? 0,
      fencedWrites: tier?.fencedWrites ?? 0,
    };
  }

  /**
   * Stops background work: no new refresh starts, `get` rejects with `CacheClosedError` on a
   * miss, background refreshes are awaited, and the second tier lets go of its subscription.
   * Idempotent.
   */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
    await this.#tier?.close();
  }

  /** Same as {@link Cache.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #entryToSet(key: string, value: V, options: SetOptions | undefined): Entry<V> {
    checkString('key', key);
    let ttlMs = this.#options.ttlMs;
    let tags: readonly string[] | undefined;
    if (options !== undefined) {
      checkObject('options', options);
      if (options.ttlMs !== undefined) ttlMs = checkTtl('options.ttlMs', options.ttlMs);
      if (options.tags !== undefined) tags = checkTags('options.tags', options.tags);
    }
    return freshEntry(value, this.#clock.now(), this.#jittered(ttlMs), this.#options, 0, tags);
  }

  // --- misses ---------------------------------------------------------------------------------

  #miss(
    key: string,
    loader: Loader<V>,
    held: Entry<V> | undefined,
    options: GetOptions | undefined,
  ): Promise<V> {
    if (this.#closed) return Promise.reject(new CacheClosedError(this.name));
    try {
      checkString('key', key);
      checkFunction('loader', loader);
      if (options !== undefined) checkObject('options', options);
    } catch (error) {
      return Promise.reject(error);
    }
    // An entry past all its windows is of no more use: drop it now rather than at eviction.
    if (held !== undefined && !(this.#clock.now() < keptUntil(held))) {
      this.#l1.delete(key);
      held = undefined;
    }
    const signal = options?.signal;
    const joining = this.#flights.inFlight(key);
    if (joining) this.#coalesced++;
    const stale =
      held !== undefined && !held.failed && this.#options.softTimeoutMs > 0 ? held : undefined;
    if (signal === undefined && stale === undefined)
      return this.#sharedResult(key, loader, options, joining);
    const result = this.#flights
      .join(key, (abort) => this.#fill(key, loader, abort, false, options), options)
      .then(
        (entry) => this.#serve(key, loader, entry, 1),
        (error: unknown) => this.#serveStaleOnError(key, error, signal, 1),
      );
    if (stale === undefined) return result;
    // With a stale value at hand, a slow load is not waited for past softTimeoutMs: the caller
    // gets the stale value and the load goes on, held by a background waiter so that it is not
    // aborted when this caller's signal later aborts.
    return orAfter(this.#clock, this.#options.softTimeoutMs, result, stale.value, () => {
      this.#holdInBackground(key);
      this.#staleHits++;
      this.#publishStale(key, 'soft-timeout');
    });
  }

  // Callers with no signal and no soft timeout all get the same answer, so they share one promise
  // per load: a coalesced miss allocates nothing (10,000 callers of one key, one chain).
  #sharedResult(
    key: string,
    loader: Loader<V>,
    options: GetOptions | undefined,
    joining: boolean,
  ): Promise<V> {
    const flight = joining
      ? this.#flights.do(key, unreachable)
      : this.#flights.join(key, (abort) => this.#fill(key, loader, abort, false, options));
    let shared = this.#shared.get(key);
    if (shared === undefined || shared.flight !== flight) {
      const record: SharedResult<V> = { flight, result: RESOLVED as Promise<never>, callers: 0 };
      // The record is forgotten as its answer is made: a get after that starts a new flight.
      record.result = flight.then(
        (entry) => {
          this.#forgetShared(key, record);
          return this.#serve(key, loader, entry, record.callers);
        },
        (error: unknown) => {
          this.#forgetShared(key, record);
          return this.#serveStaleOnError(key, error, undefined, record.callers);
        },
      );
      this.#shared.set(key, record);
      shared = record;
    }
    shared.callers++;
    return shared.result;
  }

  #forgetShared(key: string, record: SharedResult<V>): void {
    if (this.#shared.get(key) === record) this.#shared.delete(key);
  }

  // What the callers of a fill get: the value, the cached error, or a stale value from L2 (then
  // refreshed in the background like any stale hit).
  #serve(key: string, loader: Loader<V>, entry: Entry<V>, callers: number): V {
    if (entry.failed) throw entry.error;
    const now = this.#clock.now();
    if (now >= entry.freshUntil && now < entry.staleUntil) {
      this.#staleHits += callers;
      this.#publishStale(key, 'revalidate');
      this.#refresh(key, loader, undefined);
    }
    return entry.value;
  }

  // A failed load: the stale value within its stale-if-error window, else the error. A caller's
  // own abort is never answered with stale data.
  #serveStaleOnError(
    key: string,
    error: unknown,
    signal: AbortSignal | undefined,
    callers: number,
  ): V {
    if (signal?.aborted && error === signal.reason) throw error;
    const held = this.#l1.peek(key);
    if (held === undefined || held.failed || !(this.#clock.now() < held.errorUntil)) throw error;
    this.#staleHits += callers;
    this.#publishStale(key, 'error');
    return held.value;
  }

  // --- background refreshes -------------------------------------------------------------------

  #refreshEarly(
    key: string,
    loader: Loader<V>,
    entry: Entry<V>,
    now: number,
    options: GetOptions | undefined,
  ): void {
    if (this.#closed || this.#flights.inFlight(key)) return;
    this.#earlyRefreshes++;
    if (channels.earlyRefresh.hasSubscribers)
      channels.earlyRefresh.publish({ name: this.name, key, remainingMs: entry.freshUntil - now });
    this.#refresh(key, loader, options);
  }

  // One background load of `key` (none if one is in flight); its outcome reaches L1, its error
  // only the stats and the load channel.
  #refresh(key: string, loader: Loader<V>, options: GetOptions | undefined): void {
    if (this.#closed || this.#flights.inFlight(key)) return;
    this.#track(this.#flights.join(key, (abort) => this.#fill(key, loader, abort, true, options)));
  }

  #holdInBackground(key: string): void {
    if (!this.#flights.inFlight(key)) return;
    // Joining without a signal: this waiter never leaves, so the load is never aborted for lack
    // of waiters (hardTimeoutMs still bounds it).
    this.#track(this.#flights.do(key, unreachable));
  }

  #track(promise: Promise<unknown>): void {
    const background = this.#background;
    const tracked = promise.then(ignore, ignore);
    background.add(tracked);
    tracked.then(() => background.delete(tracked));
  }

  // --- loading --------------------------------------------------------------------------------

  // The work of one flight: fill from the second tier (which may run the loader here under a
  // lease, or wait for another process) or run the loader; then keep the entry in L1 unless a
  // set/delete/clear happened meanwhile.
  async #fill(
    key: string,
    loader: Loader<V>,
    abort: LazyAbort,
    refresh: boolean,
    options: GetOptions | undefined,
  ): Promise<Entry<V>> {
    const token = {};
    this.#loading.set(key, token);
    const held = this.#l1.peek(key);
    let entry: Entry<V>;
    try {
      if (this.#tier === undefined) {
        entry = await this.#load(key, loader, held, abort, options);
      } else {
        const request: FillRequest<V> = {
          haveFence: held?.fence ?? -1,
          refresh,
          load: (stale, loadAbort) => this.#load(key, loader, held ?? stale, loadAbort, options),
        };
        entry = await this.#tier.fill(key, request, abort);
      }
    } catch (error) {
      if (this.#loading.get(key) === token) this.#loading.delete(key);
      throw error;
    }
    if (this.#loading.get(key) === token) {
      this.#loading.delete(key);
      if (!this.#closed) this.#l1.set(key, entry);
    }
    return entry;
  }

  // One loader call, timed (XFetch's δ) and bounded by hardTimeoutMs; builds the entry.
  async #load(
    key: string,
    loader: Loader<V>,
    stale: Entry<V> | undefined,
    abort: LazyAbort,
    options: GetOptions | undefined,
  ): Promise<Entry<V>> {
    const { ttlMs, hardTimeoutMs, negativeTtlMs } = this.#options;
    const clock = this.#clock;
    const usable = stale !== undefined && !stale.failed ? stale : undefined;
    const callTtl = options?.ttlMs;
    const callTags = options?.tags;
    const controller = hardTimeoutMs > 0 ? new AbortController() : undefined;
    // The loader's signal: the hard timeout's, or the flight's (made only if the loader reads it).
    const context = new LoadContext<V>(
      key,
      controller ?? abort,
      usable?.value,
      callTtl === undefined ? ttlMs : checkTtl('options.ttlMs', callTtl),
      callTags === undefined ? undefined : checkTags('options.tags', callTags),
    );
    const start = clock.now();
    let value: V;
    try {
      value =
        controller === undefined
          ? await loader(context)
          : await within(
              clock,
              hardTimeoutMs,
              () => loader(context),
              controller,
              abort.signal,
              () => this.#timedOut(key, hardTimeoutMs),
            );
    } catch (error) {
      const now = clock.now();
      this.#loads++;
      this.#loaderErrors++;
      this.#publishLoad(key, now - start, false, error);
      if (usable !== undefined && now < usable.errorUntil) {
        // Stale-if-error: the callers serve the stale value from L1, so make sure it is there
        // (it may have come from the second tier).
        if (this.#l1.peek(key) === undefined) this.#l1.set(key, usable);
        throw error;
      }
      if (negativeTtlMs > 0 && !abort.aborted)
        return failedEntry(error, now, negativeTtlMs, now - start);
      throw error;
    }
    const now = clock.now();
    this.#loads++;
    this.#publishLoad(key, now - start, true, undefined);
    const ttl = value === undefined && negativeTtlMs > 0 ? negativeTtlMs : context.ttlMs;
    return freshEntry(value, now, this.#jittered(ttl), this.#options, now - start, context.tags);
  }

  // A load ran past hardTimeoutMs: its callers reject with this, and its loader's signal aborts.
  #timedOut(key: string, timeoutMs: number): TimeoutError {
    this.#timeouts++;
    if (channels.timeout.hasSubscribers)
      channels.timeout.publish({ name: this.name, key, timeoutMs });
    return new TimeoutError(key, timeoutMs);
  }

  #jittered(ttlMs: number): number {
    const jitter = this.#options.jitter;
    return jitter === 0 ? ttlMs : ttlMs * (1 - jitter * this.#random());
  }

  // --- events ---------------------------------------------------------------------------------

  #publishLoad(key: string, durationMs: number, ok: boolean, error: unknown): void {
    if (channels.load.hasSubscribers)
      channels.load.publish({ name: this.name, key, durationMs, ok, error });
  }

  #publishStale(key: string, reason: 'revalidate' | 'error' | 'soft-timeout'): void {
    if (channels.stale.hasSubscribers) channels.stale.publish({ name: this.name, key, reason });
  }

  #publishInvalidate(kind: 'key' | 'tag' | 'all', what: string | undefined): void {
    if (!channels.invalidate.hasSubscribers) return;
    channels.invalidate.publish(
      kind === 'key'
        ? { name: this.name, kind, key: what }
        : kind === 'tag'
          ? { name: this.name, kind, tag: what }
          : { name: this.name, kind },
    );
  }
}
