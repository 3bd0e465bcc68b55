// The in-memory limiter's consume, against rate-limiter-flexible's RateLimiterMemory.
//
// One bench op = 1000 consumes spread over 100 keys (the same keys for every row). Limits are so
// high that nobody is ever limited, so every row measures the admit path. RateLimiterMemory's
// consume returns a promise, awaited one at a time as its callers do; ours is synchronous and is
// called as its callers do. `floor` is a bare Map get/set of a counter per key: the least any
// keyed limiter can do.
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { bench, describe } from 'vitest';
import {
  fixedWindow,
  gcra,
  MemoryRateLimiter,
  slidingWindowCounter,
  tokenBucket,
} from '../src/index.js';

const KEYS = Array.from({ length: 100 }, (_, i) => `user:${i}`);
const OPS = 1000;
const options = { time: 2_500, warmupTime: 500 };

const tokens = new MemoryRateLimiter(tokenBucket({ capacity: 1e9, refillPerSecond: 1e6 }));
const pace = new MemoryRateLimiter(gcra({ limit: 1e9, periodMs: 1000, burst: 1e6 }));
const counter = new MemoryRateLimiter(slidingWindowCounter({ limit: 1e9, windowMs: 60_000 }));
const fixed = new MemoryRateLimiter(fixedWindow({ limit: 1e9, windowMs: 60_000 }));
const flexible = new RateLimiterMemory({ points: 1e9, duration: 60 });
const counts = new Map<string, number>();

let sink = 0;

describe('memory consume (1000 calls over 100 keys per op)', () => {
  bench(
    'floor: Map get/set',
    () => {
      for (let i = 0; i < OPS; i++) {
        const k = KEYS[i % 100]!;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    },
    options,
  );
  bench(
    'bulwark token bucket',
    () => {
      for (let i = 0; i < OPS; i++) sink += tokens.consume(KEYS[i % 100]!).remaining;
    },
    options,
  );
  bench(
    'bulwark GCRA',
    () => {
      for (let i = 0; i < OPS; i++) sink += pace.consume(KEYS[i % 100]!).remaining;
    },
    options,
  );
  bench(
    'bulwark sliding window counter',
    () => {
      for (let i = 0; i < OPS; i++) sink += counter.consume(KEYS[i % 100]!).remaining;
    },
    options,
  );
  bench(
    'bulwark fixed window',
    () => {
      for (let i = 0; i < OPS; i++) sink += fixed.consume(KEYS[i % 100]!).remaining;
    },
    options,
  );
  bench(
    'rate-limiter-flexible RateLimiterMemory',
    async () => {
      for (let i = 0; i < OPS; i++)
        sink += (await flexible.consume(KEYS[i % 100]!)).remainingPoints;
    },
    options,
  );
});

// Keeps the results observable so the loops are not optimized away.
export const observed = () => sink;
