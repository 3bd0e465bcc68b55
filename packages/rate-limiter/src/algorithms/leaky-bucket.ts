/**
 * Leaky bucket, as a meter.
 *
 * A bucket of `capacity` units drains at `leakPerSecond` units per second, continuously. A
 * request of `cost` pours `cost` units in; it is admitted when they fit (`level + cost <=
 * capacity`) and dropped otherwise. As a meter this decides exactly like a token bucket whose
 * tokens are `capacity - level`; the difference is the shaper (`LeakyBucketShaper`), which makes
 * a request wait for its steady outflow slot instead of dropping it.
 *
 * The level is counted in thousandths (`milli = level * 1000`), so a leak of `r` units per second
 * removes exactly `r` thousandths per ms (see the token bucket for why).
 *
 * State: `milli` (thousandths of a unit in the bucket at `last`) and `last` (integer ms of the
 * last admitted pour). Fresh state: `milli = 0`, `last = 0`. A Redis script stores `milli` with
 * `string.format('%.17g', x)`.
 *
 * The arithmetic, in order (C = capacity, r = leakPerSecond):
 *
 *     full    = C * 1000
 *     t       = max(now, last)
 *     milli   = max(0, milli - (t - last) * r)
 *     need    = cost * 1000
 *     allowed = milli + need <= full
 *     after   = allowed ? milli + need : milli
 *     remaining    = max(0, floor((full - after) / 1000))
 *     resetMs      = remaining >= C ? 0                 -- until one more whole unit fits (the
 *                  : ceil((after + (remaining + 1) * 1000 - full) / r)   -- header's `t`)
 *     retryAfterMs = allowed ? 0 : ceil((milli + need - full) / r)
 *     if allowed and take: store milli = after, last = t
 *
 * `limit` in decisions is C; a cost above C is rejected before the step. A key is idle when its
 * drained `milli` is exactly 0.
 */
import type { Decision, LeakyBucketSpec } from '../types.js';
import type { Algorithm } from './algorithm.js';

/** Per-key state of a leaky bucket (meter). */
export interface LeakyBucketState {
  /** Thousandths of a unit in the bucket at `last`. */
  milli: number;
  /** Integer ms of the last admitted pour. */
  last: number;
}

function drained(spec: LeakyBucketSpec, state: LeakyBucketState, t: number): number {
  return Math.max(0, state.milli - (t - state.last) * spec.leakPerSecond);
}

// Until one more whole unit fits than after this decision (0 when empty): the time until
// `remaining` grows, which is what the RateLimit header's `t` reports.
function untilNextUnit(spec: LeakyBucketSpec, after: number): number {
  const full = spec.capacity * 1000;
  const remaining = Math.max(0, Math.floor((full - after) / 1000));
  if (remaining >= spec.capacity) return 0;
  return Math.ceil((after + (remaining + 1) * 1000 - full) / spec.leakPerSecond);
}

/** The leaky-bucket (meter) step function and its helpers (arithmetic in the file header). */
export const leakyBucketAlgorithm: Algorithm<LeakyBucketSpec, LeakyBucketState> = {
  fresh: () => ({ milli: 0, last: 0 }),
  copy(from, to) {
    to.milli = from.milli;
    to.last = from.last;
  },
  step(spec, state, now, cost, take): Decision {
    const r = spec.leakPerSecond;
    const full = spec.capacity * 1000;
    const t = Math.max(now, state.last);
    const milli = drained(spec, state, t);
    const need = cost * 1000;
    const allowed = milli + need <= full;
    const after = allowed ? milli + need : milli;
    if (allowed && take) {
      state.milli = after;
      state.last = t;
    }
    return {
      allowed,
      limit: spec.capacity,
      remaining: Math.max(0, Math.floor((full - after) / 1000)),
      resetMs: untilNextUnit(spec, after),
      retryAfterMs: allowed ? 0 : Math.ceil((milli + need - full) / r),
    };
  },
  isIdle(spec, state, now) {
    return drained(spec, state, Math.max(now, state.last)) === 0;
  },
  limitOf: (spec) => spec.capacity,
};
