// Naive reference models for the core tests. Each algorithm is defined straight from its
// definition over the full history of admitted requests (no state compression, no pruning), and
// every number in a decision is found by brute force: `remaining` by trying larger costs,
// `retryAfterMs` and `resetMs` (until one more unit fits) by trying later times one ms at a time. So the reference shares no
// arithmetic shortcut with the step functions it checks.
import type { AlgorithmSpec, Decision } from '../src/index.js';

/** One admitted request. */
export interface Admitted {
  t: number;
  cost: number;
}

export interface Naive {
  limit: number;
  /** Would a request of `cost` at `now` be admitted after history `h`? */
  admits(h: readonly Admitted[], now: number, cost: number): boolean;
  /** Is the quota fully restored at `now` (the key decides like a fresh one)? */
  full(h: readonly Admitted[], now: number): boolean;
}

const sumIn = (h: readonly Admitted[], from: number, to: number): number => {
  let s = 0;
  for (const e of h) if (e.t >= from && e.t < to) s += e.cost;
  return s;
};

function bucketMilli(
  h: readonly Admitted[],
  now: number,
  full: number,
  rate: number,
  sign: 1 | -1,
) {
  // sign 1: token bucket (starts full, refills, takes); -1: leaky bucket (starts empty, drains, pours).
  let m = sign === 1 ? full : 0;
  let last = 0;
  for (const e of h) {
    m = sign === 1 ? Math.min(full, m + (e.t - last) * rate) : Math.max(0, m - (e.t - last) * rate);
    m -= sign * e.cost * 1000;
    last = e.t;
  }
  return sign === 1
    ? Math.min(full, m + (now - last) * rate)
    : Math.max(0, m - (now - last) * rate);
}

export function naiveFor(spec: AlgorithmSpec): Naive {
  switch (spec.kind) {
    case 'token-bucket': {
      const full = spec.capacity * 1000;
      const r = spec.refillPerSecond;
      return {
        limit: spec.capacity,
        admits: (h, now, cost) => bucketMilli(h, now, full, r, 1) >= cost * 1000,
        full: (h, now) => bucketMilli(h, now, full, r, 1) === full,
      };
    }
    case 'leaky-bucket': {
      const full = spec.capacity * 1000;
      const r = spec.leakPerSecond;
      return {
        limit: spec.capacity,
        admits: (h, now, cost) => bucketMilli(h, now, full, r, -1) + cost * 1000 <= full,
        full: (h, now) => bucketMilli(h, now, full, r, -1) === 0,
      };
    }
    case 'fixed-window': {
      const { limit, windowMs: w } = spec;
      if (spec.anchor === 'first-hit') {
        // The window in force at `now`: opened by the first admitted request at or after the end
        // of the one before; none when the last one is over.
        const opened = (h: readonly Admitted[], now: number): number | undefined => {
          let ws: number | undefined;
          for (const e of h) if (ws === undefined || e.t >= ws + w) ws = e.t;
          return ws !== undefined && now < ws + w ? ws : undefined;
        };
        const used = (h: readonly Admitted[], now: number) => {
          const ws = opened(h, now);
          return ws === undefined ? 0 : sumIn(h, ws, ws + w);
        };
        return {
          limit,
          admits: (h, now, cost) => used(h, now) + cost <= limit,
          full: (h, now) => used(h, now) === 0,
        };
      }
      const start = (now: number) => now - (now % w);
      return {
        limit,
        admits: (h, now, cost) => sumIn(h, start(now), start(now) + w) + cost <= limit,
        full: (h, now) => sumIn(h, start(now), start(now) + w) === 0,
      };
    }
    case 'sliding-window-log': {
      const { limit, windowMs: w } = spec;
      return {
        limit,
        admits: (h, now, cost) => sumIn(h, now - w + 1, now + 1) + cost <= limit,
        full: (h, now) => sumIn(h, now - w + 1, now + 1) === 0,
      };
    }
    case 'sliding-window-counter': {
      const { limit, windowMs: w } = spec;
      const weighted = (h: readonly Admitted[], now: number, extra: number) => {
        const ws = now - (now % w);
        const e = now - ws;
        return sumIn(h, ws - w, ws) * (w - e) + (sumIn(h, ws, ws + w) + extra) * w;
      };
      return {
        limit,
        admits: (h, now, cost) => weighted(h, now, cost) <= limit * w,
        full: (h, now) => weighted(h, now, 0) === 0,
      };
    }
    case 'gcra': {
      // Exact TAT in BigInt units of 1/limit ms: one unit costs periodMs of them.
      const L = BigInt(spec.limit);
      const P = BigInt(spec.periodMs);
      const cap = BigInt(spec.burst + 1) * P;
      const tatOf = (h: readonly Admitted[]) => {
        let tat = 0n;
        for (const e of h) {
          const t = BigInt(e.t) * L;
          tat = (tat > t ? tat : t) + BigInt(e.cost) * P;
        }
        return tat;
      };
      return {
        limit: spec.burst + 1,
        admits: (h, now, cost) => {
          const tat = tatOf(h);
          const n = BigInt(now) * L;
          return (tat > n ? tat : n) + BigInt(cost) * P - n <= cap;
        },
        full: (h, now) => tatOf(h) <= BigInt(now) * L,
      };
    }
  }
}

const SEARCH = 100_000;

/** The decision from the definition, by brute force. Appends to `h` when admitted and `take`. */
export function naiveDecision(
  n: Naive,
  h: Admitted[],
  now: number,
  cost: number,
  take: boolean,
): Decision {
  const allowed = n.admits(h, now, cost);
  const after = allowed ? [...h, { t: now, cost }] : h;
  let remaining = 0;
  while (remaining < n.limit && n.admits(after, now, remaining + 1)) remaining++;
  let retryAfterMs = 0;
  if (!allowed) {
    retryAfterMs = 1;
    while (!n.admits(h, now + retryAfterMs, cost) && retryAfterMs < SEARCH) retryAfterMs++;
  }
  // Until more than `remaining` is available: the first ms at which remaining + 1 units fit.
  let resetMs = 0;
  if (remaining < n.limit) {
    resetMs = 1;
    while (!n.admits(after, now + resetMs, remaining + 1) && resetMs < SEARCH) resetMs++;
  }
  if (allowed && take) h.push({ t: now, cost });
  return { allowed, limit: n.limit, remaining, resetMs, retryAfterMs };
}
