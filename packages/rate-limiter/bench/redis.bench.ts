// Redis `consume` against rate-limiter-flexible's RateLimiterRedis (same ioredis client, same
// server) and the floor: a raw EVALSHA of a one-line INCR script, the least one round trip can
// cost. At concurrency 1 each op is one awaited call; at concurrency 50 each op is 50 calls
// started together and awaited together (so calls/s = ops/s x 50). Limits are far above what
// the run consumes, so every call is admitted and the numbers compare the same work. Keys cycle
// over 100 names. Lease mode (batch 10) answers 9 calls in 10 without Redis.
//
// The Redis server: the one the root global setup started when it ran, otherwise one started
// here (and stopped at the end) through the test harness.
import { connectStandalone, RedisServer, redisTargets } from '@bulwark/test-utils';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { afterAll, bench, describe } from 'vitest';
import { fixedWindow, tokenBucket } from '../src/index.js';
import { RedisRateLimiter } from '../src/redis.js';

let server: RedisServer | undefined;
let redis: Redis;
if (redisTargets()) {
  redis = connectStandalone();
} else {
  server = await RedisServer.start();
  redis = new Redis({ host: server.host, port: server.port });
}
await redis.ping();
await redis.flushall();

const HUGE = 1_000_000_000;
const KEYS = Array.from({ length: 100 }, (_, i) => `user-${i}`);
let next = 0;
const key = (): string => {
  next = next === 99 ? 0 : next + 1;
  return KEYS[next]!;
};

// A bucket far larger than the run takes, refilled slowly: a key in use stays in Redis, as a busy
// key does (a bucket refilled within a ms would be full, expire and be re-created every call).
const bucketSpec = tokenBucket({ capacity: HUGE, refillPerSecond: 100 });
const bucket = new RedisRateLimiter(bucketSpec, {
  redis,
  prefix: 'bench:tb:',
});
const window = new RedisRateLimiter(fixedWindow({ limit: HUGE, windowMs: 60_000 }), {
  redis,
  prefix: 'bench:fw:',
});
const leased = new RedisRateLimiter(bucketSpec, {
  redis,
  prefix: 'bench:lease:',
  lease: { batch: 10 },
});
const flexible = new RateLimiterRedis({
  storeClient: redis,
  keyPrefix: 'bench:rlf',
  points: HUGE,
  duration: 60,
});
const INCR = "return redis.call('INCR', KEYS[1])";
const incrSha = (await redis.script('LOAD', INCR)) as string;
const raw = (k: string) => redis.evalsha(incrSha, 1, `bench:raw:{${k}}`);

// Every subject warmed up before any is measured (scripts loaded, code optimized), so the first
// row of a group does not pay for the others; longer runs than the default for a shared machine.
for (let i = 0; i < 3_000; i++)
  await Promise.all([
    bucket.consume(key()),
    window.consume(key()),
    leased.consume(key()),
    flexible.consume(key()),
    raw(key()),
  ]);
const options = { time: 2_000, warmupTime: 500 };
const CONCURRENCY = 50;

function together(call: (k: string) => Promise<unknown>): () => Promise<void> {
  const pending: Promise<unknown>[] = new Array(CONCURRENCY);
  return async () => {
    for (let i = 0; i < CONCURRENCY; i++) pending[i] = call(key());
    await Promise.all(pending);
  };
}

const subjects: [string, (k: string) => Promise<unknown>][] = [
  ['bulwark token bucket', (k) => bucket.consume(k)],
  ['bulwark fixed window', (k) => window.consume(k)],
  ['bulwark token bucket, lease batch 10', (k) => leased.consume(k)],
  ['rate-limiter-flexible RateLimiterRedis', (k) => flexible.consume(k)],
  ['floor raw EVALSHA (one-line INCR script)', raw],
];

describe('Redis consume, concurrency 1', () => {
  for (const [name, call] of subjects)
    bench(
      name,
      async () => {
        await call(key());
      },
      options,
    );
});

describe(`Redis consume, concurrency ${CONCURRENCY} (one op = ${CONCURRENCY} calls)`, () => {
  for (const [name, call] of subjects) bench(name, together(call), options);
});

afterAll(async () => {
  await redis.quit();
  await server?.dispose();
});
