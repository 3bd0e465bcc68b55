// Remembers the node of recent string keys, so a hot key skips the hash and the search.
//
// Two modes. With a `cacheSize`, the cache is always on: a Map of up to that many keys, emptied
// when full. With no option set, it is adaptive: it stays off while keys rarely repeat (the
// uniform case, where a cache only costs a Map insert per lookup) and turns itself on when they
// do. To notice repeats without a Map, an uncached lookup writes its key into a small table at
// the slot its hash (already computed for the search) picks, and counts a repeat when the key
// found there is the same: a load, a compare and a store. Only keys whose hash ends in five
// zero bits are watched — one in 32, always the same ones, so a hot set shows up among them as
// it does among all keys — and the other lookups pay one mask and one branch. When at least
// half of a window of watched lookups repeat, the cache turns on; when fewer than half of a
// window of lookups hit it, it turns off (the first window after turning on fills the cache, so
// it is not judged).
// Any change to the ring empties it (the ring calls `clear()` when it rebuilds).

/** Lookups per decision of the adaptive mode while on; a quarter as many watched ones while off. */
const WINDOW = 4096;
/** A key is watched for repeats when its hash has these bits clear: one key in 32. */
const WATCH_MASK = 31;
/** Slots of the repeat-detection table (a power of two): twice the watched 32nd of a full cache, so few watched keys share a slot. */
const RECENT_SLOTS = 256;
/** The adaptive cache's capacity: a hot set of up to about this many keys stays cached. */
const ADAPTIVE_CAPACITY = 4096;

export class KeyCache<T> {
  /** Whether `map` is consulted; the ring reads it on every lookup. */
  on: boolean;
  /** Key → node, while on. */
  readonly map = new Map<string, T>();
  /**
   * Hits since the last review, counted by the ring on its fast path up to `window` and no
   * further (a cache that only hits is never reviewed; a bounded count stays a small integer).
   */
  hits = 0;
  /** Lookups per review while on. */
  readonly window: number;
  /** While off, the ring calls `watch` for a hash with these bits clear (never when not adaptive). */
  readonly watchMask: number;
  readonly #capacity: number;
  readonly #adaptive: boolean;
  #misses = 0;
  /** Just turned on: the window now running fills the cache and is not judged. */
  #filling = false;
  #seen = 0;
  #repeats = 0;
  readonly #recent: (string | undefined)[];
  readonly #recentMask: number;

  /**
   * @param cacheSize - a fixed capacity (always on), 0 (never on), or undefined (adaptive)
   * @param window - lookups per adaptive decision (tests use a small one)
   */
  constructor(cacheSize: number | undefined, window = WINDOW) {
    this.#adaptive = cacheSize === undefined;
    this.#capacity = cacheSize ?? ADAPTIVE_CAPACITY;
    this.on = cacheSize !== undefined && cacheSize > 0;
    this.window = window;
    this.watchMask = this.#adaptive ? WATCH_MASK : -1;
    const slots = this.#adaptive ? RECENT_SLOTS : 0;
    this.#recent = new Array<string | undefined>(slots).fill(undefined);
    this.#recentMask = slots - 1;
  }

  /** A lookup missed the cache while it is on: remember the answer; adaptive, review. */
  remember(key: string, node: T): void {
    const map = this.map;
    if (map.size >= this.#capacity) map.clear();
    map.set(key, node);
    if (this.#adaptive && ++this.#misses + this.hits >= this.window) this.#review();
  }

  /** The cache is off and a watched key was looked up: count repeats, decide. */
  watch(key: string, hash: number): void {
    if (!this.#adaptive) return;
    const slot = (hash >>> 5) & this.#recentMask;
    if (this.#recent[slot] === key) this.#repeats++;
    else this.#recent[slot] = key;
    if (++this.#seen >= this.window >>> 2) {
      if (this.#repeats * 2 >= this.#seen) {
        this.on = true;
        this.#filling = true;
        this.hits = 0;
        this.#misses = 0;
      }
      this.#seen = 0;
      this.#repeats = 0;
    }
  }

  /** The ring changed: forget every answer (the repeat table holds keys only, so it stays). */
  clear(): void {
    this.map.clear();
  }

  /** Adaptive and on: keep going while at least half of the window hit, else turn off. */
  #review(): void {
    if (this.#filling) this.#filling = false;
    else if (this.hits < this.#misses) {
      this.on = false;
      this.map.clear();
    }
    this.hits = 0;
    this.#misses = 0;
  }
}
