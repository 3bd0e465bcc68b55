// LFU: evict the entry used the fewest times, the least recent among equals; O(1) throughout.
//
//   frequency list: buckets in ascending frequency; the first one holds the least frequently
//                   used entries (its frequency is the classic `minFreq`)
//   bucket:         a recency list of its entries, most recent first
//
// A use (a `get` hit, or a `set` of a present key) moves an entry from the bucket of frequency f
// to the bucket of f + 1. That bucket, if it exists, is the very next one in the frequency list,
// so no lookup is needed: either the next bucket has frequency f + 1, or a new bucket goes in
// right after the current one (and if the entry was alone in its bucket, the bucket itself just
// becomes f + 1). The victim is the least recent entry of the first bucket. No heap, no scan.
//
// The key map, TTLs, weights and the rest live in the shell (shell.ts). Entries and buckets are
// slots of typed arrays that double as entries arrive: entry `i` has its bucket `bucketOf[i]` and
// its links `next[i]`/`prev[i]` (the shell's) in its bucket's ring: `next` goes to less recent
// entries, and the bucket's least recent entry is `prev[head]`. Bucket `b` has
// `freq[b]`, its most recent entry `head[b]` and links `bNext[b]`/`bPrev[b]` in the frequency
// list, circular around the sentinel bucket 0: `bNext[0]` is the minFreq bucket, `bPrev[0]` the
// most frequent. Entry slot 0 is unused, so 0 can mean "no entry".

import { type CacheOptions, grow, grownLength, INITIAL_SLOTS } from './options.js';
import { CacheShell } from './shell.js';

/**
 * A least-frequently-used cache with a fixed capacity: when full, `set` of a new key evicts the
 * entry used the fewest times (`get` hits and `set`s of a present key count as uses), and among
 * those the least recently used. Every operation is O(1).
 *
 * Same options and surface as `LRUCache`; iteration goes from the most frequently used entry to
 * the next victim (most recent first among equal frequencies).
 *
 * @example
 * const cache = new LFUCache<string, Buffer>({ capacity: 1000 });
 * cache.set('logo', png);
 * cache.get('logo'); // used twice now: outlives entries used once
 */
export class LFUCache<K, V> extends CacheShell<K, V> {
  private bucketOf: Int32Array;
  // Buckets: at most one per entry, so they grow with the entries. Frequencies are doubles: a hot
  // key can pass 2^31 uses in a long-lived process.
  private freq: Float64Array;
  private head: Int32Array;
  private bNext: Int32Array;
  private bPrev: Int32Array;
  private freeBucket = 0;
  private freshBucket = 1;

  /** @throws TypeError or RangeError naming the bad option. */
  constructor(options: CacheOptions<K, V>) {
    super(options, 'LFUCache', 1);
    this.bucketOf = new Int32Array(this.slotCount);
    const buckets = Math.min(this.capacity + 1, INITIAL_SLOTS);
    this.freq = new Float64Array(buckets);
    this.head = new Int32Array(buckets);
    this.bNext = new Int32Array(buckets);
    this.bPrev = new Int32Array(buckets);
  }

  /** The frequency of `key`'s entry (its number of uses), or 0 if absent. For inspection. */
  frequencyOf(key: K): number {
    const i = this.map.get(key);
    return i === undefined ? 0 : this.freq[this.bucketOf[i]!]!;
  }

  /** A new entry joins the bucket of frequency 1, creating it if needed. */
  protected added(i: number): void {
    const first = this.bNext[0]!;
    this.joinBucket(i, this.freq[first] === 1 ? first : this.newBucket(1, 0));
  }

  protected removed(i: number): void {
    this.leaveBucket(i);
  }

  /** One more use: the entry moves from the bucket of frequency f to that of f + 1. */
  protected used(i: number): void {
    const b = this.bucketOf[i]!;
    const f = this.freq[b]! + 1;
    const after = this.bNext[b]!;
    // (The sentinel's frequency is 0, so `after` = 0 never matches f + 1 >= 2.)
    if (this.freq[after] === f) {
      this.leaveBucket(i);
      this.joinBucket(i, after);
    } else if (this.next[i] === i) {
      this.freq[b] = f; // alone in its bucket: the bucket moves up with it
    } else {
      const nb = this.newBucket(f, b);
      this.leaveBucket(i);
      this.joinBucket(i, nb);
    }
  }

  /** The least recent entry of the lowest bucket, else the next one up (sparing `keep`). */
  protected victim(keep: number): number {
    const b = this.bNext[0]!;
    const i = this.prev[this.head[b]!]!;
    if (i !== keep) return i;
    if (this.next[i] !== i) return this.prev[i]!; // the next least recent of the same bucket
    return this.prev[this.head[this.bNext[b]!]!]!; // the least recent of the next bucket
  }

  /** Most frequent bucket first, most recent first within a bucket. */
  protected *order(): IterableIterator<number> {
    for (let b = this.bPrev[0]!; b !== 0; b = this.bPrev[b]!) {
      const first = this.head[b]!;
      for (let i = first; ; ) {
        yield i;
        i = this.next[i]!;
        if (i === first) break;
      }
    }
  }

  protected grown(length: number): void {
    this.bucketOf = grow(this.bucketOf, length);
  }

  protected cleared(): void {
    this.bNext[0] = 0;
    this.bPrev[0] = 0;
    this.freeBucket = 0;
    this.freshBucket = 1;
  }

  /** Makes entry `i` the most recent of bucket `b`. */
  private joinBucket(i: number, b: number): void {
    const h = this.head[b]!;
    if (h === 0) {
      this.next[i] = i;
      this.prev[i] = i;
    } else {
      const t = this.prev[h]!;
      this.next[i] = h;
      this.prev[i] = t;
      this.next[t] = i;
      this.prev[h] = i;
    }
    this.head[b] = i;
    this.bucketOf[i] = b;
  }

  /** Takes entry `i` out of its bucket; a bucket left empty leaves the frequency list. */
  private leaveBucket(i: number): void {
    const b = this.bucketOf[i]!;
    const n = this.next[i]!;
    if (n === i) {
      const bn = this.bNext[b]!;
      const bp = this.bPrev[b]!;
      this.bNext[bp] = bn;
      this.bPrev[bn] = bp;
      this.head[b] = 0;
      this.bNext[b] = this.freeBucket;
      this.freeBucket = b;
      return;
    }
    const p = this.prev[i]!;
    this.next[p] = n;
    this.prev[n] = p;
    if (this.head[b] === i) this.head[b] = n;
  }

  /** A new empty bucket of frequency `f`, placed right after bucket `before`. */
  private newBucket(f: number, before: number): number {
    let b = this.freeBucket;
    if (b !== 0) this.freeBucket = this.bNext[b]!;
    else {
      b = this.freshBucket++;
      if (b === this.freq.length) this.growBuckets();
    }
    this.freq[b] = f;
    this.head[b] = 0;
    const after = this.bNext[before]!;
    this.bNext[b] = after;
    this.bPrev[b] = before;
    this.bPrev[after] = b;
    this.bNext[before] = b;
    return b;
  }

  /** Doubles the bucket arrays (up to one bucket per entry of capacity, and the sentinel). */
  private growBuckets(): void {
    const length = grownLength(this.freq.length, this.capacity + 1);
    this.freq = grow(this.freq, length);
    this.head = grow(this.head, length);
    this.bNext = grow(this.bNext, length);
    this.bPrev = grow(this.bPrev, length);
  }
}
