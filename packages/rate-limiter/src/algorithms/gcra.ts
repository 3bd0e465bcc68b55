/**
 * GCRA (generic cell rate algorithm).
 *
 * Requests are admitted at an even pace of one unit every `T = periodMs / limit` ms, with a
 * tolerance of `burst` units ahead of that pace. The state is one time, the TAT (theoretical
 * arrival time): when the key would be back to "no debt" if every admitted unit had arrived
 * exactly on schedule. A request of `cost` at `now` moves the TAT to `max(TAT, now) + cost * T`
 * and is admitted when the new TAT is at most `(burst + 1) * T` ahead of `now`. So at most
 * `burst + 1` units pass at once, and no half-open interval of `periodMs` admits more than
 * `limit + burst` units.
 *
 * To stay exact in doubles (T is often fractional, e.g. 1000/3), the TAT is kept as
 * `tatMs + tatFrac / L` with integers `tatMs` and `0 <= tatFrac < L`: in units of `1/L` ms one
 * unit costs exactly `P` (periodMs). Fresh state: `tatMs = 0`, `tatFrac = 0`.
 *
 * The arithmetic, in order (L = limit, P = periodMs, B = burst; all values are integers):
 *
 *     cap     = (B + 1) * P                    -- the allowed lead of TAT over now, in 1/L ms
 *     if tatMs < now then tatMs, tatFrac = now, 0    -- (TAT < now exactly when tatMs < now)
 *     num     = tatFrac + cost * P
 *     q       = floor(num / L)
 *     newMs   = tatMs + q
 *     newFrac = num - q * L
 *     lead    = (newMs - now) * L + newFrac    -- new TAT minus now, in 1/L ms
 *     allowed = lead <= cap
 *     if allowed: afterMs, afterFrac, afterLead = newMs, newFrac, lead
 *     else:       afterMs, afterFrac, afterLead = tatMs, tatFrac, (tatMs - now) * L + tatFrac
 *     remaining    = max(0, floor((cap - afterLead) / P))
 *     resetMs      = remaining >= B + 1 ? 0      -- until the lead shrinks by enough for one more
 *                  : ceil((afterLead - cap + (remaining + 1) * P) / L)   -- unit: the draft's `t`
 *     retryAfterMs = allowed ? 0 : ceil((lead - cap) / L)
 *     if allowed and take: store tatMs = afterMs, tatFrac = afterFrac
 *
 * `limit` in decisions is `B + 1` (the most units admitted at once), and a cost above `B + 1`
 * is rejected before the step. A key is idle when `tatMs < now`, or `tatMs == now` and
 * `tatFrac == 0`. The factory keeps `(B + 2) * P * 2 + L` below 2^53.
 */
import type { Decision, GcraSpec } from '../types.js';
import type { Algorithm } from './algorithm.js';

/** Per-key state of GCRA: the TAT as `tatMs + tatFrac / limit`. */
export interface GcraState {
  /** Whole ms of the theoretical arrival time. */
  tatMs: number;
  /** The fraction of a ms, in units of `1 / limit` ms; `0 <= tatFrac < limit`. */
  tatFrac: number;
}

/** The GCRA step function and its helpers (arithmetic in the file header). */
export const gcraAlgorithm: Algorithm<GcraSpec, GcraState> = {
  fresh: () => ({ tatMs: 0, tatFrac: 0 }),
  copy(from, to) {
    to.tatMs = from.tatMs;
    to.tatFrac = from.tatFrac;
  },
  step(spec, state, now, cost, take): Decision {
    const l = spec.limit;
    const p = spec.periodMs;
    const cap = (spec.burst + 1) * p;
    let tatMs = state.tatMs;
    let tatFrac = state.tatFrac;
    if (tatMs < now) {
      tatMs = now;
      tatFrac = 0;
    }
    const num = tatFrac + cost * p;
    const q = Math.floor(num / l);
    const newMs = tatMs + q;
    const newFrac = num - q * l;
    const lead = (newMs - now) * l + newFrac;
    const allowed = lead <= cap;
    const afterMs = allowed ? newMs : tatMs;
    const afterFrac = allowed ? newFrac : tatFrac;
    const afterLead = allowed ? lead : (tatMs - now) * l + tatFrac;
    if (allowed && take) {
      state.tatMs = afterMs;
      state.tatFrac = afterFrac;
    }
    const remaining = Math.max(Math.floor((cap - afterLead) / p), 0);
    return {
      allowed,
      limit: spec.burst + 1,
      remaining,
      resetMs:
        remaining >= spec.burst + 1 ? 0 : Math.ceil((afterLead - cap + (remaining + 1) * p) / l),
      retryAfterMs: allowed ? 0 : Math.ceil((lead - cap) / l),
    };
  },
  isIdle(_spec, state, now) {
    return state.tatMs < now || (state.tatMs === now && state.tatFrac === 0);
  },
  limitOf: (spec) => spec.burst + 1,
};
