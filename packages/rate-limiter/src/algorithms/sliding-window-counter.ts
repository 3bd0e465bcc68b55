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
 *     wait(c, k) = c + k <= L ?                       -- until k units fit over c units of
 *             (W - e) - floor(((L - c - k) * W) / prev)   -- this window: prev's weight shrinks
 *         :                                            -- else into the next window, where
 *             (W - e) + W - floor(((L - k) * W) / c)      -- c becomes the weighted prev
 *     retryAfterMs = allowed ? 0 : wait(curr, cost)
 *     resetMs   = remaining >= L ? 0 : wait(after, remaining + 1)   -- until remaining grows (`t`)
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

// Milliseconds until `k` units fit on top of `c` units counted in this window (`e` ms into it,
// after `prev` units in the window before), when they do not fit now.
function wait(
  spec: SlidingWindowCounterSpec,
  prev: number,
  e: number,
  c: number,
  k: number,
): number {
  const w = spec.windowMs;
  const l = spec.limit;
  return c + k <= l
    ? w - e - Math.floor(((l - c - k) * w) / prev)
    : w - e + w - Math.floor(((l - k) * w) / c);
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
    const remaining = Math.max(Math.floor((l * w - usedAfter) / w), 0);
    if (allowed && take) {
      state.start = ws;
      state.prev = prev;
      state.curr = after;
    }
    return {
      allowed,
      limit: l,
      remaining,
      resetMs: remaining >= l ? 0 : wait(spec, prev, e, after, remaining + 1),
      retryAfterMs: allowed ? 0 : wait(spec, prev, e, curr, cost),
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
