// Interleaved A/B of Redis `consume` at concurrency 1, for a shared machine where rows measured
// one after another see different load: the subjects alternate call by call (CALLS calls each
// per round, ROUNDS rounds) and each round's ratios are taken within the round, so load bursts
// hit every subject alike. Reports the median of the per-round ratios of each subject to
// rate-limiter-flexible's RateLimiterRedis and to a raw EVALSHA of a one-line INCR script, with
// the same specs, client and key cycle as bench/redis.bench.ts.
//
// `--against <git rev>` adds that revision's bucket and window scripts, sent as this version's
// are (the kernel's runOnKey), next to this version's scripts sent the same way: the scripts'
// before/after apart from the limiter around them.
//
// Run: flock /tmp/bulwark-bench.lock npx tsx bench/redis-ab.ts [--against main]
// Starts its own redis-server on loopback and stops it by its pid.
import { runOnKey } from '@bulwark/kernel';
import { RedisServer } from '@bulwark/test-utils';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { fixedWindow, tokenBucket } from '../src/index.js';
import { scriptFor } from '../src/redis/scripts.js';
import { RedisRateLimiter } from '../src/redis.js';
import { scriptsOf } from './previous-scripts.js';

const CALLS = 200;
const ROUNDS = 50;
const HUGE = 1_000_000_000;
const KEYS = Array.from({ length: 100 }, (_, i) => `user-${i}`);

const server = await RedisServer.start();
const redis = new Redis({ host: server.host, port: server.port });
try {
  const bucketSpec = tokenBucket({ capacity: HUGE, refillPerSecond: 100 });
  const windowSpec = fixedWindow({ limit: HUGE, windowMs: 60_000 });
  const bucket = new RedisRateLimiter(bucketSpec, { redis, prefix: 'ab:tb:' });
  const window = new RedisRateLimiter(windowSpec, { redis, prefix: 'ab:fw:' });
  const flexible = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: 'ab:rlf',
    points: HUGE,
    duration: 60,
  });
  const incr = (await redis.script('LOAD', "return redis.call('INCR', KEYS[1])")) as string;

  const subjects: [string, (key: string) => Promise<unknown>][] = [
    ['rate-limiter-flexible RateLimiterRedis', (k) => flexible.consume(k)],
    ['raw EVALSHA (one-line INCR script)', (k) => redis.evalsha(incr, 1, `ab:raw:{${k}}`)],
    ['token bucket', (k) => bucket.consume(k)],
    ['fixed window', (k) => window.consume(k)],
  ];
  const revIndex = process.argv.indexOf('--against');
  if (revIndex > 0) {
    const rev = process.argv[revIndex + 1]!;
    const before = await scriptsOf(rev);
    for (const [name, spec] of [
      ['token bucket', bucketSpec],
      ['fixed window', windowSpec],
    ] as const) {
      const previous = before(spec);
      const current = scriptFor(spec);
      subjects.push(
        [`${rev}: ${name} script`, (k) => runOnKey(previous, redis, `ab:${rev}:${name}:{${k}}`, 1)],
        [`${name} script`, (k) => runOnKey(current, redis, `ab:${name}:{${k}}`, 1)],
      );
    }
  }

  // Warm-up: every script loaded, every key in Redis, the code optimized.
  for (let i = 0; i < 2_000; i++) for (const [, call] of subjects) await call(KEYS[i % 100]!);

  const spent = subjects.map(() => 0n);
  const ratios = subjects.map((): [number[], number[]] => [[], []]);
  let next = 0;
  for (let round = 0; round < ROUNDS; round++) {
    spent.fill(0n);
    for (let i = 0; i < CALLS; i++)
      for (const [s, [, call]] of subjects.entries()) {
        const key = KEYS[next]!;
        next = next === 99 ? 0 : next + 1;
        const start = process.hrtime.bigint();
        await call(key);
        spent[s]! += process.hrtime.bigint() - start;
      }
    // throughput ratio = the reference's time / the subject's time
    for (const s of subjects.keys()) {
      ratios[s]![0].push(Number(spent[0]!) / Number(spent[s]!));
      ratios[s]![1].push(Number(spent[1]!) / Number(spent[s]!));
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  console.log(`median of ${ROUNDS} rounds of ${CALLS} interleaved calls per subject`);
  console.log('÷ RateLimiterRedis  ÷ raw EVALSHA  subject');
  for (const [s, [name]] of subjects.entries())
    console.log(
      `${median(ratios[s]![0]).toFixed(3).padStart(17)}  ${median(ratios[s]![1]).toFixed(3).padStart(13)}  ${name}`,
    );
} finally {
  await redis.quit();
  await server.dispose();
}
