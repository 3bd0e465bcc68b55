import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { FakeClock, loopbackServer } from '@bulwark/test-utils';
import express, { type NextFunction, type Request, type Response } from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExpressRateLimitOptions, rateLimit } from '../src/express.js';
import { adapterSuite, client, RecordingLimiter } from './http-helpers.js';

const loopback = loopbackServer();
const serve = (app: express.Express) => loopback.serve(createServer(app));
const { stop } = loopback;

// The same suite on both majors the peer range allows. Express 4 takes `*` for a catch-all
// route, Express 5 a named wildcard.
for (const [name, createApp, catchAll] of [
  ['express', express, '/{*path}'],
  ['express 4', express4, '*'],
] as const) {
  adapterSuite(name, {
    path: (req: Request) => req.path,
    header: (req: Request, header: string) => req.get(header),
    async start(options: ExpressRateLimitOptions, limitedText?: string) {
      const app = createApp();
      app.use(
        rateLimit({
          ...options,
          ...(limitedText === undefined
            ? {}
            : { onLimited: (_req: IncomingMessage, res: ServerResponse) => res.end(limitedText) }),
        }),
      );
      app.get(catchAll, (_req, res) => {
        res.send('ok');
      });
      return serve(app);
    },
    stop,
  });
}

describe('express: middleware', () => {
  const get = client();
  afterEach(stop);

  it('limits one route with its own middleware, next to an app-wide one', async () => {
    const clock = new FakeClock(0);
    const global = new RecordingLimiter(100, 60_000, clock, 'global');
    const login = new RecordingLimiter(1, 60_000, clock, 'login');
    const app = express();
    app.use(rateLimit({ limiter: global }));
    app.post('/login', rateLimit({ limiter: login }), (_req, res) => {
      res.send('welcome');
    });
    app.get('/', (_req, res) => {
      res.send('home');
    });
    const url = await serve(app);
    const first = await get(url, '/login', {}, 'POST');
    expect(first.status).toBe(200);
    expect(first.body).toBe('welcome');
    // the route's middleware ran last, so its headers are the ones sent
    expect(first.headers['ratelimit-policy']).toBe('"login";q=1;w=60');
    const second = await get(url, '/login', {}, 'POST');
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBe('60');
    const home = await get(url, '/');
    expect(home.status).toBe(200);
    expect(home.headers.ratelimit).toBe('"global";r=97;t=60');
  });

  it('types option callbacks with the Express request as type argument', async () => {
    const limiter = new RecordingLimiter(5, 1000, new FakeClock(0));
    const app = express();
    app.use(rateLimit<Request, Response>({ limiter, key: (req) => req.hostname }));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const url = await serve(app);
    await get(url, '/');
    expect(limiter.calls.map((call) => call.key)).toEqual(['127.0.0.1']);
  });

  it('sends errors of the option functions and onError: throw to the error handler', async () => {
    const limiter = new RecordingLimiter(5, 1000, new FakeClock(0));
    const errors: string[] = [];
    const app = express();
    app.use(
      rateLimit({
        limiter,
        key: (req) => {
          if (req.headers['x-fail'] === 'sync') throw new Error('sync key');
          if (req.headers['x-fail'] === 'async') return Promise.reject(new Error('async key'));
          return 'k';
        },
      }),
    );
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      errors.push(error.message);
      res.status(599).send('handled');
    });
    const url = await serve(app);
    expect((await get(url, '/', { 'x-fail': 'sync' })).status).toBe(599);
    expect((await get(url, '/', { 'x-fail': 'async' })).status).toBe(599);
    expect((await get(url, '/')).status).toBe(200);
    expect(errors).toEqual(['sync key', 'async key']);
  });
});
