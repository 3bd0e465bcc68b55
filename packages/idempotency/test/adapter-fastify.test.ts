import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { idempotencyPlugin } from '../src/fastify.js';
import { MemoryIdempotencyStore } from '../src/index.js';
import { type App, adapterSuite, client } from './adapter-helpers.js';

let instance: FastifyInstance | undefined;

async function stop() {
  const running = instance;
  instance = undefined;
  if (running) await running.close();
}

function bodyBytes(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(body === undefined || body === null ? '' : JSON.stringify(body));
}

adapterSuite('fastify', {
  async start(app: App, options) {
    const fastify = Fastify();
    instance = fastify;
    await fastify.register(idempotencyPlugin, options as never);
    fastify.post('/*', async (request, reply) => {
      const answer = await app.answer(request.url, bodyBytes(request.body));
      if (answer.throws) throw new Error('handler failed');
      reply.code(answer.status).headers(answer.headers);
      // Several chunks go out as a stream, so the capture sees each write.
      return reply.send(
        answer.chunks.length > 1 ? Readable.from(answer.chunks) : Buffer.concat(answer.chunks),
      );
    });
    const url = await fastify.listen({ port: 0, host: '127.0.0.1' });
    return { url, stats: () => fastify.idempotency.stats() };
  },
  stop,
  header: (req: FastifyRequest, name: string) => req.headers[name] as string | undefined,
});

describe('fastify: plugin', () => {
  const post = client();
  afterEach(stop);

  it('covers only the context it is registered in', async () => {
    const fastify = Fastify();
    instance = fastify;
    let calls = 0;
    await fastify.register(async (api) => {
      await api.register(idempotencyPlugin, { store: new MemoryIdempotencyStore() });
      api.post('/api/pay', async () => ({ call: ++calls }));
    });
    fastify.post('/open', async () => ({ call: ++calls }));
    const url = await fastify.listen({ port: 0, host: '127.0.0.1' });
    const key = { 'idempotency-key': '"k"' };
    await post(url, '/api/pay', key);
    const replay = await post(url, '/api/pay', key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(JSON.parse(replay.body.toString())).toEqual({ call: 1 });
    await post(url, '/open', key);
    await post(url, '/open', key);
    expect(calls).toBe(3);
  });

  it('refuses bad options at registration', async () => {
    const fastify = Fastify();
    instance = fastify;
    await expect(
      fastify.register(idempotencyPlugin, { store: undefined as never }),
    ).rejects.toThrow('store must be an object with claim(), complete() and release()');
  });
});
