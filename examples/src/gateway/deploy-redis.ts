// The scaled-out flavour: three gateway processes on one Redis. Each is a child process running
// gateway-process.ts; the parent spreads the clients over them and sums what they report.
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { type Counters, newCounters } from './metrics.js';
import { FLASH_SALE_ID } from './shared-parts.js';
import type { Deploy, Gauges } from './story.js';

const CHILD = fileURLToPath(new URL('./gateway-process.ts', import.meta.url));

/** True when a Redis answers PING at `url` within a second. */
export async function redisReachable(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** A deploy function for `processes` gateways on the Redis at `redisUrl`. */
export function deployOnRedis(redisUrl: string, processes = 3): Deploy {
  return async (origins, scale, onBreaker) => {
    // A fresh prefix per run, so nothing from an earlier run (limits, records) leaks in.
    const prefix = `bulwark-demo:${randomUUID().slice(0, 8)}:`;
    const children: ChildProcess[] = [];
    const lastState = new Map<string, string>();
    const urls = await Promise.all(
      Array.from({ length: processes }, () => {
        const child = fork(CHILD, {
          execArgv: ['--import', 'tsx'],
          env: {
            ...process.env,
            BULWARK_GATEWAY: JSON.stringify({ redisUrl, origins, scale, prefix }),
          },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        children.push(child);
        return new Promise<string>((resolve, reject) => {
          child.once('exit', (code) => reject(new Error(`gateway process exited with ${code}`)));
          child.on(
            'message',
            (message: { type: string; url?: string; origin?: string; to?: string }) => {
              if (message.type === 'ready') resolve(message.url!);
              // Every process sees a shared transition; report each change once.
              if (message.type === 'breaker' && lastState.get(message.origin!) !== message.to) {
                lastState.set(message.origin!, message.to!);
                onBreaker(message.origin!, message.to!);
              }
            },
          );
        });
      }),
    );
    const read = async () =>
      Promise.all(
        urls.map(async (url) => {
          const response = await request(`${url}/_stats`);
          return (await response.body.json()) as { counters: Counters; gauges: Gauges };
        }),
      );
    return {
      urls,
      pids: children.map((child) => child.pid!),
      productTtlMs: scale.productTtlMs,
      flashSaleId: FLASH_SALE_ID,
      counters: async () => {
        const sum = newCounters();
        for (const { counters } of await read()) {
          sum.productReads += counters.productReads;
          sum.dbQueries += counters.dbQueries;
          sum.ordersExecuted += counters.ordersExecuted;
          sum.upstreamRetries += counters.upstreamRetries;
        }
        return sum;
      },
      gauges: async () => {
        const all = await read();
        // The shared breaker state is the same everywhere up to a sync; show the worst.
        const rank: Record<string, number> = { closed: 0, 'half-open': 1, open: 2 };
        const breakerStates: Record<string, string> = {};
        for (const { gauges } of all)
          for (const [origin, state] of Object.entries(gauges.breakerStates))
            if ((rank[state] ?? 0) >= (rank[breakerStates[origin] ?? 'closed'] ?? 0))
              breakerStates[origin] = state;
        return {
          poolBorrowed: all.reduce((n, { gauges }) => n + gauges.poolBorrowed, 0),
          poolWaiting: all.reduce((n, { gauges }) => n + gauges.poolWaiting, 0),
          breakerStates,
          flashSaleLoads: all.reduce((n, { gauges }) => n + gauges.flashSaleLoads, 0),
          cache: Object.fromEntries(
            (Object.keys(all[0]!.gauges.cache) as (keyof Gauges['cache'])[]).map((k) => [
              k,
              all.reduce((n, { gauges }) => n + gauges.cache[k], 0),
            ]),
          ) as unknown as Gauges['cache'],
        };
      },
      close: async () => {
        await Promise.all(
          children.map(
            (child) =>
              new Promise<void>((resolve) => {
                if (child.exitCode !== null) return resolve();
                // Stopped by the pid this run started, never by name.
                const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
                child.once('exit', () => {
                  clearTimeout(kill);
                  resolve();
                });
                child.send({ type: 'stop' });
              }),
          ),
        );
      },
    };
  };
}
