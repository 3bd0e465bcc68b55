// LRU: evict the entry read or written longest ago.
//
// The policy is one list of the entries in recency order: a use moves an entry to the front; the
// victim is the entry at the back. Both are O(1). The list is threaded through the slots' links
// (`next`/`prev`, typed arrays the shell keeps) and circular around the sentinel slot 0:
// `next[0]` is the most recently used entry and `prev[0]` the least. The key map, TTLs, weights
// and the rest live in the shell (shell.ts).

import type { CacheOptions } from './options.js';
import { CacheShell } from './shell.js';

/** The list's sentinel slot. */
const HEAD = 0;

/**
 * A least-recently-used cache with a fixed capacity: when full, `set` of a new key evicts the
 * entry that was read or written longest ago. Every operation is O(1).
 *
 * Optional: a TTL (per cache and per entry; expired entries are removed lazily when found, or by
 * `prune()`), a weight bound (`maxSize` with `sizeOf`) and an `onEvict` callback. Iteration goes
 * from the most recently used entry to the least (`rentries()` the other way).
 *
 * @example
 * const cache = new LRUCache<string, User>({ capacity: 10_000, ttlMs: 60_000 });
 * cache.set('u1', user);
 * cache.get('u1'); // user, now the most recently used
 */
export class LRUCache<K, V> extends CacheShell<K, V> {
  /** @throws TypeError or RangeError naming the bad option. */
  constructor(options: CacheOptions<K, V>) {
    super(options, 'LRUCache', 1);
  }

  protected added(i: number): void {
    this.linkFront(i, HEAD);
  }

  protected removed(i: number): void {
    this.unlink(i);
  }

  protected used(i: number): void {
    if (this.next[HEAD] !== i) {
      this.unlink(i);
      this.linkFront(i, HEAD);
    }
  }

  protected victim(keep: number): number {
    const i = this.prev[HEAD]!;
    return i === keep ? this.prev[i]! : i;
  }

  protected order(): IterableIterator<number> {
    return this.listed(HEAD);
  }

  protected grown(): void {}

  protected cleared(): void {
    this.next[HEAD] = HEAD;
    this.prev[HEAD] = HEAD;
  }
}
