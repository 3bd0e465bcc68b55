// Each Redis script's own cost inside Redis, apart from the round trip: the server's
// `INFO commandstats` usec per `EVALSHA` (reading TIME and the state, the Lua, the write), after
// `CONFIG RESETSTAT` and N admitted calls over 100 keys that stay in Redis (limits far above the
// run, slow refills), as the Redis bench's calls are. Reference rows: a one-line `INCR` script
// (the floor) and rate-limiter-flexible's `RateLimiterRedis`. Rounds alternate the subjects and
// each row reports the median round, so load on a shared machine hits every row alike.
//
// `--against <git rev>` also runs that revision's src/redis/scripts.ts (the same specs and
// arguments) next to this one's, for a before/after in one run.
//
// Run: flock /tmp/bulwark-bench.lock npx tsx bench/script-cost.ts [--against main]
// Starts its own redis-server on loopback and stops it by its pid.
import { RedisServer } from '@bulwark/test-utils';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import {
  fixedWindow,
  gcra,
  leakyBucket,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../src/index.js';
import { scriptFor } from '../src/redis/scripts.js';
import type { AlgorithmSpec } from '../src/types.js';
import { scriptsOf } from './previous-scripts.js';

const CALLS = 4_000;
const ROUNDS = 9;
const IN_FLIGHT = 50;
const HUGE = 1_000_000_000;
const KEYS = Array.from({ length: 100 }, (_, i) => `user-${i}`);

type ScriptFor = (spec: AlgorithmSpec) => { source: string };
// Specs as the Redis bench's: nobody is ever limited and every key keeps its state.
const specs: [string, AlgorithmSpec, number?][] = [
  ['token bucket', tokenBucket({ capacity: HUGE, refillPerSecond: 100 })],
  ['token bucket, lease batch 10', tokenBucket({ capacity: HUGE, refillPerSecond: 100 }), 10],
  ['leaky bucket', leakyBucket({ capacity: HUGE, leakPerSecond: 100 })],
  ['GCRA', gcra({ limit: 100, periodMs: 1_000, burst: HUGE })],
  ['fixed window', fixedWindow({ limit: HUGE, windowMs: 60_000 })],
  ['fixed window, first-hit', fixedWindow({ limit: HUGE, windowMs: 60_000, anchor: 'first-hit' })],
  ['sliding window counter', slidingWindowCounter({ limit: HUGE, windowMs: 60_000 })],
  ['sliding window log', slidingWindowLog({ limit: HUGE, windowMs: 1_000 })],
];

const server = await RedisServer.start();
const redis = new Redis({ host: server.host, port: server.port });
try {
  const revIndex = process.argv.indexOf('--against');
  const rev = revIndex > 0 ? process.argv[revIndex + 1] : undefined;
  const versions: [string, ScriptFor][] = [['', scriptFor]];
  if (rev !== undefined) versions.unshift([`${rev}: `, await scriptsOf(rev)]);

  const subjects: [string, (key: string) => Promise<unknown>][] = [];
  const incr = (await redis.script('LOAD', "return redis.call('INCR', KEYS[1])")) as string;
  subjects.push(['floor: one-line INCR script', (k) => redis.evalsha(incr, 1, `raw:{${k}}`)]);
  const flexible = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: 'rlf',
    points: HUGE,
    duration: 60,
  });
  subjects.push(['rate-limiter-flexible RateLimiterRedis', (k) => flexible.consume(k)]);
  for (const [name, spec, want] of specs)
    for (const [version, of] of versions) {
      const sha = (await redis.script('LOAD', of(spec).source)) as string;
      const prefix = `${version}${name}:`;
      subjects.push([
        `${version}${name}`,
        want === undefined
          ? (k) => redis.evalsha(sha, 1, `${prefix}{${k}}`, 1)
          : (k) => redis.evalsha(sha, 1, `${prefix}{${k}}`, 1, want),
      ]);
    }

  const run = async (call: (key: string) => Promise<unknown>, calls: number): Promise<void> => {
    const pending: Promise<unknown>[] = new Array(IN_FLIGHT);
    for (let i = 0; i < calls; i += IN_FLIGHT) {
      for (let j = 0; j < IN_FLIGHT; j++) pending[j] = call(KEYS[(i + j) % KEYS.length]!);
      await Promise.all(pending);
    }
  };
  const usecPerCall = async (): Promise<number> => {
    const info = (await redis.info('commandstats')) as string;
    const line = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(info);
    if (line === null) throw new Error('no cmdstat_evalsha in INFO commandstats');
    return Number(line[2]) / Number(line[1]);
  };

  for (const [, call] of subjects) await run(call, CALLS);
  const samples = subjects.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++)
    for (const [i, [, call]] of subjects.entries()) {
      await redis.config('RESETSTAT');
      await run(call, CALLS);
      samples[i]!.push(await usecPerCall());
    }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  console.log(`usec per EVALSHA inside Redis, median of ${ROUNDS} rounds of ${CALLS} calls`);
  for (const [i, [name]] of subjects.entries())
    console.log(`${median(samples[i]!).toFixed(2).padStart(7)}  ${name}`);
} finally {
  await redis.quit();
  await server.dispose();
}
