// Count-min sketch: approximate access counts for any number of keys in a fixed table.
//
// The table has 4 rows of `width` 4-bit counters. A key is hashed to one counter per row;
// `increment` bumps the smallest of those four, `estimate` returns the smallest. Collisions only
// ever add, so the estimate never undercounts (until aging), and the minimum over four rows keeps
// the overcount small. Counters stop at 15 (what TinyLFU needs: "is this key more popular than
// that one?"), and every `sampleSize` increments all counters are halved, so that popularity
// fades and a key that was hot an hour ago does not stay in the cache forever.
//
// Layout, as in Caffeine: the table is cut into blocks of 64 bytes, one cache line, and all four
// of a key's counters sit in one block (a quarter of the block per row). One hash picks the
// block, another the counter in each quarter; an increment then touches one cache line instead
// of four, which is most of its cost once the table outgrows the CPU's caches.

import { checkInteger } from '@bulwark/kernel';
import { Doorkeeper } from './doorkeeper.js';

const MAX_COUNT = 15;
/** A block: 16 words of eight 4-bit counters, 64 bytes; row r uses words 4r to 4r + 3. */
const BLOCK_WORDS = 16;
const BLOCK_SHIFT = 4;
/** Doorkeeper bits per expected key. */
const DOORKEEPER_BITS = 16;
/**
 * Counters per row for each expected key. Wider than the 4 of the first TinyLFU paper: on
 * Zipf 0.6-0.8 over 100× more keys than the cache holds, collisions otherwise blur the keys
 * near the admission threshold (measured with bench/hit-ratio.ts).
 */
const WIDTH_PER_KEY = 8;
/** Blocks per expected key: 4 rows × WIDTH_PER_KEY counters, 128 counters to a block. */
const KEYS_PER_BLOCK = 128 / (4 * WIDTH_PER_KEY);
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
  private keys: number;
  private samples: number;
  /** Eight 4-bit counters per word, in blocks of 16 words. */
  private table: Uint32Array;
  /** Blocks - 1 (a power of two minus one): the block of a hash is `hash & blockMask`. */
  private blockMask: number;
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
    this.keys = keysFor(expectedKeys);
    this.samples = SAMPLES_PER_KEY * this.keys;
    const blocks = this.keys / KEYS_PER_BLOCK;
    this.blockMask = blocks - 1;
    this.table = new Uint32Array(blocks * BLOCK_WORDS);
    if (doorkeeper) this.doorkeeper = new Doorkeeper(DOORKEEPER_BITS * this.keys);
  }

  /** Counters per row: a power of two, 8 × the expected number of keys (rounded up). */
  get width(): number {
    return WIDTH_PER_KEY * this.keys;
  }

  /** Increments between two agings (halvings): 40 × the expected number of keys (rounded up). */
  get sampleSize(): number {
    return this.samples;
  }

  /**
   * Makes the table fit `expectedKeys` keys (it never shrinks), keeping every estimate: a key's
   * block is `hash & blockMask`, so with the blocks doubled its new block is the old one or the
   * old one + the old number of blocks, and both start as copies of the old one (a key's place
   * inside its block does not depend on the table's size). The aging period grows with the table.
   */
  grow(expectedKeys: number): void {
    const keys = keysFor(expectedKeys);
    if (keys <= this.keys) return;
    const table = new Uint32Array((keys / KEYS_PER_BLOCK) * BLOCK_WORDS);
    for (let at = 0; at < table.length; at += this.table.length) table.set(this.table, at);
    this.table = table;
    this.keys = keys;
    this.blockMask = keys / KEYS_PER_BLOCK - 1;
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
    // The four rows are written out: each counter's place is computed once, for both the read
    // and the write (this runs on every get).
    const t = this.table;
    const block = (hash & this.blockMask) << BLOCK_SHIFT;
    const spread = spreadOf(hash);
    const w0 = block + ((spread >>> 3) & 3);
    const w1 = block + 4 + ((spread >>> 8) & 3);
    const w2 = block + 8 + ((spread >>> 13) & 3);
    const w3 = block + 12 + ((spread >>> 18) & 3);
    const s0 = (spread & 7) << 2;
    const s1 = ((spread >>> 5) & 7) << 2;
    const s2 = ((spread >>> 10) & 7) << 2;
    const s3 = ((spread >>> 15) & 7) << 2;
    const c0 = (t[w0]! >>> s0) & MAX_COUNT;
    const c1 = (t[w1]! >>> s1) & MAX_COUNT;
    const c2 = (t[w2]! >>> s2) & MAX_COUNT;
    const c3 = (t[w3]! >>> s3) & MAX_COUNT;
    const min = Math.min(c0, c1, c2, c3);
    if (min === MAX_COUNT) return;
    if (c0 === min) t[w0]! += 1 << s0;
    if (c1 === min) t[w1]! += 1 << s1;
    if (c2 === min) t[w2]! += 1 << s2;
    if (c3 === min) t[w3]! += 1 << s3;
    if (++this.additions >= this.samples) this.age();
  }

  /** The estimated access count (0..15, 16 with the doorkeeper) of the key with hash `hash`. */
  estimate(hash: number): number {
    const t = this.table;
    const block = (hash & this.blockMask) << BLOCK_SHIFT;
    const spread = spreadOf(hash);
    const min = Math.min(
      (t[block + ((spread >>> 3) & 3)]! >>> ((spread & 7) << 2)) & MAX_COUNT,
      (t[block + 4 + ((spread >>> 8) & 3)]! >>> (((spread >>> 5) & 7) << 2)) & MAX_COUNT,
      (t[block + 8 + ((spread >>> 13) & 3)]! >>> (((spread >>> 10) & 7) << 2)) & MAX_COUNT,
      (t[block + 12 + ((spread >>> 18) & 3)]! >>> (((spread >>> 15) & 7) << 2)) & MAX_COUNT,
    );
    if (this.doorkeeper?.has(hash)) return min + 1;
    return min;
  }

  /** Halves every counter: old popularity fades. */
  age(): void {
    // Eight counters at a time: shift the word, drop the bit each nibble took from the next.
    const t = this.table;
    for (let i = 0; i < t.length; i++) t[i] = (t[i]! >>> 1) & 0x77777777;
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

/**
 * The bits that place a key inside its block, 5 per row (3 for the counter in a word, 2 for the
 * word): a multiplicative hash of `hash`, shifted so that they come from its high bits, which
 * the block index (the low bits of `hash`) does not share.
 */
function spreadOf(hash: number): number {
  return Math.imul(hash, 0x9e3779b1) >>> 12;
}

/** Keys a table is sized for: 16 to 2^26, a power of two at least `expectedKeys`. */
function keysFor(expectedKeys: number): number {
  let keys = 16;
  while (keys < expectedKeys && keys < 2 ** 26) keys *= 2;
  return keys;
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
