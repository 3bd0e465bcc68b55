// The seam between the cache's algorithm and a second tier (the Redis one on the /redis
// subpath): the cache asks the tier to fill a key on an L1 miss, and tells it about writes and
// invalidations; the tier tells the cache which L1 keys other processes invalidated.

import type { Entry } from './entry.js';
import type { LazyAbort } from './lazy-abort.js';

/** One fill the cache asks of a second tier. @internal */
export interface FillRequest<V> {
  /** The fencing token of the entry L1 holds (-1 when none): a refresh wants a newer one. */
  readonly haveFence: number;
  /** True for a background refresh: an entry as old as `haveFence`, even fresh, will not do. */
  readonly refresh: boolean;
  /** Runs the loader here (with the best stale entry known) and builds the entry. */
  load(stale: Entry<V> | undefined, abort: LazyAbort): Promise<Entry<V>>;
}

/** A second tier behind L1. Its methods never reject because the tier's store failed. @internal */
export interface SecondTier<V> {
  fill(key: string, request: FillRequest<V>, abort: LazyAbort): Promise<Entry<V>>;
  written(key: string, entry: Entry<V>): Promise<void>;
  deleted(key: string): Promise<void>;
  deletedByTag(tag: string): Promise<void>;
  cleared(): Promise<void>;
  close(): Promise<void>;
  /** Counters the tier adds to `stats()`. */
  stats(): TierStats;
}

/** The counters of a second tier. @internal */
export interface TierStats {
  l2Hits: number;
  l2Misses: number;
  remoteWaits: number;
  fencedWrites: number;
  storeErrors: number;
  healthy: boolean;
}

/** What a tier may do to the cache's L1 when another process invalidates keys. @internal */
export interface LocalTier {
  /**
   * Evicts `key` from L1; with `dropLoading`, a load of `key` in flight here will not write its
   * value into L1 either (its value predates the invalidation).
   */
  evict(key: string, dropLoading: boolean): void;
  evictTag(tag: string): void;
  clear(): void;
}
