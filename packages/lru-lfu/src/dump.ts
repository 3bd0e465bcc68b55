// Warm restarts, written once for the three caches on their public surface: a dump is each live
// entry's `info(key)`, next victim first; a load is `clear()` and then a `set` per entry in order.
import type { DumpEntry, SetOptions } from './options.js';

/** What `dump()` reads of a cache. */
interface Dumpable<K, V> {
  rkeys(): IterableIterator<K>;
  info(key: K): DumpEntry<V> | undefined;
}

/** What `load()` writes to a cache. */
interface Loadable<K, V> {
  clear(): void;
  set(key: K, value: V, options?: SetOptions): unknown;
}

/** The live entries of `cache`, next victim first, each as `info(key)` gives it. */
export function dumpEntries<K, V>(cache: Dumpable<K, V>): [K, DumpEntry<V>][] {
  const dumped: [K, DumpEntry<V>][] = [];
  // rkeys() yields live entries only, so info() finds each one.
  for (const key of cache.rkeys()) dumped.push([key, cache.info(key)!]);
  return dumped;
}

/** Empties `cache`, then sets each entry in order with its `ttlMs` and `size`. */
export function loadEntries<K, V>(
  cache: Loadable<K, V>,
  entries: Iterable<[K, DumpEntry<V>]>,
): void {
  cache.clear();
  for (const [key, entry] of entries) {
    const options: SetOptions = {};
    if (entry.ttlMs !== undefined) options.ttlMs = entry.ttlMs;
    if (entry.size !== undefined) options.size = entry.size;
    cache.set(key, entry.value, options);
  }
}
