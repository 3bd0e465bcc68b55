// Jump consistent hash (Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm",
// 2014). No ring and no memory: a key's bucket is found by jumping forward through bucket counts
// with a pseudo-random generator seeded by the key. Going from n to n + 1 buckets moves exactly
// the keys that jump into bucket n, 1/(n + 1) of them, and the spread is as even as the hash.
// The price: buckets are numbered 0..n-1 and only the last one can be removed.
//
// The generator is the paper's 64-bit LCG, key = key × 2862933555777941757 + 1 (mod 2^64),
// computed here on two 32-bit halves so that no BigInt is needed; integer keys therefore get the
// same buckets as the paper's C++ and Guava's `Hashing.consistentHash`-style implementations.
import { describeValue } from '@bulwark/kernel';
import { type HashKey, hash32 } from './hash.js';

const MULTIPLIER_HIGH = 0x27bb2ee6;
const MULTIPLIER_LOW = 0x87b0b0fd;
const TWO_POW_32 = 2 ** 32;
const TWO_POW_31 = 2 ** 31;
// A seed for the high half of a string's 64-bit key (any fixed value works; this one is part of
// the contract, like the hash).
const HIGH_SEED = 0x9747b28c;

/**
 * The bucket of a key among `buckets` buckets, by jump consistent hash.
 *
 * Integer keys (a non-negative safe integer or a bigint, taken mod 2^64) are used as the
 * paper's 64-bit key. Strings and bytes are first hashed to 64 bits:
 * `hash32(key, 0x9747b28c)` is the high half and `hash32(key)` the low half.
 *
 * @param key - a string, bytes, a non-negative safe integer or a bigint
 * @param buckets - the number of buckets, an integer in [1, 2^31]
 * @returns the bucket, in [0, buckets)
 * @throws RangeError when buckets is out of range or a number key is not a safe integer >= 0
 * @example
 * jumpHash('user:42', 10); // a bucket in 0..9, the same in every process
 */
export function jumpHash(key: HashKey | number | bigint, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > TWO_POW_31) {
    throw new RangeError(`buckets must be an integer in [1, 2^31], got ${describeValue(buckets)}`);
  }
  let high: number;
  let low: number;
  if (typeof key === 'string' || key instanceof Uint8Array) {
    high = hash32(key, HIGH_SEED);
    low = hash32(key);
  } else if (typeof key === 'number') {
    if (!Number.isSafeInteger(key) || key < 0) {
      throw new RangeError(`key must be a safe integer >= 0, got ${describeValue(key)}`);
    }
    high = Math.floor(key / TWO_POW_32);
    low = key >>> 0;
  } else if (typeof key === 'bigint') {
    const wide = BigInt.asUintN(64, key);
    high = Number(wide >> 32n);
    low = Number(wide & 0xffffffffn);
  } else {
    throw new TypeError(
      `key must be a string, bytes, a number or a bigint, got ${describeValue(key)}`,
    );
  }
  return jump(high, low, buckets);
}

function jump(high: number, low: number, buckets: number): number {
  let bucket = -1;
  let next = 0;
  while (next < buckets) {
    bucket = next;
    // key = key × MULTIPLIER + 1 (mod 2^64). The low halves' product needs all 64 bits, so it is
    // done on 16-bit pieces, whose products stay exact in a double.
    const a0 = low & 0xffff;
    const a1 = low >>> 16;
    const b0 = MULTIPLIER_LOW & 0xffff;
    const b1 = MULTIPLIER_LOW >>> 16;
    const middle = a0 * b1 + a1 * b0;
    const lowSum = a0 * b0 + (middle % 65536) * 65536 + 1;
    const carry = Math.floor(lowSum / TWO_POW_32);
    const highSum =
      a1 * b1 +
      Math.floor(middle / 65536) +
      carry +
      Math.imul(high, MULTIPLIER_LOW) +
      Math.imul(low, MULTIPLIER_HIGH);
    low = lowSum >>> 0;
    high = highSum >>> 0;
    // next = (bucket + 1) × 2^31 / ((key >> 33) + 1), in doubles as in the paper.
    next = Math.floor((bucket + 1) * (TWO_POW_31 / ((high >>> 1) + 1)));
  }
  return bucket;
}
