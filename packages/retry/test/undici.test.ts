import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { BrokenCircuitError, breakerPerKey, CircuitBreaker } from '@bulwark/circuit-breaker';
import type { FakeClock } from '@bulwark/test-utils';
import { Agent, type Dispatcher, fetch, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryBudget, type RetryEvent, TimeoutError } from '../src/index.js';
import {
  HttpStatusError,
  type ResilienceInterceptorOptions,
  resilienceInterceptor,
} from '../src/undici.js';
import { fakeClock } from './helpers.js';

/** What the server does with the next request. */
type Action =
  | { status: number; headers?: Record<string, string>; body?: string }
  | 'stall' // never answers
  | 'stall-body' // answers 200 with half a body, then never finishes
  | 'reset'; // destroys the connection

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server on 127.0.0.1 that follows a plan, one action per request (then 200 "ok"). */
class PlannedServer {
  readonly plan: Action[] = [];
  readonly received: Received[] = [];
  readonly #server: Server;
  #waiters: { count: number; resolve: () => void }[] = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<PlannedServer> {
    const server = createServer();
    const planned = new PlannedServer(server);
    server.on('request', (req, res) => planned.#handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return planned;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Resolves once the server has received `count` requests in all. */
  received$(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const action = this.plan.shift() ?? { status: 200, body: 'ok' };
    this.received.push({
      method: req.method!,
      url: req.url!,
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    });
    this.#waiters = this.#waiters.filter((w) => {
      if (this.received.length < w.count) return true;
      w.resolve();
      return false;
    });
    if (action === 'stall') return;
    if (action === 'reset') {
      req.socket.destroy();
      return;
    }
    if (action === 'stall-body') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      return;
    }
    res.writeHead(action.status, action.headers);
    res.end(action.body ?? '');
  }
}

/** Events pushed by callbacks, awaited one at a time. */
class Events<T> {
  readonly #items: T[] = [];
  readonly #waiting: ((item: T) => void)[] = [];
  push = (item: T): void => {
    const waiter = this.#waiting.shift();
    if (waiter) waiter(item);
    else this.#items.push(item);
  };
  next(): Promise<T> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

const servers: PlannedServer[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.destroy()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(
  options: (clock: FakeClock, retries: Events<RetryEvent>) => ResilienceInterceptorOptions,
) {
  const server = await PlannedServer.start();
  servers.push(server);
  const agent = new Agent();
  agents.push(agent);
  const clock = fakeClock();
  const retries = new Events<RetryEvent>();
  const dispatcher: Dispatcher = agent.compose(resilienceInterceptor(options(clock, retries)));
  return { server, clock, retries, dispatcher };
}

const constant = (baseMs: number) => ({ strategy: 'constant' as const, baseMs });

describe('resilienceInterceptor against a real server', () => {
  it('rides out a failure and a stall, then gets the recovered response', async () => {
    const { server, clock, retries, dispatcher } = await setup((clock, retries) => ({
      timeoutMs: 1_000,
      retry: { attempts: 4, clock, backoff: constant(100), onRetry: retries.push },
    }));
    server.plan.push({ status: 503, body: 'down' }, 'stall');
    const pending = request(`${server.origin}/item`, { dispatcher });

    const first = await retries.next();
    expect(first.error).toBeInstanceOf(HttpStatusError);
    expect((first.error as HttpStatusError).statusCode).toBe(503);
    clock.advance(100);
    await server.received$(2); // the stalled attempt reached the server
    clock.advance(1_000); // ... and times out
    const second = await retries.next();
    expect(second.error).toBeInstanceOf(TimeoutError);
    clock.advance(100);

    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('ok');
    expect(server.received.map((r) => r.url)).toEqual(['/item', '/item', '/item']);
  });

  it('retries a connection reset', async () => {
    const { server, clock, retries, dispatcher } = await setup((clock, retries) => ({
      retry: { clock, backoff: constant(10), onRetry: retries.push },
    }));
    server.plan.push('reset');
    const pending = request(`${server.origin}/`, { dispatcher });
    await retries.next();
    clock.advance(10);
    const res = await pending;
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(server.received).toHaveLength(2);
  });

  it('replays the last failure response, body and all, when retries run out', async () => {
    const { server, clock, retries, dispatcher } = await setup((clock, retries) => ({
      retry: { attempts: 2, clock, backoff: constant(10), onRetry: retries.push },
    }));
    server.plan.push(
      { status: 502, body: 'first' },
      { status: 503, headers: { 'x-try': '2' }, body: 'still down' },
    );
    const pending = request(`${server.origin}/`, { dispatcher });
    await retries.next();
    clock.advance(10);
    const res = await pending;
    expect(res.statusCode).toBe(503);
    expect(res.headers['x-try']).toBe('2');
    expect(await res.body.text()).toBe('still down');
  });

  it('a failure body larger than maxBufferedBytes cannot be replayed: the caller gets HttpStatusError', async () => {
    const { server, clock, retries, dispatcher } = await setup((clock, retries) => ({
      maxBufferedBytes: 10,
      retry: { attempts: 2, clock, backoff: constant(10), onRetry: retries.push },
    }));
    server.plan.push(
      { status: 500, body: 'x'.repeat(100) },
      { status: 503, body: 'y'.repeat(100) },
    );
    const pending = request(`${server.origin}/`, { dispatcher });
    await retries.next();
    clock.advance(10);
    const error = (await pending.catch((e) => e)) as HttpStatusError;
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error.statusCode).toBe(503);
    expect(error.body).toBeUndefined();
  });

  it('honours Retry-After on a 429, and passes a 429 without it through', async () => {
    const { server, clock, retries, dispatcher } = await setup((clock, retries) => ({
      retry: { clock, backoff: constant(10), onRetry: retries.push },
    }));
    server.plan.push({ status: 429, headers: { 'retry-after': '2' } }, { status: 429 });
    const pending = request(`${server.origin}/`, { dispatcher });
    const event = await retries.next();
    expect(event.delayMs).toBe(2_000);
    expect(event.retryAfterMs).toBe(2_000);
    clock.advance(2_000);
    const res = await pending;
    expect(res.statusCode).toBe(429);
    await res.body.dump();
    expect(server.received).toHaveLength(2);
  });

  it('retries a POST only when it carries an Idempotency-Key, and never a streamed body', async () => {
    const { server, clock, retries, dispatcher } = await setup((clock, retries) => ({
      retry: { clock, backoff: constant(10), onRetry: retries.push },
    }));
    server.plan.push({ status: 503 });
    const plain = await request(`${server.origin}/orders`, {
      method: 'POST',
      body: 'a',
      dispatcher,
    });
    expect(plain.statusCode).toBe(503);
    await plain.body.dump();
    expect(server.received).toHaveLength(1);

    server.plan.push({ status: 503 });
    const keyed = request(`${server.origin}/orders`, {
      method: 'POST',
      body: 'b',
      headers: { 'Idempotency-Key': 'k-1' },
      dispatcher,
    });
    await retries.next();
    clock.advance(10);
    const res = await keyed;
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(server.received.slice(1).map((r) => [r.body, r.headers['idempotency-key']])).toEqual([
      ['b', 'k-1'],
      ['b', 'k-1'],
    ]);

    server.plan.push({ status: 503 });
    const streamed = await request(`${server.origin}/upload`, {
      method: 'PUT',
      body: Readable.from([Buffer.from('s')]),
      dispatcher,
    });
    expect(streamed.statusCode).toBe(503);
    await streamed.body.dump();
    expect(server.received).toHaveLength(4);
  });

  it('retries a PUT whose body is a Buffer or a string, sending the same body again', async () => {
    const { server, clock, retries, dispatcher } = await setup((clock, retries) => ({
      retry: { clock, backoff: constant(10), onRetry: retries.push },
    }));
    for (const body of [Buffer.from('bytes'), 'text']) {
      server.plan.push({ status: 503 });
      const pending = request(`${server.origin}/doc`, { method: 'PUT', body, dispatcher });
      await retries.next();
      clock.advance(10);
      const res = await pending;
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    expect(server.received.map((r) => [r.method, r.body])).toEqual([
      ['PUT', 'bytes'],
      ['PUT', 'bytes'],
      ['PUT', 'text'],
      ['PUT', 'text'],
    ]);
  });

  it('under fetch(), a request with a body is streamed by undici, so it is not retried', async () => {
    const { server, dispatcher } = await setup((clock) => ({
      retry: { clock, backoff: constant(10) },
    }));
    server.plan.push({ status: 503, body: 'busy' });
    const res = await fetch(`${server.origin}/doc`, { method: 'PUT', body: 'text', dispatcher });
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('busy');
    expect(server.received).toHaveLength(1);
  });

  it('opens the breaker of the origin and rejects without reaching the server', async () => {
    const breakers = breakerPerKey(
      (origin) =>
        new CircuitBreaker({ name: origin, window: { calls: 2 }, minimumCalls: 2, openMs: 60_000 }),
    );
    const { server, dispatcher } = await setup((clock) => ({
      breaker: breakers,
      retry: { attempts: 1, clock },
    }));
    server.plan.push({ status: 500 }, { status: 500 });
    for (let i = 0; i < 2; i++) {
      const res = await request(`${server.origin}/`, { dispatcher });
      expect(res.statusCode).toBe(500);
      await res.body.dump();
    }
    expect(breakers(server.origin).state).toBe('open');
    await expect(request(`${server.origin}/`, { dispatcher })).rejects.toBeInstanceOf(
      BrokenCircuitError,
    );
    expect(server.received).toHaveLength(2);
  });

  it('gives up on an open breaker whose wait exceeds maxRetryAfterMs', async () => {
    const breakers = breakerPerKey((origin) => new CircuitBreaker({ name: origin }));
    const { server, dispatcher } = await setup((clock) => ({
      breaker: breakers,
      retry: { clock, maxRetryAfterMs: 1_000 },
    }));
    breakers(server.origin).open();
    await expect(request(`${server.origin}/`, { dispatcher })).rejects.toBeInstanceOf(
      BrokenCircuitError,
    );
    expect(server.received).toHaveLength(0);
  });

  it('a body that stalls after the response started times out to the caller and is not retried', async () => {
    const { server, clock, dispatcher } = await setup((clock) => ({
      timeoutMs: 500,
      retry: { clock, backoff: constant(10) },
    }));
    server.plan.push('stall-body');
    const res = await request(`${server.origin}/`, { dispatcher });
    expect(res.statusCode).toBe(200);
    const text = res.body.text();
    clock.advance(500);
    await expect(text).rejects.toBeInstanceOf(TimeoutError);
    expect(server.received).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it("the caller's abort stops the wait between attempts", async () => {
    const { server, retries, dispatcher } = await setup((clock, retries) => ({
      retry: { clock, backoff: constant(10_000), onRetry: retries.push },
    }));
    server.plan.push({ status: 503 });
    const controller = new AbortController();
    const pending = request(`${server.origin}/`, { dispatcher, signal: controller.signal });
    await retries.next();
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
    expect(server.received).toHaveLength(1);
  });

  it('a shared retry budget caps retries across requests', async () => {
    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0.1, window: { ms: 10_000 } });
    const { server, clock, retries, dispatcher } = await setup((clock, retries) => ({
      retry: { clock, attempts: 3, budget, backoff: constant(10), onRetry: retries.push },
    }));
    // The floor allows one retry in the window; the rest of the failures go back as they came.
    server.plan.push({ status: 503, body: 'a' }, { status: 503, body: 'b' });
    const pending = request(`${server.origin}/`, { dispatcher });
    await retries.next();
    clock.advance(10);
    const res = await pending;
    expect(res.statusCode).toBe(503);
    expect(await res.body.text()).toBe('b');
    expect(server.received).toHaveLength(2);
    expect(budget.stats()).toMatchObject({ totalAttempts: 1, totalRetries: 1, rejected: 1 });
  });

  it('a breaker factory that throws fails that request only', async () => {
    const { server, dispatcher } = await setup(() => ({
      breaker: () => {
        throw new Error('no breaker for you');
      },
    }));
    await expect(request(`${server.origin}/`, { dispatcher })).rejects.toThrow(
      'no breaker for you',
    );
    expect(server.received).toHaveLength(0);
  });

  it('works under fetch() too', async () => {
    const { server, clock, retries, dispatcher } = await setup((clock, retries) => ({
      retry: { clock, backoff: constant(10), onRetry: retries.push },
    }));
    server.plan.push({ status: 502 });
    const pending = fetch(`${server.origin}/f`, { dispatcher });
    await retries.next();
    clock.advance(10);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect(server.received).toHaveLength(2);
  });

  it('retry: false keeps the breaker and the timeout but never retries', async () => {
    const { server, clock, dispatcher } = await setup((clock) => ({
      clock,
      timeoutMs: 300,
      retry: false,
    }));
    server.plan.push({ status: 503, body: 'no' }, 'stall');
    const res = await request(`${server.origin}/`, { dispatcher });
    expect(res.statusCode).toBe(503);
    expect(await res.body.text()).toBe('no');
    expect(server.received).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);

    const stalled = request(`${server.origin}/`, { dispatcher });
    await server.received$(2);
    clock.advance(300);
    await expect(stalled).rejects.toBeInstanceOf(TimeoutError);
    expect(server.received).toHaveLength(2);
  });

  it('leaves other requests on the same connection unharmed after a held-back failure', async () => {
    const { server, clock, retries, dispatcher } = await setup((clock, retries) => ({
      retry: { clock, backoff: constant(10), onRetry: retries.push },
    }));
    server.plan.push({ status: 500, body: 'x'.repeat(1_000) });
    const first = request(`${server.origin}/1`, { dispatcher });
    await retries.next();
    clock.advance(10);
    const res1 = await first;
    expect(await res1.body.text()).toBe('ok');
    const res2 = await request(`${server.origin}/2`, { dispatcher });
    expect(await res2.body.text()).toBe('ok');
    expect(server.received.map((r) => r.url)).toEqual(['/1', '/1', '/2']);
  });

  it('waits on the interceptor clock when retry.clock is absent or undefined', async () => {
    const { server, clock, retries, dispatcher } = await setup((clock, retries) => ({
      clock,
      retry: { clock: undefined, backoff: constant(10), onRetry: retries.push },
    }));
    server.plan.push({ status: 503 });
    const pending = request(`${server.origin}/`, { dispatcher });
    await retries.next();
    expect(clock.pendingTimers).toBe(1);
    clock.advance(10);
    const res = await pending;
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });

  it('rejects bad options, naming them', () => {
    expect(() => resilienceInterceptor({ timeoutMs: 0 })).toThrow(
      /timeoutMs must be a number between 1/,
    );
    expect(() => resilienceInterceptor({ breaker: 'x' as never })).toThrow(
      /breaker must be a function/,
    );
    expect(() => resilienceInterceptor({ idempotentMethods: 'GET' as never })).toThrow(
      /idempotentMethods must be an array/,
    );
    expect(() => resilienceInterceptor({ retry: { attempts: 0 } })).toThrow(
      new RangeError('retry.attempts must be an integer >= 1 or Infinity, got 0'),
    );
    expect(() => resilienceInterceptor({ retry: { backoff: { baseMs: -1 } } })).toThrow(
      /^retry\.backoff\.baseMs must be a number between 0 and/,
    );
    expect(() => resilienceInterceptor({ retry: { clock: {} as never } })).toThrow(
      /^retry\.clock must be an object with now/,
    );
    expect(() => resilienceInterceptor({ retry: { onRetry: 1 as never } })).toThrow(TypeError);
    expect(() => resilienceInterceptor({ isFailureStatus: 1 as never })).toThrow(
      'isFailureStatus must be a function, got 1',
    );
    expect(() => resilienceInterceptor({ idempotencyKeyMethods: [1] as never })).toThrow(
      /idempotencyKeyMethods must be an array of method names/,
    );
    expect(() => resilienceInterceptor(null as never)).toThrow(
      'options must be an object, got null',
    );
    expect(() => resilienceInterceptor({ maxBufferedBytes: -1 })).toThrow(/maxBufferedBytes/);
    expect(() => resilienceInterceptor({ clock: {} as never })).toThrow(
      /clock must be an object with now/,
    );
    expect(() => resilienceInterceptor({ retry: 3 as never })).toThrow(
      /retry must be an object or false, got 3/,
    );
    expect(() => resilienceInterceptor({ timeout: 5 } as never)).toThrow(
      'unknown option "timeout" in resilienceInterceptor(options); use "timeoutMs" instead',
    );
    expect(() => resilienceInterceptor({ retry: { attempt: 2 } } as never)).toThrow(
      'unknown option "attempt" in resilienceInterceptor({ retry }); did you mean "attempts"?',
    );
    // Responses are judged by isFailureStatus; an attempt has no value for retryOnResult to see.
    expect(() => resilienceInterceptor({ retry: { retryOnResult: () => true } } as never)).toThrow(
      /unknown option "retryOnResult" in resilienceInterceptor\(\{ retry \}\)/,
    );
    // One request streams into one handler: attempts cannot run side by side.
    expect(() => resilienceInterceptor({ retry: { hedgeAfterMs: 10 } } as never)).toThrow(
      /unknown option "hedgeAfterMs" in resilienceInterceptor\(\{ retry \}\)/,
    );
  });
});
