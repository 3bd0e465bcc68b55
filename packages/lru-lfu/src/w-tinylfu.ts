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
// The key map, TTLs, weights and the rest live in the shell (shell.ts); the three lists, around
// the sentinel slots 0 (window), 1 (probation) and 2 (protected), in segments.ts.

import { CountMinSketch, hashKey } from './count-min-sketch.js';
import { HillClimber } from './hill-climber.js';
import { grow, type WTinyLFUOptions } from './options.js';
import { Segments } from './segments.js';

const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;
/** Gets per sample of the hill climber, per entry of capacity. */
const SAMPLES_PER_ENTRY = 2;
/** The protected segment's share of the main region. */
const PROTECTED_SHARE = 0.8;
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

  private windowMax: number;
  private protectedMax: number;
  private climber: HillClimber;
  /** `adaptive: false`: the window stays at 1%. */
  private readonly climbs: boolean;
  /** Gets (hits + misses) at which the running sample of the hill climber ends. */
  private sampleEnd = 0;
  /** Uses (get hits, sets of a held key) in the running sample: all, and those in the window. */
  private sampleUses = 0;
  private sampleWindowUses = 0;

  /** @throws TypeError or RangeError naming the bad option. */
  constructor(options: WTinyLFUOptions<K, V>) {
    super(options, 'WTinyLFUCache', 3);
    this.hashes = new Int32Array(this.slotCount);
    // The sketch starts small too, and doubles with the slots, keeping its counts.
    this.sketch = new CountMinSketch(this.slotCount, options.doorkeeper === true);
    this.climbs = options.adaptive !== false;
    this.climber = new HillClimber(this.capacity);
    // The window starts at 1% (Caffeine's default); the hill climber moves it from there.
    this.windowMax = initialWindow(this.capacity);
    this.protectedMax = Math.floor((this.capacity - this.windowMax) * PROTECTED_SHARE);
    this.startSample();
  }

  /**
   * Entries the window holds now before it passes candidates to the main region: 1% of the
   * capacity at first, then moved by the hill climber between 1 entry and most of the cache.
   */
  get windowCapacity(): number {
    return this.windowMax;
  }

  /** Entries the protected segment holds now before it demotes to probation (moves with the window). */
  get protectedCapacity(): number {
    return this.protectedMax;
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
    this.emptyLists();
    this.sketch.clear();
    this.climber.reset();
    this.resizeWindow(initialWindow(this.capacity));
    this.startSample();
  }

  /** The window keeps its share of the cache; the climber and its samples scale with it. */
  protected override resized(previous: number): void {
    const window = Math.round((this.windowMax / previous) * this.capacity);
    this.climber = new HillClimber(this.capacity);
    this.resizeWindow(Math.max(1, Math.min(this.capacity - 1, window)));
    this.startSample();
  }

  // --- the adaptive window ------------------------------------------------------------------

  private startSample(): void {
    this.sampleUses = 0;
    this.sampleWindowUses = 0;
    this.sampleEnd = this.hits + this.misses + SAMPLES_PER_ENTRY * this.capacity;
  }

  /**
   * A sample of gets has ended: the climber turns the uses it saw in the window and in main into
   * a move of the window/main split. Nothing moves while the cache is still filling (below
   * capacity and below half of `maxSize`): nothing has been evicted yet, so the split has not
   * cost anything.
   */
  private climb(): void {
    const windowUses = this.sampleWindowUses;
    const mainUses = this.sampleUses - windowUses;
    this.startSample();
    if (!this.climbs || (this.map.size < this.capacity && this.totalSize_ * 2 < this.maxSize))
      return;
    const gets = SAMPLES_PER_ENTRY * this.capacity;
    const amount = this.climber.adjustment(gets, windowUses, mainUses, this.windowMax);
    if (amount === 0) return;
    this.resizeWindow(Math.max(1, Math.min(this.capacity - 1, this.windowMax + amount)));
  }

  /**
   * Gives the window `windowMax` entries of room, and protected 80% of the rest. A larger window
   * takes main's least recent entries (probation's first) with its room; a smaller one passes
   * its least recent to probation, as does protected.
   */
  private resizeWindow(windowMax: number): void {
    for (let room = windowMax - this.windowMax; room > 0; room--) {
      let i = this.leastRecent(PROBATION, 0);
      if (i === -1) i = this.leastRecent(PROTECTED, 0);
      if (i === -1) break;
      this.move(i, WINDOW);
    }
    this.windowMax = windowMax;
    this.protectedMax = Math.floor((this.capacity - windowMax) * PROTECTED_SHARE);
    this.trim(WINDOW, windowMax, PROBATION);
    this.trim(PROTECTED, this.protectedMax, PROBATION);
  }
}

/** The window's size before the hill climber moves it: 1% of the capacity, at least 1. */
function initialWindow(capacity: number): number {
  return Math.max(1, Math.floor(capacity / 100));
}
