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

/**
 * Zipf(`s`) over `n` keys, interrupted every `every` accesses by a scan of `scan` keys never
 * seen before and never seen again (a batch job walking a table through the cache).
 */
export function scans(
  n: number,
  s: number,
  length: number,
  every: number,
  scan: number,
  seed = 11,
): Int32Array {
  const base = zipf(n, s, length, seed);
  const out = new Int32Array(length);
  let fresh = n;
  let from = 0;
  for (let i = 0; i < length; ) {
    const run = Math.min(every, length - i);
    out.set(base.subarray(from, from + run), i);
    from += run;
    i += run;
    for (let j = 0; j < scan && i < length; j++) out[i++] = fresh++;
  }
  return out;
}

/**
 * A news feed: items are published one after another (a new one every `1 / publishRate`
 * accesses on average) and each access reads the item of age `a` (0 = the newest) with a
 * probability falling as Zipf(`s`) in `a + 1`, over the last `horizon` items. New keys are hot
 * for a short while, then forgotten: recency predicts the next access, past frequency does not.
 */
export function recency(
  publishRate: number,
  s: number,
  horizon: number,
  length: number,
  seed = 13,
): Int32Array {
  const random = prng(seed);
  const cdf = new Float64Array(horizon);
  let sum = 0;
  for (let a = 0; a < horizon; a++) {
    sum += 1 / (a + 1) ** s;
    cdf[a] = sum;
  }
  const out = new Int32Array(length);
  let newest = horizon;
  for (let i = 0; i < length; i++) {
    if (random() < publishRate) newest++;
    const u = random() * sum;
    let lo = 0;
    let hi = horizon - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    out[i] = newest - lo;
  }
  return out;
}

/** The hit ratio of the best static cache of `capacity` keys under Zipf(`s`) over `n` keys. */
export function zipfBestStatic(n: number, s: number, capacity: number): number {
  let top = 0;
  let sum = 0;
  for (let r = 0; r < n; r++) {
    const w = 1 / (r + 1) ** s;
    sum += w;
    if (r < capacity) top += w;
  }
  return top / sum;
}
