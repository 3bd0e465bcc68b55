// rate-limiter: the same burst of 30 requests in one second through four algorithms, each
// allowing 10 a second. The token bucket and GCRA let a burst through up front; the windows
// count; every decision carries what the RateLimit headers need.
//   npx tsx examples/packages/rate-limiter-algorithms.ts
import {
  fixedWindow,
  gcra,
  MemoryRateLimiter,
  slidingWindowCounter,
  tokenBucket,
} from '@bulwark/rate-limiter';

let now = 0;
const clock = { now: () => now };
const limiters = {
  'token bucket (burst 10, 10/s)': tokenBucket({ capacity: 10, refillPerSecond: 10 }),
  'fixed window (10 per s)': fixedWindow({ limit: 10, windowMs: 1000 }),
  'sliding window counter': slidingWindowCounter({ limit: 10, windowMs: 1000 }),
  'GCRA (10/s, burst 4)': gcra({ limit: 10, periodMs: 1000, burst: 4 }),
};
for (const [name, spec] of Object.entries(limiters)) {
  const limiter = new MemoryRateLimiter(spec, { clock });
  let allowed = 0;
  let retryAfterMs = 0;
  for (let i = 0; i < 30; i++) {
    now = i * 33; // 30 requests over one second
    const decision = limiter.consume('client');
    if (decision.allowed) allowed++;
    else retryAfterMs = decision.retryAfterMs;
  }
  console.log(
    `${name.padEnd(32)} allowed ${String(allowed).padStart(2)} of 30; a refused one was told to retry after ${retryAfterMs} ms`,
  );
}
