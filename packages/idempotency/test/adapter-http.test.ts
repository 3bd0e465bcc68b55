import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type IdempotentRequest, withIdempotency } from '../src/http.js';
import { type App, adapterSuite, closeServer, listen, writeAnswer } from './adapter-helpers.js';

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
