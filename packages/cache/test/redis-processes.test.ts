// Three real processes, each importing the built package (dist/), on standalone Redis and on
// the cluster: 1,000 concurrent gets across them run the loader once; a process killed while it
// holds the lease is taken over by another once the lease expires. Children are stopped by pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  connectCluster,
  connectStandalone,
  describeRedis,
  redisTargets,
  uniquePrefix,
} from '@bulwark/test-utils';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRedisCache } from '../src/redis.js';
import { type Client, gatedLoader } from './redis-helpers.js';

const WORKER = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/redis.js', import.meta.url));

interface Worker {
  child: ChildProcess;
  messages: Record<string, unknown>[];
  next(key: string): Promise<Record<string, unknown>>;
}

function startWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const messages: Record<string, unknown>[] = [];
  const waiting: { key: string; resolve: (m: Record<string, unknown>) => void }[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let at = buffer.indexOf('\n'); at >= 0; at = buffer.indexOf('\n')) {
      const message = JSON.parse(buffer.slice(0, at)) as Record<string, unknown>;
      buffer = buffer.slice(at + 1);
      messages.push(message);
      for (const w of [...waiting])
        if (w.key in message) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(message);
        }
    }
  });
  return {
    child,
    messages,
    next: (key) => {
      const seen = messages.find((m) => key in m);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiting.push({ key, resolve });
        child.once('exit', (code) => {
          if (!messages.some((m) => key in m))
            reject(new Error(`worker ${child.pid} exited (${code}) before "${key}":\n${stderr}`));
        });
      });
    },
  };
}

describeRedis('three processes', () => {
  const workers: Worker[] = [];
  const clients: Client[] = [];
  afterEach(() => {
    for (const { child } of workers.splice(0))
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
        process.kill(child.pid, 'SIGKILL');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('runs against the built package', () => {
    expect(existsSync(DIST), 'build first: npm run build').toBe(true);
  });

  for (const kind of ['standalone', 'cluster'] as const) {
    describe(kind, () => {
      const connect = (): Client => {
        const client = kind === 'standalone' ? connectStandalone() : connectCluster();
        clients.push(client);
        return client;
      };
      const redisEnv = () => {
        const targets = redisTargets()!;
        const { host, port } = targets.standalone;
        return JSON.stringify(kind === 'standalone' ? { host, port } : targets.cluster);
      };

      it('1,000 concurrent gets across three processes call the loader once', async () => {
        const redis = connect();
        const prefix = uniquePrefix('fleet');
        const env = { REDIS: redisEnv(), PREFIX: prefix, MODE: 'stampede' };
        const fleet = [334, 333, 333].map((gets) => startWorker({ ...env, GETS: String(gets) }));
        workers.push(...fleet);
        await Promise.all(fleet.map((w) => w.next('ready')));
        for (const w of fleet) w.child.stdin?.write('go\n');
        const outcomes = await Promise.all(fleet.map((w) => w.next('values')));
        expect(await redis.get(`${prefix}loader-calls`)).toBe('1');
        const values = new Set(outcomes.flatMap((o) => o.values as string[]));
        expect(values.size).toBe(1);
        const stats = outcomes.map((o) => o.stats as Record<string, number>);
        expect(stats.reduce((sum, s) => sum + s.loads!, 0)).toBe(1);
        expect(stats.reduce((sum, s) => sum + s.misses!, 0)).toBe(1_000);
      });

      it('a process killed while holding the lease is taken over after the lease expires', async () => {
        const redis = connect();
        const prefix = uniquePrefix('fleet');
        const holder = startWorker({ REDIS: redisEnv(), PREFIX: prefix, MODE: 'hold' });
        workers.push(holder);
        await holder.next('holding');
        const exited = new Promise((resolve) => holder.child.once('exit', resolve));
        process.kill(holder.child.pid!, 'SIGKILL');
        await exited;
        const survivor = createRedisCache<string>({
          redis,
          prefix,
          ttlMs: 60_000,
          leasePollMs: 25,
        });
        try {
          const { loader, state } = gatedLoader();
          expect(await survivor.get('held', loader)).toBe('value-1');
          expect(state.calls).toBe(1);
          expect(survivor.stats()).toMatchObject({ remoteWaits: 1, loads: 1 });
        } finally {
          await survivor.close();
        }
      });
    });
  }
});
