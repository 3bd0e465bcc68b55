import { createServer as createHttpServer, type Server } from 'node:http';
import {
  type AddressInfo,
  connect,
  createServer as createTcpServer,
  type Server as TcpServer,
} from 'node:net';
import { resilienceInterceptor } from '@bulwark/retry/undici';
import { closeServer, listen } from '@bulwark/test-utils';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { withIdempotency } from '../src/http.js';
import { MemoryIdempotencyStore } from '../src/index.js';
import { idempotencyKeyInterceptor } from '../src/undici.js';

const open: Server[] = [];
const proxies: TcpServer[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
  await Promise.all(open.splice(0).map(closeServer));
  await Promise.all(
    proxies.splice(0).map((proxy) => new Promise((resolve) => proxy.close(resolve))),
  );
});

/** A server answering with the Idempotency-Key it received (or `none`). */
async function echoServer(): Promise<string> {
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => res.end(String(req.headers['idempotency-key'] ?? 'none')));
  });
  open.push(server);
  return listen(server);
}

function agent(...interceptors: Parameters<Agent['compose']>): ReturnType<Agent['compose']> {
  const base = new Agent({ keepAliveTimeout: 10 });
  agents.push(base);
  return base.compose(...interceptors);
}

async function send(
  url: string,
  dispatcher: ReturnType<Agent['compose']>,
  init: Record<string, unknown> = {},
) {
  const response = await request(url, { method: 'POST', body: 'x', dispatcher, ...init });
  return {
    status: response.statusCode,
    headers: response.headers,
    text: await response.body.text(),
  };
}

const UUID = /^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/;

describe('idempotencyKeyInterceptor', () => {
  it('gives each POST and PATCH a fresh quoted UUID, and nothing to a GET', async () => {
    const url = await echoServer();
    const dispatcher = agent(idempotencyKeyInterceptor());
    const a = (await send(url, dispatcher)).text;
    const b = (await send(url, dispatcher)).text;
    expect(a).toMatch(UUID);
    expect(b).toMatch(UUID);
    expect(a).not.toBe(b);
    expect((await send(url, dispatcher, { method: 'PATCH' })).text).toMatch(UUID);
    expect((await send(url, dispatcher, { method: 'GET', body: undefined })).text).toBe('none');
  });

  it('keeps a key the request has, in every header form', async () => {
    const url = await echoServer();
    const dispatcher = agent(idempotencyKeyInterceptor());
    expect((await send(url, dispatcher, { headers: { 'Idempotency-Key': 'mine' } })).text).toBe(
      'mine',
    );
    expect((await send(url, dispatcher, { headers: ['idempotency-key', 'flat'] })).text).toBe(
      'flat',
    );
    expect(
      (await send(url, dispatcher, { headers: new Map([['idempotency-key', 'iterable']]) })).text,
    ).toBe('iterable');
    const added = await send(url, dispatcher, { headers: new Map([['x-other', '1']]) });
    expect(added.text).toMatch(UUID);
  });

  it('sends the key bare, and from generateKey, when asked', async () => {
    const url = await echoServer();
    let n = 0;
    const dispatcher = agent(
      idempotencyKeyInterceptor({
        structured: false,
        generateKey: () => `key-${++n}`,
        methods: ['put'],
      }),
    );
    expect((await send(url, dispatcher, { method: 'PUT' })).text).toBe('key-1');
    expect((await send(url, dispatcher)).text).toBe('none');
  });

  it('refuses bad options naming them', () => {
    expect(() => idempotencyKeyInterceptor({ method: ['POST'] } as never)).toThrow(
      'unknown option "method" in idempotencyKeyInterceptor(options); did you mean "methods"?',
    );
    expect(() => idempotencyKeyInterceptor({ generateKey: 'uuid' as never })).toThrow(
      'generateKey must be a function, got "uuid"',
    );
    expect(() => idempotencyKeyInterceptor({ methods: [''] })).toThrow('methods must be');
  });
});

/**
 * A TCP proxy in front of `port` that, on the first `drops` connections, forwards the request and
 * then closes the client's connection the moment the server's answer arrives: the server did the
 * work, the client never hears of it.
 */
async function droppingProxy(port: number, drops: number): Promise<string> {
  let left = drops;
  const proxy = createTcpServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    const drop = left > 0;
    if (drop) left--;
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.pipe(upstream);
    upstream.on('data', (chunk) => {
      if (drop) {
        client.destroy();
        upstream.destroy();
      } else client.write(chunk);
    });
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
  });
  proxies.push(proxy);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

describe('with @bulwark/retry/undici, through a proxy that loses the first response', () => {
  async function paymentServer() {
    const keys: string[] = [];
    let runs = 0;
    const handler = withIdempotency(
      (req, res) => {
        runs++;
        res.statusCode = 201;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ payment: runs, body: req.body?.toString() }));
      },
      { store: new MemoryIdempotencyStore() },
    );
    const server = createHttpServer((req, res) => {
      keys.push(String(req.headers['idempotency-key']));
      void handler(req, res);
    });
    open.push(server);
    const url = await listen(server);
    return { port: Number(new URL(url).port), keys, runs: () => runs };
  }

  it('retries with the same key and gets the replay; the handler ran once', async () => {
    const server = await paymentServer();
    const url = await droppingProxy(server.port, 1);
    const dispatcher = agent(
      resilienceInterceptor({ retry: { attempts: 3, backoff: () => 0 } }),
      idempotencyKeyInterceptor(),
    );
    const reply = await send(`${url}/payments`, dispatcher, { body: '{"amount":10}' });
    expect(reply.status).toBe(201);
    expect(reply.headers['idempotent-replayed']).toBe('true');
    expect(JSON.parse(reply.text)).toEqual({ payment: 1, body: '{"amount":10}' });
    expect(server.runs()).toBe(1);
    expect(server.keys).toHaveLength(2);
    expect(server.keys[0]).toMatch(UUID);
    expect(server.keys[1]).toBe(server.keys[0]);
  });

  it('without a key the retry interceptor does not retry the POST, and the client sees the loss', async () => {
    const server = await paymentServer();
    const url = await droppingProxy(server.port, 1);
    const dispatcher = agent(resilienceInterceptor({ retry: { attempts: 3, backoff: () => 0 } }));
    await expect(send(`${url}/payments`, dispatcher)).rejects.toThrow();
    expect(server.runs()).toBe(1);
    expect(server.keys).toEqual(['undefined']);
  });
});
