// The adapters in front of the Redis limiter: asynchronous decisions, a quota shared by several
// server instances, and a store that is down. Time is a FakeClock passed as the limiter's test
// clock (`now`), so the header values are exact.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  closeServer,
  connectCluster,
  connectStandalone,
  describeRedis,
  FakeClock,
  listen,
  uniquePrefix,
} from '@bulwark/test-utils';
import { createAdaptorServer } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { rateLimit as expressRateLimit } from '../src/express.js';
import { rateLimitPlugin } from '../src/fastify.js';
import { rateLimit as honoRateLimit } from '../src/hono.js';
import { withRateLimit } from '../src/http.js';
import { fixedWindow } from '../src/index.js';
import { RedisRateLimiter } from '../src/redis.js';
import type { RateLimiter } from '../src/types.js';
import { client } from './http-helpers.js';

type Start = (limiter: RateLimiter) => Promise<{ url: string; close(): Promise<void> }>;

async function nodeServer(server: Server) {
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}

const adapters: Record<string, Start> = {
  http: (limiter) =>
    nodeServer(
      createServer(
        withRateLimit((_req: IncomingMessage, res: ServerResponse) => res.end('ok'), { limiter }),
      ),
    ),
  express: (limiter) => {
    const app = express();
    app.use(expressRateLimit({ limiter }));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    return nodeServer(createServer(app));
  },
  fastify: async (limiter) => {
    const app = Fastify();
    await app.register(rateLimitPlugin, { limiter });
    app.get('/', async () => 'ok');
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  },
  hono: (limiter) => {
    const app = new Hono();
    app.use(honoRateLimit({ limiter }));
    app.get('/', (c) => c.text('ok'));
    return nodeServer(createAdaptorServer({ fetch: app.fetch }) as Server);
  },
};

describeRedis('HTTP adapters on the Redis limiter', () => {
  const get = client();
  const standalone = connectStandalone();
  const cluster = connectCluster();
  const running: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.close()));
  });
  afterAll(async () => {
    await Promise.all([standalone.quit(), cluster.quit()]);
  });

  for (const [target, redis] of [
    ['standalone', standalone],
    ['cluster', cluster],
  ] as const) {
    describe(target, () => {
      for (const [name, start] of Object.entries(adapters)) {
        it(`${name}: two servers share one quota through Redis`, async () => {
          const clock = new FakeClock(1_000_000);
          const prefix = uniquePrefix(`http-${name}`);
          const limiter = () =>
            new RedisRateLimiter(fixedWindow({ limit: 3, windowMs: 60_000 }), {
              redis,
              prefix,
              clock,
            });
          const a = await start(limiter());
          running.push(a);
          const b = await start(limiter());
          running.push(b);
          const replies = [];
          for (const url of [a.url, b.url, a.url, b.url]) replies.push(await get(url, '/'));
          expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 429]);
          expect(replies.map((reply) => reply.headers.ratelimit)).toEqual([
            '"default";r=2;t=20',
            '"default";r=1;t=20',
            '"default";r=0;t=20',
            '"default";r=0;t=20',
          ]);
          expect(replies[3]!.headers['retry-after']).toBe('20');
          expect(replies[0]!.headers['ratelimit-policy']).toBe('"default";q=3;w=60');
          clock.advance(20_000);
          expect((await get(b.url, '/')).status).toBe(200);
        });
      }
    });
  }

  it('a store that is down: fail-closed answers 429, fail-open lets requests through', async () => {
    // Nothing listens on port 1; with no offline queue every command fails at once.
    const dead = new Redis({
      host: '127.0.0.1',
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    dead.on('error', () => {}); // the refused connection is the point of this test
    try {
      const spec = fixedWindow({ limit: 3, windowMs: 60_000 });
      for (const [name, start] of Object.entries(adapters)) {
        const closed = await start(
          new RedisRateLimiter(spec, { redis: dead, onStoreError: 'fail-closed' }),
        );
        running.push(closed);
        const refused = await get(closed.url, '/');
        expect(refused.status, name).toBe(429);
        expect(refused.headers['retry-after'], name).toBe('1');
        const open = await start(new RedisRateLimiter(spec, { redis: dead }));
        running.push(open);
        expect((await get(open.url, '/')).status, name).toBe(200);
      }
    } finally {
      dead.disconnect();
    }
  });
});
