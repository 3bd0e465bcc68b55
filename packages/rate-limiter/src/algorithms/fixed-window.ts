/**
 * Fixed window.
 *
 * Each window admits at most `limit` units; the count starts again at 0 when a new window begins.
 * Where windows begin is the `anchor`:
 * - `'clock'`: time is cut into aligned windows `[k * windowMs, (k + 1) * windowMs)` (aligned to
 *   ms 0 of the clock: the Unix epoch for `Date.now()` and Redis `TIME`), the same for every key;
 * - `'first-hit'`: a key's window opens at its first request once the previous window is over
 *   (or at its very first), so each key has its own boundaries: the count of
 *   rate-limiter-flexible and express-rate-limit.
 * Either way up to `2 * limit` units can pass around a window boundary; use a sliding window or
 * GCRA when that matters.
 *
 * State: `start` (integer ms, the start of the window the count belongs to) and `count`
 * (integer units admitted in it). Fresh state: `start = 0`, `count = 0`.
 *
 * The arithmetic, in order (L = limit, W = windowMs; all values are integers):
 *
 *     t       = max(now, start)
 *     clock:     ws = t - (t % W)                   -- t >= 0, so JS % and Lua % agree
 *     first-hit: ws = (count == 0 or t >= start + W) ? t : start
 *     count   = (ws == start) ? count : 0
 *     allowed = count + cost <= L
 *     after   = allowed ? count + cost : count
 *     remaining    = L - after
 *     resetMs      = (after == 0) ? 0 : ws + W - t    -- until this window ends
 *     retryAfterMs = allowed ? 0 : ws + W - t         -- cost <= L always fits a new window
 *     if allowed and take: store start = ws, count = after
 *
 * `limit` in decisions is L. A key is idle when its window is over (`t >= start + W`) or its
 * count is 0.
 */
import type { Decision, FixedWindowSpec } from '../types.js';
import type { Algorithm } from './algorithm.js';

/** Per-key state of a fixed window. */
export interface FixedWindowState {
  /** Integer ms at which the counted window starts. */
  start: number;
  /** Units admitted in that window. */
  count: number;
}

/** The fixed-window step function and its helpers (arithmetic in the file header). */
export const fixedWindowAlgorithm: Algorithm<FixedWindowSpec, FixedWindowState> = {
  fresh: () => ({ start: 0, count: 0 }),
  copy(from, to) {
    to.start = from.start;
    to.count = from.count;
  },
  step(spec, state, now, cost, take): Decision {
    const w = spec.windowMs;
    const t = Math.max(now, state.start);
    const ws =
      spec.anchor !== 'first-hit'
        ? t - (t % w)
        : state.count === 0 || t >= state.start + w
          ? t
          : state.start;
    const count = ws === state.start ? state.count : 0;
    const allowed = count + cost <= spec.limit;
    const after = allowed ? count + cost : count;
    if (allowed && take) {
      state.start = ws;
      state.count = after;
    }
    return {
      allowed,
      limit: spec.limit,
      remaining: spec.limit - after,
      resetMs: after === 0 ? 0 : ws + w - t,
      retryAfterMs: allowed ? 0 : ws + w - t,
    };
  },
  isIdle(spec, state, now) {
    return state.count === 0 || now >= state.start + spec.windowMs;
  },
  limitOf: (spec) => spec.limit,
};
