// MurmurHash3, x86 32-bit variant (Austin Appleby, public domain algorithm), written for this
// package. It is the hash every structure here uses unless told otherwise, so its output is part
// of the public contract: the same key gives the same 32-bit number in every process, on every
// platform and in every version of this package. Changing it would move keys between servers.
//
// Strings are hashed as their UTF-8 bytes (a lone surrogate counts as U+FFFD, as in
// `Buffer.from(s)`), so `hash32('é')` equals `hash32(new TextEncoder().encode('é'))` and equals
// the MurmurHash3_x86_32 of other languages over the same bytes.

/** A key the hashes accept: a string (hashed as UTF-8) or raw bytes. */
export type HashKey = string | Uint8Array;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

const encoder = new TextEncoder();
// Reused for non-ASCII strings so hashing never allocates on the hot path.
let scratch = new Uint8Array(256);

/**
 * MurmurHash3 (x86, 32-bit) of a string's UTF-8 bytes or of a byte array.
 *
 * Deterministic and stable across processes and versions: this is the hash the ring, jump,
 * rendezvous and Maglev use by default.
 *
 * @param key - a string (hashed as UTF-8) or bytes
 * @param seed - a 32-bit seed (default 0); different seeds give independent hash functions
 * @returns an unsigned 32-bit integer
 * @example
 * hash32('The quick brown fox jumps over the lazy dog'); // 0x2e4ff723
 */
export function hash32(key: HashKey, seed = 0): number {
  return typeof key === 'string' ? hashString(key, seed) : hashBytes(key, key.length, seed);
}

/**
 * MurmurHash3 of one 32-bit word (as 4 little-endian bytes) with a seed: combines two hashes
 * into a third that looks independent of both. Rendezvous hashing scores a (key, node) pair
 * with `hashWord(keyHash, nodeHash)`.
 *
 * @param word - any 32-bit integer
 * @param seed - any 32-bit integer
 * @returns an unsigned 32-bit integer
 */
export function hashWord(word: number, seed: number): number {
  return finalize(mixBlock(seed | 0, word | 0), 4);
}

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function mixTail(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  return h ^ k;
}

function finalize(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * MurmurHash3 of the first `length` bytes of `bytes` (internal: lets the ring hash point names
 * written into a reused buffer, without a string or a subarray per point).
 * @internal
 */
export function hashBytes(bytes: Uint8Array, length: number, seed: number): number {
  let h = seed | 0;
  const blocks = length & ~3;
  let i = 0;
  for (; i < blocks; i += 4) {
    h = mixBlock(
      h,
      bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24),
    );
  }
  const rest = length & 3;
  if (rest > 0) {
    let k = bytes[i]!;
    if (rest > 1) k |= bytes[i + 1]! << 8;
    if (rest > 2) k |= bytes[i + 2]! << 16;
    h = mixTail(h, k);
  }
  return finalize(h, length);
}

// ASCII strings (the usual key) are hashed straight from their char codes, four at a time,
// without encoding; the first non-ASCII char sends the whole string through the UTF-8 path.
function hashString(s: string, seed: number): number {
  const length = s.length;
  let h = seed | 0;
  const blocks = length & ~3;
  let i = 0;
  for (; i < blocks; i += 4) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 0x7f) return hashUtf8(s, seed);
    h = mixBlock(h, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
  }
  const rest = length & 3;
  if (rest > 0) {
    const c0 = s.charCodeAt(i);
    const c1 = rest > 1 ? s.charCodeAt(i + 1) : 0;
    const c2 = rest > 2 ? s.charCodeAt(i + 2) : 0;
    if ((c0 | c1 | c2) > 0x7f) return hashUtf8(s, seed);
    h = mixTail(h, c0 | (c1 << 8) | (c2 << 16));
  }
  return finalize(h, length);
}

function hashUtf8(s: string, seed: number): number {
  // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
  if (scratch.length < s.length * 3) scratch = new Uint8Array(s.length * 3);
  const { written } = encoder.encodeInto(s, scratch);
  return hashBytes(scratch, written, seed);
}
