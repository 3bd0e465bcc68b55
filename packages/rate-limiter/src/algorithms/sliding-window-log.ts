/**
 * Sliding window log (exact).
 *
 * Every admitted request is logged with its time and its cost. A request at `t` counts the units
 * logged in the half-open interval `(t - windowMs, t]` and is admitted when they plus its own cost
 * are at most `limit`. So no interval of length `windowMs` ever holds more than `limit` admitted
 * units: the exact definition, paid for with memory proportional to the requests in a window.
 *
 * State: the log, oldest first, as entries `(time, units)` with strictly increasing integer
 * times (requests at the same ms share one entry), and `total`, the sum of their units. Fresh
 * state: an empty log. (Redis keeps the same entries in a sorted set scored by time.)
 *
 * The arithmetic, in order (L = limit, W = windowMs; all values are integers):
 *
 *     t       = max(now, time of the newest entry)  -- now when the log is empty
 *     drop every entry with time <= t - W, oldest first, subtracting its units from total
 *     count   = total
 *     allowed = count + cost <= L
 *     after   = allowed ? count + cost : count
 *     remaining    = L - after
 *     oldest  = time of the oldest entry after this decision (t when the log was empty)
 *     resetMs      = (after == 0) ? 0 : oldest + W - t          -- until one unit leaves (`t`)
 *     retryAfterMs = allowed ? 0 :
 *         need = count + cost - L                              -- units that must leave first
 *         walk the entries oldest first, summing units, and stop at the first entry e where
 *         the sum >= need; retryAfterMs = e.time + W - t         -- when e leaves the window
 *     if allowed and take: append (t, cost), or add cost to the newest entry if its time is t
 *
 * `limit` in decisions is L. A key is idle when every entry is at or before `t - W`.
 */
import type { Decision, SlidingWindowLogSpec } from '../types.js';
import type { Algorithm } from './algorithm.js';

/**
 * Per-key state of a sliding window log: entries `(times[i], units[i])` for `i >= head`, oldest
 * first. Entries before `head` are dropped ones not yet compacted away.
 */
export interface SlidingWindowLogState {
  /** The ms of each entry, ascending. */
  times: number[];
  /** The units admitted at each entry's ms. */
  units: number[];
  /** Index of the oldest live entry. */
  head: number;
  /** Sum of `units[head..]`. */
  total: number;
}

function prune(state: SlidingWindowLogState, cutoff: number): void {
  const { times, units } = state;
  let head = state.head;
  while (head < times.length && times[head]! <= cutoff) {
    state.total -= units[head]!;
    head++;
  }
  if (head === times.length) {
    times.length = 0;
    units.length = 0;
    head = 0;
  } else if (head > 16 && head * 2 > times.length) {
    times.splice(0, head);
    units.splice(0, head);
    head = 0;
  }
  state.head = head;
}

/** The sliding-window-log step function and its helpers (arithmetic in the file header). */
export const slidingWindowLogAlgorithm: Algorithm<SlidingWindowLogSpec, SlidingWindowLogState> = {
  fresh: () => ({ times: [], units: [], head: 0, total: 0 }),
  copy(from, to) {
    to.times.length = 0;
    to.units.length = 0;
    for (let i = from.head; i < from.times.length; i++) {
      to.times.push(from.times[i]!);
      to.units.push(from.units[i]!);
    }
    to.head = 0;
    to.total = from.total;
  },
  step(spec, state, now, cost, take): Decision {
    const w = spec.windowMs;
    const n = state.times.length;
    const newestBefore = n > state.head ? state.times[n - 1]! : now;
    const t = Math.max(now, newestBefore);
    prune(state, t - w);
    const count = state.total;
    const allowed = count + cost <= spec.limit;
    const after = allowed ? count + cost : count;
    let retryAfterMs = 0;
    if (!allowed) {
      const need = count + cost - spec.limit;
      let sum = 0;
      let i = state.head;
      for (; i < state.times.length; i++) {
        sum += state.units[i]!;
        if (sum >= need) break;
      }
      retryAfterMs = state.times[i]! + w - t;
    }
    const len = state.times.length;
    const oldest = len > state.head ? state.times[state.head]! : t;
    if (allowed && take) {
      if (len > state.head && state.times[len - 1] === t) state.units[len - 1]! += cost;
      else {
        state.times.push(t);
        state.units.push(cost);
      }
      state.total = after;
    }
    return {
      allowed,
      limit: spec.limit,
      remaining: spec.limit - after,
      resetMs: after === 0 ? 0 : oldest + w - t,
      retryAfterMs,
    };
  },
  isIdle(spec, state, now) {
    const n = state.times.length;
    if (n === state.head) return true;
    const newest = state.times[n - 1]!;
    const t = Math.max(now, newest);
    return newest <= t - spec.windowMs;
  },
  limitOf: (spec) => spec.limit,
};
