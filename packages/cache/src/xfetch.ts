// XFetch (Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache Stampede Prevention",
// VLDB 2015): a reader recomputes a value early when
//
//   now − δ·β·ln(rand()) ≥ expiry
//
// where δ is how long the last recomputation took and rand() is uniform on (0, 1]. −ln(rand())
// is exponentially distributed, so with g = expiry − now the probability is exp(−g / (δ·β)):
// nil far from expiry, growing as expiry nears, sooner for values slow to compute, and (summed
// over readers) about one early refresh per expiry whatever the read rate. β > 1 refreshes
// earlier, β < 1 later.

// −ln(u) of any double u ≥ 2^−53 (the smallest Math.random() step) is at most 53·ln 2 ≈ 36.7.
const MAX_EXPONENTIAL = 53 * Math.LN2;

/**
 * True when a hit at `now` on an entry fresh until `expiry`, whose last load took `deltaMs`,
 * should refresh it early. When no draw could trigger (the expiry is farther than
 * 36.7·δ·β), no random number is drawn, so most hits cost one comparison.
 */
export function refreshesEarly(
  now: number,
  expiry: number,
  deltaMs: number,
  beta: number,
  random: () => number,
): boolean {
  const scale = deltaMs * beta;
  if (expiry - now > scale * MAX_EXPONENTIAL) return false;
  return now - scale * Math.log(random()) >= expiry;
}
