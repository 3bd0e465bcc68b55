// W-TinyLFU: a small LRU "window" in front of a large segmented-LRU "main" region, with a
// count-min sketch deciding who may enter the main region.
//
//   new entry -> window (LRU; 1% of capacity at first, then sized by the hill climber)
//   cache full -> the window's least recent entry, the *candidate* for main, duels main's
//                 *victim* (the least recent of probation): the one the sketch estimates as less
//                 frequently accessed is evicted (ties: the candidate); a winning candidate moves
//                 to main as the new entry takes its place in the window
//   main = probation (20%) + protected (80%): a hit in probation promotes to protected; protected
//          overflow demotes its least recent entry back to probation
//
// The window lets new keys earn a few hits before they must prove themselves; the frequency
// duel keeps one-off keys (scans) from flushing popular ones; the sketch's periodic halving lets
// yesterday's favourites go. The sketch counts every access, hits and misses alike. Every
// 2 × capacity gets, the climber (hill-climber.ts) moves the window/main split toward the region
// whose entries earned more hits, and undoes a move after which the hit rate fell: large for
// recency-heavy traffic, small otherwise.
//
// The key map, TTLs, weights and the rest live in the shell (shell.ts); the three lists and the
// window/main split that the climber moves, in segments.ts.

import { CountMinSketch, hashKey } from './count-min-sketch.js';
import { grow, type WTinyLFUOptions } from './options.js';
import { PROBATION, PROTECTED, Segments, WINDOW } from './segments.js';

/** A candidate estimated this popular may win a lost duel at random (see `victim`). */
const WARM = 6;

/**
 * A W-TinyLFU cache (as in Caffeine): near-LFU hit ratios on skewed traffic, resistant to scans,
 * quick to adapt when popularity shifts. Every operation is O(1). The same options and surface as
 * `LRUCache`; a new entry may be refused admission to the main region (evicted, reason
 * `'evict'`) when it is less popular than the entry it would replace, but never by the `set` that
 * writes it.
 *
 * Iteration covers every live entry once: the window, then the protected and probation
 * segments, each most recent first.
 *
 * @example
 * const cache = new WTinyLFUCache<string, Page>({ capacity: 10_000 });
 * cache.set(url, page);
 * cache.get(url);
 */
export class WTinyLFUCache<K, V> extends Segments<K, V> {
  /** Each entry's key hash, as the sketch takes it. */
  private hashes: Int32Array;
  private readonly sketch: CountMinSketch;
  /** The hash of the last missed key (see `added`). */
  private missedHash = 0;
  /** The random admission's state (see `victim`); never 0. */
  private random = (Math.random() * 0xffffffff) | 1;

  /** @throws TypeError or RangeError naming the bad option. */
  constructor(options: WTinyLFUOptions<K, V>) {
    super(options, 'WTinyLFUCache');
    this.hashes = new Int32Array(this.slotCount);
    // The sketch starts small too, and doubles with the slots, keeping its counts.
    this.sketch = new CountMinSketch(this.slotCount, options.doorkeeper === true);
  }

  /** The sketch's estimate of how often `key` was accessed lately (0..15). For inspection. */
  frequencyOf(key: K): number {
    const i = this.map.get(key);
    return this.sketch.estimate(i === undefined ? hashKey(key) : this.hashes[i]!);
  }

  // --- the policy -----------------------------------------------------------------------------

  /** A new entry enters the window; the window passes its overflow to probation. */
  protected added(i: number, afterMiss: boolean): void {
    // Right after a missed get of this key, the get has counted this access already.
    const hash = afterMiss ? this.missedHash : hashKey(this.keys_[i]);
    if (!afterMiss) this.sketch.increment(hash);
    this.hashes[i] = hash;
    this.join(i, WINDOW);
    this.trim(WINDOW, this.windowMax, PROBATION);
  }

  protected removed(i: number): void {
    this.leave(i);
  }

  /** A use: counted; recency in the window or protected; probation -> protected. */
  protected used(i: number): void {
    this.sketch.increment(this.hashes[i]!);
    const s = this.listOf[i]!;
    this.sampleUses++;
    if (s === WINDOW) this.sampleWindowUses++;
    if (s === PROBATION) {
      this.move(i, PROTECTED);
      this.trim(PROTECTED, this.protectedMax, PROBATION);
    } else if (this.next[s] !== i) {
      this.unlink(i);
      this.linkFront(i, s);
    }
    if (this.hits + this.misses >= this.sampleEnd) this.climb();
  }

  protected override missed(key: K): void {
    this.missedHash = hashKey(key);
    this.sketch.increment(this.missedHash);
    if (this.hits + this.misses >= this.sampleEnd) this.climb();
  }

  /**
   * When the window is full, its least recent entry (the candidate) against main's victim: the
   * one the sketch finds less popular goes (expired ones first; on a tie, the candidate).
   * Otherwise main's victim (probation's least recent, else protected's), else the window's.
   */
  protected victim(keep: number): number {
    let main = this.leastRecent(PROBATION, keep);
    if (main === -1) main = this.leastRecent(PROTECTED, keep);
    const windowFull = this.lengths[WINDOW]! >= this.windowMax;
    const candidate = windowFull ? this.leastRecent(WINDOW, keep) : -1;
    if (candidate === -1) return main !== -1 ? main : this.leastRecent(WINDOW, keep);
    if (main === -1) return candidate;
    if (this.expiresAt !== undefined) {
      if (this.isStale(main)) return main;
      if (this.isStale(candidate)) return candidate;
    }
    const c = this.sketch.estimate(this.hashes[candidate]!);
    if (c > this.sketch.estimate(this.hashes[main]!)) return main;
    // Hash flooding: keys crafted to collide with main's victim can raise its estimate until no
    // candidate ever wins. A warm candidate therefore wins 1 duel in 128 at random (as Caffeine
    // does): the cost to the hit ratio is small, the attack no longer holds the cache.
    if (c >= WARM && (this.nextRandom() & 127) === 0) return main;
    return candidate;
  }

  /** xorshift32: the next of a sequence seeded per cache, unknown outside it. */
  private nextRandom(): number {
    let x = this.random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.random = x;
    return x;
  }

  /** The window, then protected, then probation; most recent first in each. */
  protected *order(): IterableIterator<number> {
    yield* this.listed(WINDOW);
    yield* this.listed(PROTECTED);
    yield* this.listed(PROBATION);
  }

  protected grown(length: number): void {
    this.grownLists(length);
    this.hashes = grow(this.hashes, length);
    this.sketch.grow(Math.min(length, this.capacity));
  }

  protected cleared(): void {
    this.sketch.clear();
    this.emptySegments();
  }
}
