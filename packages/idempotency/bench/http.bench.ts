// What the middleware adds to a request.
//
// Group 1, in process: the core alone on the memory store, one request per op: a first request
// (begin with a new key, then record its response; on a fresh store and on one at its maxKeys
// bound, where each claim evicts the oldest record) and a replay (begin on a recorded key). The
// floor is the SHA-256 of method, path and body that the default fingerprint computes anyway.
// Groups 2-5, over loopback: POST /pay with a 13-byte JSON body through a real server and an
// undici client, one request at a time, first requests (a new key each) and replays (one key),
// on node `http` and on Express (behind express.json()): no middleware (`floor`), ours on the
// memory and the Redis store, and express-idempotency (the most used Express peer) with its
// memory adapter and its Redis adapter. Our Redis store costs one round trip before the handler
// and one after it on a first request, one on a replay; express-idempotency's Redis adapter
// three (GET, SET, SET) on a first request and one on a replay.
//
// The Redis server: the one the root global setup started when it ran, otherwise one started
// here through the test harness.
import { hash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectStandalone, RedisServer, redisTargets } from '@bulwark/test-utils';
import express from 'express';
import { IdempotencyService } from 'express-idempotency';
import * as redisAdapterModule from 'express-idempotency-redis-adapter';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { bench, describe } from 'vitest';
import { idempotency } from '../src/express.js';
import { withIdempotency } from '../src/http.js';
import { createIdempotency, type Lease, MemoryIdempotencyStore } from '../src/index.js';
import { RedisIdempotencyStore } from '../src/redis.js';

let server: RedisServer | undefined;
let redis: Redis;
if (redisTargets()) {
  redis = connectStandalone();
} else {
  server = await RedisServer.start();
  redis = new Redis({ host: server.host, port: server.port });
}
await redis.ping();
const redisUrl = `redis://${redis.options.host}:${redis.options.port}`;
const run = Date.now().toString(36);

const BODY = '{"amount":10}';
const body = Buffer.from(BODY);
let counter = 0;
const freshKey = () => `${run}-${++counter}`;

// Group 1: the core in process.
const core = createIdempotency({ store: new MemoryIdempotencyStore({ maxKeys: 100_000 }) });
const recorded = {
  status: 201,
  headers: [['content-type', 'application/json']] as Array<[string, string]>,
  body,
};
const requestWith = (key: string) => ({
  method: 'POST',
  path: '/pay',
  headers: { 'idempotency-key': key },
  body,
});
const replayRequest = requestWith('replayed');
core.record(core.begin(replayRequest) as Lease, recorded);

// The same on a store at its bound (the default maxKeys, 10 000, filled first): every claim also
// evicts the oldest record, as in a long-running process.
const fullCore = createIdempotency({ store: new MemoryIdempotencyStore() });
for (let i = 0; i < 10_000; i++)
  fullCore.record(fullCore.begin(requestWith(`fill-${i}`)) as Lease, recorded);

describe('core in process, memory store, one request per op', () => {
  bench('floor sha-256 of method, path and body', () => {
    hash('sha256', Buffer.concat([Buffer.from('POST\0/pay\0'), body]), 'hex');
  });
  bench('bulwark first request: begin + record', () => {
    core.record(core.begin(requestWith(freshKey())) as Lease, recorded);
  });
  bench('bulwark first request on a full store (evicts one record)', () => {
    fullCore.record(fullCore.begin(requestWith(freshKey())) as Lease, recorded);
  });
  bench('bulwark replay: begin', () => {
    core.begin(replayRequest);
  });
});

// Groups 2-5: real servers.
const answer = (res: ServerResponse) => {
  res.statusCode = 201;
  res.setHeader('content-type', 'application/json');
  res.end('{"paid":true}');
};
const nodeHandlers = {
  none: (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => answer(res));
  },
  memory: withIdempotency((_req, res) => answer(res), {
    store: new MemoryIdempotencyStore({ maxKeys: 100_000 }),
  }),
  redis: withIdempotency((_req, res) => answer(res), {
    store: new RedisIdempotencyStore({ redis, prefix: `bench:${run}:node:` }),
  }),
};

// A CommonJS module whose class is its `default` export: under ESM that is `default.default`.
type AdapterClass = new (options: object) => RedisAdapterLike;
const adapterModule = redisAdapterModule as unknown as {
  default: AdapterClass | { default: AdapterClass };
};
const RedisAdapter =
  'default' in adapterModule.default ? adapterModule.default.default : adapterModule.default;
interface RedisAdapterLike {
  connect(): Promise<void>;
}
const peerMemory = new IdempotencyService();
const peerRedisAdapter = new RedisAdapter({ connectionConfig: { url: redisUrl } });
await peerRedisAdapter.connect();
const peerRedis = new IdempotencyService({ dataAdapter: peerRedisAdapter as never });

function expressApp(variant: 'none' | 'memory' | 'redis' | 'peer-memory' | 'peer-redis') {
  const app = express();
  app.use(express.json());
  const peer =
    variant === 'peer-memory' ? peerMemory : variant === 'peer-redis' ? peerRedis : undefined;
  if (variant === 'memory')
    app.use(idempotency({ store: new MemoryIdempotencyStore({ maxKeys: 100_000 }) }));
  if (variant === 'redis')
    app.use(
      idempotency({ store: new RedisIdempotencyStore({ redis, prefix: `bench:${run}:express:` }) }),
    );
  if (peer) app.use(peer.provideMiddlewareFunction);
  app.post('/pay', (req, res) => {
    if (peer?.isHit(req)) return; // the peer answered a replay itself and still calls next()
    res.status(201).json({ paid: true });
  });
  return app;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const listening = createServer(handler).listen(0, '127.0.0.1');
  await new Promise((resolve) => listening.once('listening', resolve));
  listening.unref();
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}/pay`;
}

const agent = new Agent({ connections: 1 });
const urls = {
  'node none': await listen(nodeHandlers.none),
  'node memory': await listen((req, res) => void nodeHandlers.memory(req, res)),
  'node redis': await listen((req, res) => void nodeHandlers.redis(req, res)),
  'express none': await listen(expressApp('none')),
  'express memory': await listen(expressApp('memory')),
  'express redis': await listen(expressApp('redis')),
  'express peer-memory': await listen(expressApp('peer-memory')),
  'express peer-redis': await listen(expressApp('peer-redis')),
};

const post = (target: keyof typeof urls, key: () => string) => {
  const url = urls[target];
  return async () => {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key() },
      body: BODY,
      dispatcher: agent,
    });
    await response.body.text();
    if (response.statusCode !== 201) throw new Error(`${target}: status ${response.statusCode}`);
  };
};
const sameKey = () => `${run}-same`;

// Loopback numbers move with everything else on the machine: each row warms up first.
const loopback = { time: 1000, warmupTime: 300, warmupIterations: 100, throws: true };
describe('node http over loopback, first requests (a new key each)', () => {
  bench('floor node http, no middleware', post('node none', freshKey), loopback);
  bench('bulwark withIdempotency, memory store', post('node memory', freshKey), loopback);
  bench('bulwark withIdempotency, Redis store', post('node redis', freshKey), loopback);
});
describe('node http over loopback, replays (one key)', () => {
  bench('floor node http, no middleware', post('node none', sameKey), loopback);
  bench('bulwark withIdempotency, memory store', post('node memory', sameKey), loopback);
  bench('bulwark withIdempotency, Redis store', post('node redis', sameKey), loopback);
});
describe('express over loopback, first requests (a new key each)', () => {
  bench('floor express + express.json(), no middleware', post('express none', freshKey), loopback);
  bench('bulwark idempotency(), memory store', post('express memory', freshKey), loopback);
  bench('bulwark idempotency(), Redis store', post('express redis', freshKey), loopback);
  bench('express-idempotency (memory adapter)', post('express peer-memory', freshKey), loopback);
  bench('express-idempotency (Redis adapter)', post('express peer-redis', freshKey), loopback);
});
describe('express over loopback, replays (one key)', () => {
  bench('floor express + express.json(), no middleware', post('express none', sameKey), loopback);
  bench('bulwark idempotency(), memory store', post('express memory', sameKey), loopback);
  bench('bulwark idempotency(), Redis store', post('express redis', sameKey), loopback);
  bench('express-idempotency (memory adapter)', post('express peer-memory', sameKey), loopback);
  bench('express-idempotency (Redis adapter)', post('express peer-redis', sameKey), loopback);
});
