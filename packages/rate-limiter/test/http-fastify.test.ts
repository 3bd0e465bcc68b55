import { readFileSync } from 'node:fs';
import { FakeClock } from '@bulwark/test-utils';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type FastifyRateLimitOptions, rateLimitPlugin } from '../src/fastify.js';
import { adapterSuite, client, RecordingLimiter } from './http-helpers.js';

let app: FastifyInstance | undefined;

async function serve(instance: FastifyInstance): Promise<string> {
  app = instance;
  return instance.listen({ port: 0, host: '127.0.0.1' });
}

async function stop() {
  const running = app;
  app = undefined;
  if (running) await running.close();
}

adapterSuite('fastify', {
  path: (request: FastifyRequest) => new URL(request.url, 'http://x').pathname,
  header: (request: FastifyRequest, name: string) => request.headers[name] as string | undefined,
  async start(options: FastifyRateLimitOptions, limitedText?: string) {
    const instance = Fastify();
    app = instance;
    await instance.register(rateLimitPlugin, {
      ...options,
      ...(limitedText === undefined ? {} : { onLimited: () => limitedText }),
    });
    instance.get('/*', async () => 'ok');
    return serve(instance);
  },
  stop,
});

describe('fastify: plugin', () => {
  const get = client();
  afterEach(stop);

  it('takes per-route options from the route config, and rateLimit: false exempts a route', async () => {
    const clock = new FakeClock(0);
    const limiter = new RecordingLimiter(100, 60_000, clock);
    const login = new RecordingLimiter(1, 60_000, clock, 'login');
    const instance = Fastify();
    await instance.register(rateLimitPlugin, { limiter });
    instance.post(
      '/login',
      { config: { rateLimit: { limiter: login, cost: 1 } } },
      async () => 'welcome',
    );
    instance.get('/health', { config: { rateLimit: false } }, async () => 'up');
    instance.get('/', async () => 'home');
    const url = await serve(instance);

    const first = await get(url, '/login', {}, 'POST');
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"login";q=1;w=60');
    const second = await get(url, '/login', {}, 'POST');
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBe('60');
    expect(JSON.parse(second.body)).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Rate limit exceeded, retry in 60 seconds',
    });

    for (let i = 0; i < 3; i++) {
      const health = await get(url, '/health');
      expect(health.status).toBe(200);
      expect(health.headers.ratelimit).toBeUndefined();
    }
    expect((await get(url, '/')).headers.ratelimit).toBe('"default";r=99;t=60');
    expect(limiter.calls).toHaveLength(1);
    expect(login.calls).toHaveLength(2);
  });

  it('declares the Fastify versions of its peer dependency', async () => {
    const meta = (rateLimitPlugin as unknown as Record<symbol, { fastify: string }>)[
      Symbol.for('plugin-meta')
    ];
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.peerDependencies.fastify).toBe('^5.0.0');
    expect(meta?.fastify).toBe('5.x');
  });

  it('covers only the context it is registered in', async () => {
    const limiter = new RecordingLimiter(1, 1000, new FakeClock(0));
    const instance = Fastify();
    await instance.register(async (api) => {
      await api.register(rateLimitPlugin, { limiter });
      api.get('/api/thing', async () => 'thing');
    });
    instance.get('/open', async () => 'open');
    const url = await serve(instance);
    expect((await get(url, '/api/thing')).status).toBe(200);
    expect((await get(url, '/api/thing')).status).toBe(429);
    for (let i = 0; i < 3; i++) {
      const open = await get(url, '/open');
      expect(open.status).toBe(200);
      expect(open.headers.ratelimit).toBeUndefined();
    }
  });

  it('on the root instance covers routes of child contexts too', async () => {
    const limiter = new RecordingLimiter(1, 1000, new FakeClock(0));
    const instance = Fastify();
    await instance.register(rateLimitPlugin, { limiter });
    await instance.register(async (child) => {
      child.get('/child', async () => 'child');
    });
    const url = await serve(instance);
    expect((await get(url, '/child')).status).toBe(200);
    expect((await get(url, '/child')).status).toBe(429);
  });

  it('sends errors of the option functions to the error handler, and bad options fail ready', async () => {
    const limiter = new RecordingLimiter(5, 1000, new FakeClock(0));
    const instance = Fastify();
    instance.setErrorHandler((error: Error, _request, reply) => {
      reply.code(599).send(error.message);
    });
    await instance.register(rateLimitPlugin, {
      limiter,
      key: (request) => {
        if (request.headers['x-fail'] === 'sync') throw new Error('sync key');
        if (request.headers['x-fail'] === 'async') return Promise.reject(new Error('async key'));
        return 'k';
      },
    });
    instance.get('/', async () => 'ok');
    instance.get('/bad', { config: { rateLimit: { cost: -1 } } }, async () => 'ok');
    const url = await serve(instance);
    expect(await get(url, '/', { 'x-fail': 'sync' })).toMatchObject({
      status: 599,
      body: 'sync key',
    });
    expect(await get(url, '/', { 'x-fail': 'async' })).toMatchObject({
      status: 599,
      body: 'async key',
    });
    expect(await get(url, '/bad')).toMatchObject({
      status: 599,
      body: 'cost must be an integer >= 1, got -1',
    });
    expect((await get(url, '/')).status).toBe(200);
  });
});
