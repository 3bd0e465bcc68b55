import type { Server } from 'node:http';
import { loopbackServer } from '@bulwark/test-utils';
import { createAdaptorServer } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { idempotency } from '../src/hono.js';
import { MemoryIdempotencyStore } from '../src/index.js';
import { type App, adapterSuite, client } from './adapter-helpers.js';

const loopback = loopbackServer();
const serve = (app: Hono) => loopback.serve(createAdaptorServer({ fetch: app.fetch }) as Server);
const { stop } = loopback;

// A thrown error becomes a quiet 500 (Hono's default handler would print it).
const quiet500 = (_error: Error, c: Context) => c.body(null, 500);

adapterSuite('hono', {
  async start(app: App, options) {
    const hono = new Hono();
    const middleware = idempotency(options as never);
    hono.use(middleware);
    hono.onError(quiet500);
    hono.post('*', async (c) => {
      const url = new URL(c.req.url);
      const answer = await app.answer(url.pathname, Buffer.from(await c.req.arrayBuffer()));
      if (answer.throws) throw new Error('handler failed');
      const headers = new Headers();
      for (const [name, value] of Object.entries(answer.headers))
        for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
      // A streamed body: one chunk per pull.
      const chunks = [...answer.chunks];
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(next);
        },
      });
      return new Response(body, { status: answer.status, headers });
    });
    return { url: await serve(hono), stats: () => middleware.idempotency.stats() };
  },
  stop,
  header: (c: Context, name: string) => c.req.header(name),
});

describe('hono: middleware', () => {
  const post = client();
  afterEach(stop);

  it('lets the handler read the body again and replays c.json', async () => {
    const hono = new Hono();
    let calls = 0;
    hono.use(idempotency({ store: new MemoryIdempotencyStore() }));
    hono.post('/pay', async (c) => c.json({ call: ++calls, got: await c.req.json() }, 201));
    const url = await serve(hono);
    const key = { 'idempotency-key': '"k"' };
    const first = await post(url, '/pay', key);
    const replay = await post(url, '/pay', key);
    expect(JSON.parse(first.body.toString())).toEqual({ call: 1, got: { amount: 10 } });
    expect(replay.status).toBe(201);
    expect(replay.body.equals(first.body)).toBe(true);
    expect(replay.headers['content-type']).toBe('application/json');
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });
});
