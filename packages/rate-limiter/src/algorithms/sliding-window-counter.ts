/**
 * Sliding window counter (two weighted windows).
 *
 * Counts per aligned window, as the fixed window does, but judges a request at `t` by an estimate
 * of the last `windowMs`: this window's count plus the previous window's count weighted by the
 * part of the previous window still inside `(t - windowMs, t]`. The estimate assumes the previous
 * window's requests were spread evenly; memory is two counters per key whatever the traffic.
 *
 * To stay exact in doubles, the weighted count is kept multiplied by W (units x ms), so every
 * value is an integer; the factory requires `limit * windowMs <= 2^53 - 1`.
 *
 * State: `start` (integer ms, start of the current counted window), `prev` and `curr` (integer
 * units admitted in the window before `start` and in the window at `start`). Fresh state: all 0.
 *
 * The arithmetic, in order (L = limit, W = windowMs; all values are integers):
 *
 *     t       = max(now, start)
 *     ws      = t - (t % W)
 *     if ws == start:          prev, curr = prev, curr
 *     elseif ws == start + W:  prev, curr = curr, 0      -- the window rolled once
 *     else:                    prev, curr = 0, 0         -- two or more windows passed
 *     e       = t - ws                                   -- ms into the current window
 *     used    = prev * (W - e) + curr * W                -- weighted count times W
 *     allowed = used + cost * W <= L * W
 *     after   = allowed ? curr + cost : curr
 *     usedAfter = prev * (W - e) + after * W
 *     remaining = max(0, floor((L * W - usedAfter) / W))
 *     resetMs   = after > 0 ? (W - e) + W                  -- until the weighted count is 0
 *               : prev > 0  ? W - e
 *               : 0
 *     retryAfterMs = allowed ? 0
 *         : curr + cost <= L ?                            -- wait for prev's weight to shrink
 *             (W - e) - floor(((L - curr - cost) * W) / prev)
 *         :                                               -- wait into the next window, where
 *             (W - e) + W - floor(((L - cost) * W) / curr)  -- curr becomes the weighted prev
 *     if allowed and take: store start = ws, prev = prev, curr = after
 *
 * `retryAfterMs` is exact: the first integer ms at which the same cost would be admitted if
 * nothing else is. `limit` in decisions is L. A key is idle when, after the roll, prev and curr
 * are both 0.
 */
import type { Decision, SlidingWindowCounterSpec } from '../types.js';
import type { Algorithm } from './algorithm.js';

/** Per-key state of a sliding window counter. */
export interface SlidingWindowCounterState {
  /** Integer ms at which the current counted window starts. */
  start: number;
  /** Units admitted in the window before `start`. */
  prev: number;
  /** Units admitted in the window at `start`. */
  curr: number;
}

/** The sliding-window-counter step function and its helpers (arithmetic in the file header). */
export const slidingWindowCounterAlgorithm: Algorithm<
  SlidingWindowCounterSpec,
  SlidingWindowCounterState
> = {
  fresh: () => ({ start: 0, prev: 0, curr: 0 }),
  copy(from, to) {
    to.start = from.start;
    to.prev = from.prev;
    to.curr = from.curr;
  },
  step(spec, state, now, cost, take): Decision {
    const w = spec.windowMs;
    const l = spec.limit;
    const t = Math.max(now, state.start);
    const ws = t - (t % w);
    let prev = 0;
    let curr = 0;
    if (ws === state.start) {
      prev = state.prev;
      curr = state.curr;
    } else if (ws === state.start + w) {
      prev = state.curr;
    }
    const e = t - ws;
    const used = prev * (w - e) + curr * w;
    const allowed = used + cost * w <= l * w;
    const after = allowed ? curr + cost : curr;
    const usedAfter = prev * (w - e) + after * w;
    const remaining = Math.floor((l * w - usedAfter) / w);
    let retryAfterMs = 0;
    if (!allowed) {
      retryAfterMs =
        curr + cost <= l
          ? w - e - Math.floor(((l - curr - cost) * w) / prev)
          : w - e + w - Math.floor(((l - cost) * w) / curr);
    }
    if (allowed && take) {
      state.start = ws;
      state.prev = prev;
      state.curr = after;
    }
    return {
      allowed,
      limit: l,
      remaining: Math.max(remaining, 0),
      resetMs: after > 0 ? w - e + w : prev > 0 ? w - e : 0,
      retryAfterMs,
    };
  },
  isIdle(spec, state, now) {
    const w = spec.windowMs;
    const t = Math.max(now, state.start);
    const ws = t - (t % w);
    if (ws === state.start) return state.prev === 0 && state.curr === 0;
    if (ws === state.start + w) return state.curr === 0;
    return true;
  },
  limitOf: (spec) => spec.limit,
};
