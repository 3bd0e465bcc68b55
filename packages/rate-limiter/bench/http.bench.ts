// What the HTTP adapter costs, measured on Express (the node `http` wrapper shares its code).
//
// Group 1, in process: the middleware called directly on a fake request from one of 1000 client
// IPs, with a fake response whose setHeader does nothing. `floor` is the memory limiter's consume
// alone on the same keys; the `bulwark` rows run the whole middleware (key from the socket,
// consume on a memory fixed window, header values, next).
// Group 2, over loopback: GET / through a real Express server and an undici client (one request
// at a time), with no middleware, with ours and with express-rate-limit (the most used peer);
// the difference is the overhead a request sees.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { rateLimit as expressRateLimit } from 'express-rate-limit';
import { Agent, request } from 'undici';
import { bench, describe } from 'vitest';
import { rateLimit } from '../src/express.js';
import { fixedWindow, MemoryRateLimiter } from '../src/index.js';

const limiter = () =>
  new MemoryRateLimiter(fixedWindow({ limit: 1_000_000_000, windowMs: 3_600_000 }));

const CLIENTS = 1000;
const requests = Array.from(
  { length: CLIENTS },
  (_, i) =>
    ({
      headers: {},
      socket: { remoteAddress: `10.0.${i >> 8}.${i & 255}` },
    }) as unknown as IncomingMessage,
);
const response = { setHeader() {} } as unknown as ServerResponse;
const next = () => {};

function inProcess(
  middleware: (req: IncomingMessage, res: ServerResponse, next: () => void) => void,
) {
  let i = 0;
  return () => {
    for (let n = 0; n < 100; n++) {
      middleware(requests[i]!, response, next);
      i = i === CLIENTS - 1 ? 0 : i + 1;
    }
  };
}

describe('express middleware alone, 100 fake requests per op from 1000 client IPs', () => {
  const alone = limiter();
  let k = 0;
  bench(
    'floor memory consume alone, no adapter',
    () => {
      for (let n = 0; n < 100; n++) {
        alone.consume(requests[k]!.socket.remoteAddress!);
        k = k === CLIENTS - 1 ? 0 : k + 1;
      }
    },
    { time: 1000 },
  );
  bench('bulwark rateLimit (memory fixed window)', inProcess(rateLimit({ limiter: limiter() })), {
    time: 1000,
  });
  bench(
    'bulwark rateLimit, headers: false',
    inProcess(rateLimit({ limiter: limiter(), headers: false })),
    { time: 1000 },
  );
});

type Variant = 'none' | 'bulwark' | 'express-rate-limit';

function app(variant: Variant) {
  const instance = express();
  if (variant === 'bulwark') instance.use(rateLimit({ limiter: limiter() }));
  if (variant === 'express-rate-limit') {
    // Its defaults: memory store, a window of 1 minute, the draft-8 headers; the limit is set
    // so high that no request is refused, like ours above.
    instance.use(expressRateLimit({ windowMs: 60_000, limit: 1_000_000_000 }));
  }
  instance.get('/', (_req, res) => {
    res.send('ok');
  });
  return instance;
}

// Started at load, unref'd so they never hold the process; the worker exits at the end.
const agent = new Agent({ connections: 1 });
const urls = new Map<Variant, string>();
for (const variant of ['none', 'bulwark', 'express-rate-limit'] as const) {
  const server = app(variant).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  server.unref();
  urls.set(variant, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}

const get = (variant: Variant) => {
  const url = urls.get(variant)!;
  return async () => {
    const { body } = await request(url, { dispatcher: agent });
    await body.text();
  };
};

// Loopback numbers move with everything else on the machine: each row warms up first (the
// first row measured otherwise pays for the JIT and the connection), and the rows differ by
// the middleware alone.
const loopback = { time: 2000, warmupTime: 500, warmupIterations: 200, throws: true };
describe('express over loopback, undici, one request at a time', () => {
  bench('floor express, no middleware', get('none'), loopback);
  bench('bulwark express + rateLimit (memory fixed window)', get('bulwark'), loopback);
  bench('express-rate-limit (memory store)', get('express-rate-limit'), loopback);
});
