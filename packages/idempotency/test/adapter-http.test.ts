import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { loopbackServer, until } from '@bulwark/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { type IdempotentRequest, withIdempotency } from '../src/http.js';
import { MemoryIdempotencyStore } from '../src/index.js';
import { type App, adapterSuite, writeAnswer } from './adapter-helpers.js';

const loopback = loopbackServer();

adapterSuite('http', {
  async start(app: App, options) {
    const handler = withIdempotency(
      async (req: IdempotentRequest, res) =>
        writeAnswer(await app.answer(req.url ?? '/', req.body ?? Buffer.alloc(0)), res),
      options as never,
    );
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      // node http has no error handler: the application answers a thrown error itself.
      Promise.resolve(handler(req, res)).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    });
    return { url: await loopback.serve(server), stats: () => handler.idempotency.stats() };
  },
  stop: loopback.stop,
  header: (req: IncomingMessage, name: string) => req.headers[name] as string | undefined,
});

describe('http: a client that leaves mid-body', () => {
  afterEach(loopback.stop);

  it('settles the wrapper without an error and claims nothing', async () => {
    const store = new MemoryIdempotencyStore();
    const handler = withIdempotency((_req, res) => res.end('ran'), { store });
    const settled: Array<Promise<unknown>> = [];
    const aborted = createServer((req, res) => {
      settled.push(Promise.resolve(handler(req, res)));
    });
    const url = new URL(await loopback.serve(aborted));
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    socket.write(
      'POST /payments HTTP/1.1\r\nHost: x\r\nIdempotency-Key: "k"\r\nContent-Length: 100\r\n\r\nonly ten b',
    );
    await until(() => settled.length === 1, 'the request to arrive');
    socket.destroy();
    await expect(settled[0]).resolves.toBeUndefined();
    expect(store.stats().keys).toBe(0);
    expect(handler.idempotency.stats().executed).toBe(0);
  });
});
