import type { Server } from 'node:http';
import { FakeClock, loopbackServer } from '@bulwark/test-utils';
import { createAdaptorServer } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { type HonoRateLimitOptions, rateLimit } from '../src/hono.js';
import { adapterSuite, client, RecordingLimiter } from './http-helpers.js';

const loopback = loopbackServer();
const serve = (app: Hono) => loopback.serve(createAdaptorServer({ fetch: app.fetch }) as Server);
const { stop } = loopback;

// Errors that reached app.onError in the shared suite: only BrokenLimiter's "store down" (its
// onError: 'throw' case) is expected; anything else fails the test that produced it.
const thrown: unknown[] = [];
afterEach(() => {
  const unexpected = thrown.filter((error) => (error as Error)?.message !== 'store down');
  thrown.length = 0;
  expect(unexpected).toEqual([]);
});

adapterSuite('hono', {
  path: (c: Context) => c.req.path,
  header: (c: Context, name: string) => c.req.header(name),
  async start(options: HonoRateLimitOptions, limitedText?: string) {
    const app = new Hono();
    app.use(
      rateLimit({
        ...options,
        ...(limitedText === undefined
          ? {}
          : { onLimited: (c: Context) => c.text(limitedText, 429) }),
      }),
    );
    app.get('*', (c) => c.text('ok'));
    // Hono's default handler would print the error: record it instead, the 500 is what the suite
    // checks, and every recorded error is checked after the test (only the limiter's own).
    app.onError((error, c) => {
      thrown.push(error);
      return c.text('Internal Server Error', 500);
    });
    return serve(app);
  },
  stop,
});

describe('hono: middleware', () => {
  const get = client();
  afterEach(stop);

  it('adds the headers to a Response the handler built itself, and limits one route on its own', async () => {
    const clock = new FakeClock(0);
    const limiter = new RecordingLimiter(10, 60_000, clock);
    const upload = new RecordingLimiter(1, 60_000, clock, 'upload');
    const app = new Hono();
    app.use(rateLimit({ limiter }));
    app.post(
      '/upload',
      rateLimit({ limiter: upload }),
      () => new Response('stored', { status: 201 }),
    );
    app.get('/', () => new Response('raw'));
    app.get('/go', () => Response.redirect('http://example.test/', 302)); // immutable headers
    const url = await serve(app);
    const raw = await get(url, '/');
    expect(raw.body).toBe('raw');
    expect(raw.headers.ratelimit).toBe('"default";r=9;t=60');
    const redirect = await get(url, '/go');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe('http://example.test/');
    expect(redirect.headers.ratelimit).toBe('"default";r=8;t=60');
    const stored = await get(url, '/upload', {}, 'POST');
    expect(stored.status).toBe(201);
    // the route-level middleware's headers stay (the app-wide one does not overwrite them)
    expect(stored.headers['ratelimit-policy']).toBe('"upload";q=1;w=60');
    const refused = await get(url, '/upload', {}, 'POST');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('60');
    expect(JSON.parse(refused.body)).toEqual({ error: 'Too Many Requests', retryAfter: 60 });
  });

  it('needs a key or trustProxy where no node request is in c.env', async () => {
    const limiter = new RecordingLimiter(1, 1000, new FakeClock(0));
    const app = new Hono();
    app.use(rateLimit({ limiter }));
    app.get('/', (c) => c.text('ok'));
    app.onError((error, c) => c.text(error.message, 500));
    const noSocket = await app.request('/');
    expect(noSocket.status).toBe(500);
    expect(await noSocket.text()).toMatch(/pass key or trustProxy/);

    const behindProxy = new Hono();
    behindProxy.use(rateLimit({ limiter, trustProxy: true }));
    behindProxy.get('/', (c) => c.text('ok'));
    const viaProxy = await behindProxy.request('/', { headers: { 'x-forwarded-for': '10.1.1.1' } });
    expect(viaProxy.status).toBe(200);
    expect(limiter.calls.map((call) => call.key)).toEqual(['10.1.1.1']);
  });

  it('passes errors of the option functions to app.onError', async () => {
    const limiter = new RecordingLimiter(5, 1000, new FakeClock(0));
    const app = new Hono();
    app.use(
      rateLimit({
        limiter,
        key: (c) => {
          if (c.req.header('x-fail') === 'sync') throw new Error('sync key');
          if (c.req.header('x-fail') === 'async') return Promise.reject(new Error('async key'));
          return 'k';
        },
      }),
    );
    app.get('/', (c) => c.text('ok'));
    app.onError((error, c) => c.text(error.message, 599 as never));
    const url = await serve(app);
    expect(await get(url, '/', { 'x-fail': 'sync' })).toMatchObject({
      status: 599,
      body: 'sync key',
    });
    expect(await get(url, '/', { 'x-fail': 'async' })).toMatchObject({
      status: 599,
      body: 'async key',
    });
    expect((await get(url, '/')).status).toBe(200);
  });
});
