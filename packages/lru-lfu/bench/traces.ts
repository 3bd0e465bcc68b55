// Key streams shared by the benches and the hit-ratio simulator. Every generator is seeded, so
// every implementation sees the same keys in the same order.
import { seededRandom } from '@bulwark/test-utils/random';

/** A small seeded PRNG: floats in [0, 1). */
export const prng = seededRandom;

/**
 * `length` keys drawn from a Zipf(`s`) distribution over `n` keys (rank r has weight 1/r^s).
 * Ranks are shuffled onto key numbers so popularity does not follow the key's value.
 */
export function zipf(n: number, s: number, length: number, seed = 42): Int32Array {
  const random = prng(seed);
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    sum += 1 / (r + 1) ** s;
    cdf[r] = sum;
  }
  const keyOfRank = new Int32Array(n);
  for (let r = 0; r < n; r++) keyOfRank[r] = r;
  for (let r = n - 1; r > 0; r--) {
    const j = Math.floor(random() * (r + 1));
    const t = keyOfRank[r]!;
    keyOfRank[r] = keyOfRank[j]!;
    keyOfRank[j] = t;
  }
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    out[i] = keyOfRank[lo]!;
  }
  return out;
}

/** A loop over `n` distinct keys, repeated until `length` keys. */
export function loop(n: number, length: number): Int32Array {
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) out[i] = i % n;
  return out;
}

/**
 * Zipf(`s`) over `n` keys for the first half, then Zipf(`s`) over a disjoint set of `n` keys:
 * the popular set moves halfway through.
 */
export function shifting(n: number, s: number, length: number, seed = 7): Int32Array {
  const half = Math.floor(length / 2);
  const first = zipf(n, s, half, seed);
  const second = zipf(n, s, length - half, seed + 1);
  const out = new Int32Array(length);
  out.set(first, 0);
  for (let i = 0; i < second.length; i++) out[half + i] = second[i]! + n;
  return out;
}
