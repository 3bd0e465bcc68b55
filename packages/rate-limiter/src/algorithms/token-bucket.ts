/**
 * Token bucket.
 *
 * A bucket holds up to `capacity` tokens and gains `refillPerSecond` tokens per second,
 * continuously. A request of `cost` is admitted when the bucket holds at least `cost` tokens, and
 * takes them. A full bucket allows a burst of `capacity` at once; the long-run rate is
 * `refillPerSecond`.
 *
 * Tokens are counted in thousandths (`milli = tokens * 1000`), so that a refill of `r` tokens per
 * second adds exactly `r` thousandths per ms: with a whole (or binary-fraction) rate every value
 * below is an integer and exact in doubles. Other rates (say 1/3) round the same way in JS and
 * Lua, since both use IEEE-754 doubles and the same operations in the same order.
 *
 * State: `milli` (thousandths of a token in the bucket at `last`) and `last` (integer ms of the
 * last admitted take). Fresh state: `milli = capacity * 1000`, `last = 0`. A Redis script stores
 * `milli` with `string.format('%.17g', x)` (never `tostring`, which keeps only 14 digits).
 *
 * The arithmetic, in order (C = capacity, r = refillPerSecond):
 *
 *     full    = C * 1000
 *     t       = max(now, last)                  -- time never runs backwards for a key
 *     milli   = min(full, milli + (t - last) * r)
 *     need    = cost * 1000
 *     allowed = milli >= need
 *     after   = allowed ? milli - need : milli
 *     remaining    = max(0, floor(after / 1000))
 *     resetMs      = remaining >= C ? 0              -- until one more whole token is in (the
 *                  : ceil(((remaining + 1) * 1000 - after) / r)   -- RateLimit header's `t`)
 *     retryAfterMs = allowed ? 0 : ceil((need - milli) / r)
 *     if allowed and take: store milli = after, last = t
 *
 * `limit` in decisions is C; a cost above C is rejected before the step. A key is idle (can be
 * forgotten) when its refilled `milli` equals `full`: then it decides exactly like a fresh key.
 */
import type { Decision, TokenBucketSpec } from '../types.js';
import type { Algorithm } from './algorithm.js';

/** Per-key state of a token bucket. */
export interface TokenBucketState {
  /** Thousandths of a token in the bucket at `last`. */
  milli: number;
  /** Integer ms of the last admitted take. */
  last: number;
}

function refilled(spec: TokenBucketSpec, state: TokenBucketState, t: number): number {
  return Math.min(spec.capacity * 1000, state.milli + (t - state.last) * spec.refillPerSecond);
}

// Until the bucket holds one more whole token than it does after this decision (0 when full): the
// time until `remaining` grows, which is what the RateLimit header's `t` reports.
function untilNextUnit(spec: TokenBucketSpec, after: number): number {
  const remaining = Math.max(0, Math.floor(after / 1000));
  if (remaining >= spec.capacity) return 0;
  return Math.ceil(((remaining + 1) * 1000 - after) / spec.refillPerSecond);
}

/** The token-bucket step function and its helpers (see the file header for the arithmetic). */
export const tokenBucketAlgorithm: Algorithm<TokenBucketSpec, TokenBucketState> = {
  fresh: (spec) => ({ milli: spec.capacity * 1000, last: 0 }),
  copy(from, to) {
    to.milli = from.milli;
    to.last = from.last;
  },
  step(spec, state, now, cost, take): Decision {
    const r = spec.refillPerSecond;
    const t = Math.max(now, state.last);
    const milli = refilled(spec, state, t);
    const need = cost * 1000;
    const allowed = milli >= need;
    const after = allowed ? milli - need : milli;
    if (allowed && take) {
      state.milli = after;
      state.last = t;
    }
    return {
      allowed,
      limit: spec.capacity,
      remaining: Math.max(0, Math.floor(after / 1000)),
      resetMs: untilNextUnit(spec, after),
      retryAfterMs: allowed ? 0 : Math.ceil((need - milli) / r),
    };
  },
  isIdle(spec, state, now) {
    return refilled(spec, state, Math.max(now, state.last)) === spec.capacity * 1000;
  },
  limitOf: (spec) => spec.capacity,
};
