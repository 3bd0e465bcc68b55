import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import {
  closeServer,
  connectToServer,
  describeRedis,
  listen,
  RedisServer,
  uniquePrefix,
  until,
} from '@bulwark/test-utils';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { withIdempotency } from '../src/http.js';
import { PROBLEM_TYPES, type StoreErrorContext } from '../src/index.js';
import { RedisIdempotencyStore } from '../src/redis.js';
import { App, client, type Reply, writeAnswer } from './adapter-helpers.js';

const KEY = (key: string) => ({ 'idempotency-key': `"${key}"` });
const servers: Server[] = [];

async function start(app: App, options: Parameters<typeof withIdempotency>[1]) {
  const handler = withIdempotency(
    async (req, res) =>
      writeAnswer(await app.answer(req.url ?? '/', req.body ?? Buffer.alloc(0)), res),
    options,
  );
  const server = createServer((req, res) => void handler(req, res));
  servers.push(server);
  return { url: await listen(server), stats: () => handler.idempotency.stats() };
}

// A client that fails at once while Redis is away (no offline queue, no retries of a command)
// and reconnects every 20 ms.
const fastFailing = (server: RedisServer): Redis =>
  connectToServer(server, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 20,
  });

const ready = (redis: Redis) => until(() => redis.status === 'ready', 'the client to connect');

describeRedis('redis outage', (targets) => {
  const post = client();
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(closeServer));
  });

  it('fails closed with 503 while Redis is down, open when configured, and recovers', async () => {
    const redisServer = await RedisServer.start();
    const redis = fastFailing(redisServer);
    try {
      await ready(redis);
      const app = new App();
      const prefix = uniquePrefix('idem-outage');
      const closed = await start(app, { store: new RedisIdempotencyStore({ redis, prefix }) });
      const open = await start(app, {
        store: new RedisIdempotencyStore({ redis, prefix }),
        onStoreError: 'fail-open',
      });
      expect((await post(closed.url, '/payments', KEY('a'))).status).toBe(201);

      await redisServer.kill();
      const refused = await post(closed.url, '/payments', KEY('b'));
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(JSON.parse(refused.body.toString()).type).toBe(PROBLEM_TYPES['store-unavailable']);
      expect(app.calls).toBe(1);
      expect(closed.stats().storeErrors).toBe(1);
      expect((await post(open.url, '/payments', KEY('b'))).status).toBe(201); // ran unguarded
      expect(app.calls).toBe(2);

      await redisServer.restart();
      let after: Reply | undefined;
      await until(async () => {
        after = await post(closed.url, '/payments', KEY('c'));
        return after.status !== 503;
      }, 'the client to reconnect');
      expect(after?.status).toBe(201);
      expect((await post(closed.url, '/payments', KEY('c'))).headers['idempotent-replayed']).toBe(
        'true',
      );
    } finally {
      redis.disconnect();
      await redisServer.dispose();
    }
  });

  it('still answers the client when recording fails after the handler ran, and reports it', async () => {
    const redisServer = await RedisServer.start();
    const redis = fastFailing(redisServer);
    try {
      await ready(redis);
      const app = new App();
      const reported: Array<[string, StoreErrorContext]> = [];
      const { url, stats } = await start(app, {
        store: new RedisIdempotencyStore({ redis, prefix: uniquePrefix('idem-late') }),
        onStoreError: (error, context) => {
          reported.push([(error as Error).message, context]);
          return 'fail-closed';
        },
      });
      const resume = app.hold();
      const pending = post(url, '/payments', KEY('late'));
      await until(() => app.calls === 1);
      await redisServer.kill();
      resume();
      const reply = await pending;
      expect(reply.status).toBe(201);
      expect(JSON.parse(reply.body.toString()).call).toBe(1);
      expect(stats().storeErrors).toBe(1);
      expect(reported).toHaveLength(1);
      expect(reported[0]?.[1]).toEqual({
        phase: 'complete',
        key: 'late',
        method: 'POST',
        path: '/payments',
      });
      // The restarted server kept nothing (no persistence): the key is free, the retry runs.
      await redisServer.restart();
      await until(async () => (await post(url, '/payments', KEY('late'))).status === 201);
      expect(app.calls).toBe(2);
    } finally {
      redis.disconnect();
      await redisServer.dispose();
    }
  });

  it('a retry runs once the lease of a killed server process expires', async () => {
    const prefix = uniquePrefix('idem-crash');
    const lockTtlMs = 300;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./fixtures/child-server.ts', import.meta.url)),
        String(targets.standalone.port),
        prefix,
        String(lockTtlMs),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], cwd: fileURLToPath(new URL('..', import.meta.url)) },
    );
    try {
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      await until(() => output.includes('listening'), 'the child server', 20_000);
      const childUrl = `http://127.0.0.1:${/listening (\d+)/.exec(output)?.[1]}`;
      const lost = post(childUrl, '/payments', KEY('crash')).catch((error: unknown) => error);
      await until(() => output.includes('handler started'), 'the child handler');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid as number, 'SIGKILL');
      await exited;
      expect(await lost).toBeInstanceOf(Error); // the client lost its response

      const app = new App();
      const redis = new Redis({ host: '127.0.0.1', port: targets.standalone.port });
      try {
        const { url } = await start(app, {
          store: new RedisIdempotencyStore({ redis, prefix }),
          lockTtlMs,
        });
        const statuses = new Set<number>();
        await until(async () => {
          const reply = await post(url, '/payments', KEY('crash'));
          statuses.add(reply.status);
          return reply.status === 201;
        }, 'the lease to expire');
        expect(app.calls).toBe(1);
        expect([...statuses].every((s) => s === 409 || s === 201)).toBe(true);
      } finally {
        await redis.quit();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null)
        process.kill(child.pid as number, 'SIGKILL');
    }
  });
});
