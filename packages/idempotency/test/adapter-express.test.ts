import { createServer } from 'node:http';
import { loopbackServer } from '@bulwark/test-utils';
import express, { type NextFunction, type Request, type Response } from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it } from 'vitest';
import { idempotency } from '../src/express.js';
import { MemoryIdempotencyStore } from '../src/index.js';
import { type App, adapterSuite, client, writeAnswer } from './adapter-helpers.js';

const loopback = loopbackServer();
const serve = (app: express.Express) => loopback.serve(createServer(app));
const { stop } = loopback;

function bodyBytes(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(body === undefined ? '' : JSON.stringify(body));
}

// A thrown error becomes a quiet 500 (Express's default handler would print its stack).
const quiet500 = (_error: unknown, _req: Request, res: Response, _next: NextFunction) => {
  res.status(500).end();
};

// Express 5 behind express.json() (the fingerprint hashes the parsed body), Express 4 with no
// body parser (the middleware reads the raw body and leaves it on req.body).
for (const [name, createApp, parse] of [
  ['express 5, after express.json()', express, true],
  ['express 4, raw body', express4, false],
] as const) {
  adapterSuite(name, {
    async start(app: App, options) {
      const instance = createApp();
      const middleware = idempotency(options as never);
      if (parse) instance.use(express.json());
      instance.use(middleware);
      instance.use((req: Request, res: Response, next: NextFunction) => {
        app
          .answer(req.originalUrl, bodyBytes(req.body))
          .then((answer) => writeAnswer(answer, res))
          .catch(next);
      });
      instance.use(quiet500);
      return { url: await serve(instance), stats: () => middleware.idempotency.stats() };
    },
    stop,
    header: (req: Request, header: string) => req.get(header),
  });
}

describe('express: middleware', () => {
  const post = client();
  afterEach(stop);

  it('replays res.json and res.send answers, with their content type', async () => {
    const app = express();
    let calls = 0;
    app.use(express.json(), idempotency({ store: new MemoryIdempotencyStore() }));
    app.post('/json', (_req, res) => {
      res.status(201).json({ call: ++calls });
    });
    app.post('/text', (_req, res) => {
      res.send(`text ${++calls}`);
    });
    const url = await serve(app);
    const key = { 'idempotency-key': '"k1"' };
    const first = await post(url, '/json', key);
    const replay = await post(url, '/json', key);
    expect(replay.status).toBe(201);
    expect(replay.body.toString()).toBe('{"call":1}');
    expect(replay.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(replay.headers.etag).toBe(first.headers.etag);
    const text = await post(url, '/text', { 'idempotency-key': '"k2"' });
    const textReplay = await post(url, '/text', { 'idempotency-key': '"k2"' });
    expect(textReplay.body.toString()).toBe(text.body.toString());
    expect(textReplay.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(calls).toBe(2);
  });

  it('hands errors of scope to next', async () => {
    const app = express();
    app.use(
      idempotency({
        store: new MemoryIdempotencyStore(),
        scope: () => {
          throw new Error('no principal');
        },
      }),
    );
    app.post('/x', (_req, res) => {
      res.end('ran');
    });
    let seen: unknown;
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      seen = error;
      res.status(500).end();
    });
    const url = await serve(app);
    expect((await post(url, '/x', { 'idempotency-key': 'k' })).status).toBe(500);
    expect((seen as Error).message).toBe('no principal');
  });
});

describe('express: bodies no parser read', () => {
  const post = client();
  afterEach(stop);

  it('compares the raw bytes of a body whose type express.json() skipped', async () => {
    for (const createApp of [express, express4]) {
      const app = createApp();
      let calls = 0;
      app.use(express.json(), idempotency({ store: new MemoryIdempotencyStore() }));
      app.post('/upload', (req: Request, res: Response) => {
        res.send(`upload ${++calls}: ${Buffer.isBuffer(req.body) ? req.body.length : 'parsed'}`);
      });
      const url = await serve(app as express.Express);
      const key = { 'idempotency-key': '"u1"', 'content-type': 'application/octet-stream' };
      const first = await post(url, '/upload', key, 'first bytes');
      expect((await post(url, '/upload', key, 'other bytes')).status).toBe(422);
      const replay = await post(url, '/upload', key, 'first bytes');
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body.toString()).toBe(first.body.toString());
      expect(calls).toBe(1);
      await stop();
    }
  });
});
