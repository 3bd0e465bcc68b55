import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type IdempotentRequest, withIdempotency } from '../src/http.js';
import { MemoryIdempotencyStore } from '../src/index.js';
import {
  type App,
  adapterSuite,
  closeServer,
  listen,
  until,
  writeAnswer,
} from './adapter-helpers.js';

let server: Server | undefined;

adapterSuite('http', {
  async start(app: App, options) {
    const handler = withIdempotency(
      async (req: IdempotentRequest, res) =>
        writeAnswer(await app.answer(req.url ?? '/', req.body ?? Buffer.alloc(0)), res),
      options as never,
    );
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      // node http has no error handler: the application answers a thrown error itself.
      Promise.resolve(handler(req, res)).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    });
    return { url: await listen(server), stats: () => handler.idempotency.stats() };
  },
  async stop() {
    const running = server;
    server = undefined;
    if (running) await closeServer(running);
  },
  header: (req: IncomingMessage, name: string) => req.headers[name] as string | undefined,
});

describe('http: a client that leaves mid-body', () => {
  afterEach(async () => {
    const running = server;
    server = undefined;
    if (running) await closeServer(running);
  });

  it('settles the wrapper without an error and claims nothing', async () => {
    const store = new MemoryIdempotencyStore();
    const handler = withIdempotency((_req, res) => res.end('ran'), { store });
    const settled: Array<Promise<unknown>> = [];
    const aborted = createServer((req, res) => {
      settled.push(Promise.resolve(handler(req, res)));
    });
    server = aborted;
    const url = new URL(await listen(aborted));
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
