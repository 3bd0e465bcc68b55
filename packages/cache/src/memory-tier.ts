// The memory tier (L1): an @bulwark/lru-lfu cache of entries, plus the index from each tag to
// the keys that carry it, kept in step through the store's eviction callback. The store itself
// has no TTL (so a hit costs no clock reading there): the cache judges an entry's age from its
// times, drops dead entries when it meets them, and `prune()` sweeps the rest.

import { LFUCache, LRUCache, WTinyLFUCache } from '@bulwark/lru-lfu';
import { type Entry, keptUntil } from './entry.js';
import type { Eviction } from './options.js';

// What the tier uses of the three lru-lfu caches, which share this surface.
interface Store<V> {
  get(key: string): Entry<V> | undefined;
  peek(key: string): Entry<V> | undefined;
  set(key: string, entry: Entry<V>): unknown;
  delete(key: string): boolean;
  clear(): void;
  readonly size: number;
  [Symbol.iterator](): IterableIterator<[string, Entry<V>]>;
}

/** Options of {@link MemoryTier}. @internal */
export interface MemoryTierOptions<V> {
  max: number;
  maxSize: number | undefined;
  sizeOf: ((value: V, key: string) => number) | undefined;
  eviction: Eviction;
}

/** L1: bounded, O(1) per operation, with a tag index. @internal */
export class MemoryTier<V> {
  readonly #store: Store<V>;
  readonly #tags = new Map<string, Set<string>>();

  constructor(options: MemoryTierOptions<V>) {
    const { max, maxSize, sizeOf, eviction } = options;
    const storeOptions = {
      capacity: max,
      onEvict: (entry: Entry<V>, key: string) => this.#untag(key, entry),
      ...(maxSize === undefined || sizeOf === undefined
        ? {}
        : { maxSize, sizeOf: (entry: Entry<V>, key: string) => sizeOf(entry.value, key) }),
    };
    this.#store =
      eviction === 'lru'
        ? new LRUCache(storeOptions)
        : eviction === 'lfu'
          ? new LFUCache(storeOptions)
          : new WTinyLFUCache(storeOptions);
  }

  /** The entry of `key` (counted as an access by the eviction policy). */
  get(key: string): Entry<V> | undefined {
    return this.#store.get(key);
  }

  /** The entry of `key`, without touching the eviction policy. */
  peek(key: string): Entry<V> | undefined {
    return this.#store.peek(key);
  }

  /** Stores `entry` (the caller judges its age on the way out). */
  set(key: string, entry: Entry<V>): void {
    this.#store.set(key, entry);
    const tags = entry.tags;
    if (tags === undefined || this.#store.peek(key) !== entry) return;
    for (const tag of tags) {
      let keys = this.#tags.get(tag);
      if (keys === undefined) {
        keys = new Set();
        this.#tags.set(tag, keys);
      }
      keys.add(key);
    }
  }

  delete(key: string): boolean {
    return this.#store.delete(key);
  }

  /** Deletes every entry tagged `tag`; returns how many. */
  deleteByTag(tag: string): number {
    const keys = this.#tags.get(tag);
    if (keys === undefined) return 0;
    let deleted = 0;
    // Deleting untags, which edits the set: iterate a copy.
    for (const key of [...keys]) if (this.#store.delete(key)) deleted++;
    this.#tags.delete(tag);
    return deleted;
  }

  clear(): void {
    this.#store.clear();
    this.#tags.clear();
  }

  /** Drops entries past their last stale window at `now`; returns how many. O(size). */
  prune(now: number): number {
    const dead: string[] = [];
    for (const [key, entry] of this.#store) if (!(now < keptUntil(entry))) dead.push(key);
    for (const key of dead) this.#store.delete(key);
    return dead.length;
  }

  get size(): number {
    return this.#store.size;
  }

  #untag(key: string, entry: Entry<V>): void {
    const tags = entry.tags;
    if (tags === undefined) return;
    for (const tag of tags) {
      const keys = this.#tags.get(tag);
      if (keys === undefined) continue;
      keys.delete(key);
      if (keys.size === 0) this.#tags.delete(tag);
    }
  }
}
