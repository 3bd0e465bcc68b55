// Count-min sketch: approximate access counts for any number of keys in a fixed table.
//
// The table has 4 rows of `width` 4-bit counters, two to a byte. A key is hashed to one counter
// per row; `increment` bumps the smallest of those four, `estimate` returns the smallest.
// Collisions only ever add, so the estimate never undercounts (until aging), and the minimum
// over four rows keeps the overcount small. Counters stop at 15 (what TinyLFU needs: "is this
// key more popular than that one?"), and every `sampleSize` increments all counters are halved,
// so that popularity fades and a key that was hot an hour ago does not stay in the cache forever.

import { checkInteger } from '@bulwark/kernel';
import { Doorkeeper } from './doorkeeper.js';

const ROWS = 4;
const MAX_COUNT = 15;
/** Doorkeeper bits per expected key. */
const DOORKEEPER_BITS = 16;
/**
 * Counters per row for each expected key. Wider than the 4 of the first TinyLFU paper: on
 * Zipf 0.6-0.8 over 100× more keys than the cache holds, collisions otherwise blur the keys
 * near the admission threshold (measured with bench/hit-ratio.ts).
 */
const WIDTH_PER_KEY = 8;
/**
 * Increments between two agings, per expected key. Longer than the paper's 10: a rank-1000 key
 * of Zipf 0.6 is seen less than once per 10 × 1000 accesses, too rarely to tell from noise.
 */
const SAMPLES_PER_KEY = 40;

/**
 * A count-min sketch of 4 rows with 4-bit-range counters and periodic aging, as TinyLFU uses it.
 * Keys are given as 32-bit hashes (see {@link hashKey}).
 */
export class CountMinSketch {
  private cols: number;
  private samples: number;
  /** Two 4-bit counters per byte: counter `i` is the low half of byte `i >> 1` if `i` is even. */
  private table: Uint8Array;
  /** The same memory as `table`, eight counters per element, for aging. */
  private words: Uint32Array;
  private mask: number;
  private additions = 0;
  private readonly doorkeeper: Doorkeeper | undefined;

  /**
   * @param expectedKeys how many keys the cache holds, an integer >= 1; sizes the table (16 to
   * 2^26 keys, rounded up to a power of two).
   * @param doorkeeper whether a Bloom filter keeps keys seen once per aging period out of the
   * table (see `Doorkeeper`). Default `false`.
   * @throws TypeError or RangeError naming `expectedKeys` when it is not such an integer.
   */
  constructor(expectedKeys: number, doorkeeper = false) {
    checkInteger('expectedKeys', expectedKeys, 1);
    const keys = keysFor(expectedKeys);
    this.cols = WIDTH_PER_KEY * keys;
    this.mask = this.cols - 1;
    this.samples = SAMPLES_PER_KEY * keys;
    this.table = new Uint8Array((ROWS * this.cols) >>> 1);
    this.words = new Uint32Array(this.table.buffer);
    if (doorkeeper) this.doorkeeper = new Doorkeeper(DOORKEEPER_BITS * keys);
  }

  /** Counters per row: a power of two, 8 × the expected number of keys (rounded up). */
  get width(): number {
    return this.cols;
  }

  /** Increments between two agings (halvings): 40 × the expected number of keys (rounded up). */
  get sampleSize(): number {
    return this.samples;
  }

  /**
   * Makes the table fit `expectedKeys` keys (it never shrinks), keeping every estimate: a key's
   * counter in a row is at `(hash + row × step) mod width`, so with the width doubled its new
   * counter sits at the old index or the old index + old width, and both start with the old
   * count. The aging period grows with the table.
   */
  grow(expectedKeys: number): void {
    const keys = keysFor(expectedKeys);
    const cols = WIDTH_PER_KEY * keys;
    if (cols <= this.cols) return;
    // A row is a whole number of bytes (widths are even), so rows copy byte by byte.
    const table = new Uint8Array((ROWS * cols) >>> 1);
    const oldBytes = this.cols >>> 1;
    const bytes = cols >>> 1;
    for (let row = 0; row < ROWS; row++) {
      const from = this.table.subarray(row * oldBytes, (row + 1) * oldBytes);
      for (let at = row * bytes; at < (row + 1) * bytes; at += oldBytes) table.set(from, at);
    }
    this.table = table;
    this.words = new Uint32Array(table.buffer);
    this.cols = cols;
    this.mask = cols - 1;
    this.samples = SAMPLES_PER_KEY * keys;
    // The doorkeeper cannot be rehashed into a bigger filter: it starts empty, as after aging.
    this.doorkeeper?.resize(DOORKEEPER_BITS * keys);
  }

  /**
   * Counts one access of the key with hash `hash`; may trigger aging. Conservative update: only
   * the key's smallest counters grow (the others already overcount it, from collisions), which
   * keeps the estimates of rare keys low without more memory.
   */
  increment(hash: number): void {
    if (this.doorkeeper !== undefined && !this.doorkeeper.admit(hash)) {
      if (++this.additions >= this.samples) this.age();
      return;
    }
    // Row r uses counter (hash + r × step) mod width: double hashing, one hash for four rows.
    // The four rows are written out: each counter's place is computed once, for both the
    // read and the write (this runs on every get).
    const step = rotate(hash);
    const t = this.table;
    const cols = this.cols;
    const mask = this.mask;
    const i0 = hash & mask;
    const i1 = cols + ((hash + step) & mask);
    const i2 = 2 * cols + ((hash + 2 * step) & mask);
    const i3 = 3 * cols + ((hash + 3 * step) & mask);
    const s0 = (i0 & 1) << 2;
    const s1 = (i1 & 1) << 2;
    const s2 = (i2 & 1) << 2;
    const s3 = (i3 & 1) << 2;
    const c0 = (t[i0 >>> 1]! >>> s0) & MAX_COUNT;
    const c1 = (t[i1 >>> 1]! >>> s1) & MAX_COUNT;
    const c2 = (t[i2 >>> 1]! >>> s2) & MAX_COUNT;
    const c3 = (t[i3 >>> 1]! >>> s3) & MAX_COUNT;
    const min = Math.min(c0, c1, c2, c3);
    if (min === MAX_COUNT) return;
    if (c0 === min) t[i0 >>> 1]! += 1 << s0;
    if (c1 === min) t[i1 >>> 1]! += 1 << s1;
    if (c2 === min) t[i2 >>> 1]! += 1 << s2;
    if (c3 === min) t[i3 >>> 1]! += 1 << s3;
    if (++this.additions >= this.samples) this.age();
  }

  /** The estimated access count (0..15, 16 with the doorkeeper) of the key with hash `hash`. */
  estimate(hash: number): number {
    const min = this.smallest(hash);
    if (this.doorkeeper?.has(hash)) return min + 1;
    return min;
  }

  /** The smallest of the key's four counters (the rows written out, as in `increment`). */
  private smallest(hash: number): number {
    const step = rotate(hash);
    const t = this.table;
    const cols = this.cols;
    const mask = this.mask;
    const i0 = hash & mask;
    const i1 = cols + ((hash + step) & mask);
    const i2 = 2 * cols + ((hash + 2 * step) & mask);
    const i3 = 3 * cols + ((hash + 3 * step) & mask);
    return Math.min(
      (t[i0 >>> 1]! >>> ((i0 & 1) << 2)) & MAX_COUNT,
      (t[i1 >>> 1]! >>> ((i1 & 1) << 2)) & MAX_COUNT,
      (t[i2 >>> 1]! >>> ((i2 & 1) << 2)) & MAX_COUNT,
      (t[i3 >>> 1]! >>> ((i3 & 1) << 2)) & MAX_COUNT,
    );
  }

  /** Halves every counter: old popularity fades. */
  age(): void {
    // Eight counters at a time: shift the word, drop the bit each nibble took from the next.
    const words = this.words;
    for (let i = 0; i < words.length; i++) words[i] = (words[i]! >>> 1) & 0x77777777;
    this.additions >>>= 1;
    this.doorkeeper?.clear();
  }

  /** Forgets every count. */
  clear(): void {
    this.table.fill(0);
    this.additions = 0;
    this.doorkeeper?.clear();
  }
}

/** Keys a table is sized for: 16 to 2^26, a power of two at least `expectedKeys`. */
function keysFor(expectedKeys: number): number {
  let keys = 16;
  while (keys < expectedKeys && keys < 2 ** 26) keys *= 2;
  return keys;
}

/** The step between rows: the hash rotated by 16 bits, made odd so it reaches every counter. */
function rotate(h: number): number {
  return (h >>> 16) | (h << 16) | 1;
}

/** A 32-bit integer finalizer (murmur3's fmix32): spreads every input bit over the output. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function hashString(s: string): number {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix(h);
}

const float = new Float64Array(1);
const words = new Int32Array(float.buffer);
const ids = new WeakMap<WeakKey, number>();
let nextId = 1;

function identity(key: WeakKey): number {
  let id = ids.get(key);
  if (id === undefined) {
    id = mix(nextId++);
    ids.set(key, id);
  }
  return id;
}

/**
 * A 32-bit hash of any cache key: numbers and strings by value, objects and symbols by identity
 * (an id assigned on first sight, held weakly), everything else by its string form.
 */
export function hashKey(key: unknown): number {
  switch (typeof key) {
    case 'number':
      if ((key | 0) === key) return mix(key);
      float[0] = key;
      return mix(words[0]! ^ mix(words[1]!));
    case 'string':
      return hashString(key);
    case 'object':
    case 'function':
      return key === null ? 0 : identity(key);
    case 'symbol': {
      const registered = Symbol.keyFor(key);
      return registered === undefined ? identity(key) : hashString(`@@${registered}`);
    }
    default:
      return hashString(String(key));
  }
}
