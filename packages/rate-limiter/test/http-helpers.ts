// Shared by the test/http-*.test.ts files: limiters on a fake clock, an undici client, and one
// suite of behaviours every adapter must show, each run against a real server on 127.0.0.1.

import { FakeClock } from '@bulwark/test-utils';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedWindow, MemoryRateLimiter } from '../src/index.js';
import type { Decision, RateLimiter, RateLimitPolicy } from '../src/types.js';

/**
 * The memory limiter (fixed window of `limit` units per `windowMs`, on the given clock) with a
 * record of its `consume` calls, so tests can see the keys and costs the adapters passed.
 * Synchronous, like the memory limiter it wraps.
 */
export class RecordingLimiter implements RateLimiter {
  readonly calls: Array<{ key: string; cost: number }> = [];
  readonly inner: MemoryRateLimiter;

  constructor(limit: number, windowMs: number, clock: FakeClock, name = 'default') {
    this.inner = new MemoryRateLimiter(fixedWindow({ limit, windowMs }), { clock, name });
  }

  get policy(): RateLimitPolicy {
    return this.inner.policy;
  }

  consume(key: string, cost = 1): Decision {
    this.calls.push({ key, cost });
    return this.inner.consume(key, cost);
  }

  peek(key: string): Decision {
    return this.inner.peek(key);
  }

  reset(key: string): void {
    this.inner.reset(key);
  }
}

/** The same limiter answering with promises, as the Redis limiter does. */
export class AsyncLimiter implements RateLimiter {
  constructor(readonly inner: RateLimiter) {}
  get policy(): RateLimitPolicy {
    return this.inner.policy;
  }
  consume(key: string, cost?: number): Promise<Decision> {
    return Promise.resolve().then(() => this.inner.consume(key, cost));
  }
  peek(key: string): Promise<Decision> {
    return Promise.resolve().then(() => this.inner.peek(key));
  }
  async reset(key: string): Promise<void> {
    await this.inner.reset(key);
  }
}

/** A limiter whose store is broken: throws (sync) or rejects (async). */
export class BrokenLimiter implements RateLimiter {
  readonly policy: RateLimitPolicy = { name: 'broken', limit: 1, windowMs: 1000 };
  constructor(readonly mode: 'throw' | 'reject') {}
  consume(): Decision | Promise<Decision> {
    const error = new Error('store down');
    if (this.mode === 'throw') throw error;
    return Promise.reject(error);
  }
  peek(): Decision {
    throw new Error('store down');
  }
  reset(): void {}
}

/** A response read to the end. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An undici client of its own per test file, closed at the end. */
export function client() {
  const agent = new Agent({ keepAliveTimeout: 10 });
  afterAll(() => agent.close());
  return async (
    url: string,
    path: string,
    headers: Record<string, string> = {},
    method: 'GET' | 'POST' = 'GET',
  ): Promise<Reply> => {
    const response = await request(new URL(path, url), { method, headers, dispatcher: agent });
    const body = await response.body.text();
    return { status: response.statusCode, headers: response.headers, body };
  };
}

/**
 * The request, as the adapter's option callbacks see it, reduced to what the suite needs. Each
 * adapter's harness says how to read a path and a header from its request (or context) type.
 */
export interface Harness {
  // biome-ignore lint/suspicious/noExplicitAny: each adapter has its own request type
  path(req: any): string;
  // biome-ignore lint/suspicious/noExplicitAny: each adapter has its own request type
  header(req: any, name: string): string | undefined;
  /**
   * Starts a server whose every route (`GET /...`, handler answering 200 `ok`) is behind the
   * adapter with `options`; `limitedText`, when given, becomes an `onLimited` answering that
   * text. Resolves with the base URL (rejects on bad options); `stop` closes the server.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the options of each adapter
  start(options: any, limitedText?: string): Promise<string>;
  /** Closes what `start` started. */
  stop(): Promise<void>;
}

/** The behaviours every adapter shares, against a real server. */
export function adapterSuite(name: string, harness: Harness): void {
  describe(`${name}: shared behaviour`, () => {
    const get = client();
    let clock: FakeClock;
    let limiter: RecordingLimiter;

    beforeEach(() => {
      clock = new FakeClock(0);
      limiter = new RecordingLimiter(3, 60_000, clock);
    });
    afterEach(() => harness.stop());

    it('admits up to the limit with RateLimit headers, then answers 429 with Retry-After', async () => {
      const url = await harness.start({ limiter });
      for (let remaining = 2; remaining >= 0; remaining--) {
        const reply = await get(url, '/');
        expect(reply.status).toBe(200);
        expect(reply.body).toBe('ok');
        expect(reply.headers['ratelimit-policy']).toBe('"default";q=3;w=60');
        expect(reply.headers.ratelimit).toBe(`"default";r=${remaining};t=60`);
        expect(reply.headers['retry-after']).toBeUndefined();
      }
      clock.advance(15_200);
      const limited = await get(url, '/');
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBe('45'); // ceil(44.8)
      expect(limited.headers['ratelimit-policy']).toBe('"default";q=3;w=60');
      expect(limited.headers.ratelimit).toBe('"default";r=0;t=45');
      expect(limited.body).toContain('Too Many Requests');

      clock.advance(44_700); // 100 ms left: Retry-After is still at least 1
      const almost = await get(url, '/');
      expect(almost.status).toBe(429);
      expect(almost.headers['retry-after']).toBe('1');

      clock.advance(100);
      const again = await get(url, '/');
      expect(again.status).toBe(200);
      expect(again.headers.ratelimit).toBe('"default";r=2;t=60');
    });

    it('keys by the socket address by default and ignores X-Forwarded-For', async () => {
      const url = await harness.start({ limiter });
      for (let i = 0; i < 3; i++) {
        await get(url, '/', { 'x-forwarded-for': `10.0.0.${i}` });
      }
      expect((await get(url, '/', { 'x-forwarded-for': '10.9.9.9' })).status).toBe(429);
      expect(new Set(limiter.calls.map((call) => call.key))).toEqual(new Set(['127.0.0.1']));
    });

    it('with trustProxy: 1 keys by the address the proxy appended', async () => {
      const url = await harness.start({ limiter, trustProxy: 1 });
      await get(url, '/', { 'x-forwarded-for': 'spoofed, 10.0.0.1' });
      await get(url, '/', { 'x-forwarded-for': '10.0.0.2' });
      await get(url, '/');
      expect(limiter.calls.map((call) => call.key)).toEqual(['10.0.0.1', '10.0.0.2', '127.0.0.1']);
    });

    it('counts per key from the key function, sync or async', async () => {
      const url = await harness.start({
        limiter,
        key: (req: unknown) => harness.header(req, 'x-api-key') ?? 'anonymous',
      });
      for (let i = 0; i < 3; i++)
        expect((await get(url, '/', { 'x-api-key': 'a' })).status).toBe(200);
      expect((await get(url, '/', { 'x-api-key': 'a' })).status).toBe(429);
      expect((await get(url, '/', { 'x-api-key': 'b' })).status).toBe(200);
      await harness.stop();

      const other = new RecordingLimiter(1, 1000, clock);
      const url2 = await harness.start({
        limiter: other,
        key: async (req: unknown) => `user:${harness.header(req, 'x-api-key')}`,
      });
      expect((await get(url2, '/', { 'x-api-key': 'c' })).status).toBe(200);
      expect((await get(url2, '/', { 'x-api-key': 'c' })).status).toBe(429);
      expect(other.calls.map((call) => call.key)).toEqual(['user:c', 'user:c']);
    });

    it('skips what skip says, without counting or headers', async () => {
      const url = await harness.start({
        limiter,
        skip: (req: unknown) => harness.path(req) === '/health',
      });
      for (let i = 0; i < 5; i++) {
        const reply = await get(url, '/health');
        expect(reply.status).toBe(200);
        expect(reply.headers.ratelimit).toBeUndefined();
      }
      expect(limiter.calls).toHaveLength(0);
      expect((await get(url, '/')).headers.ratelimit).toBe('"default";r=2;t=60');
    });

    it('takes cost units per request, fixed or per request', async () => {
      const url = await harness.start({
        limiter,
        cost: (req: unknown) => (harness.path(req) === '/heavy' ? 2 : 1),
      });
      expect((await get(url, '/heavy')).headers.ratelimit).toBe('"default";r=1;t=60');
      expect((await get(url, '/heavy')).status).toBe(429);
      expect((await get(url, '/')).status).toBe(200);
      await harness.stop();

      const fresh = new RecordingLimiter(10, 1000, clock);
      const url2 = await harness.start({ limiter: fresh, cost: 4 });
      expect((await get(url2, '/')).headers.ratelimit).toBe('"default";r=6;t=1');
      expect(fresh.calls).toEqual([{ key: '127.0.0.1', cost: 4 }]);
    });

    it('picks the limiter per request (per-route limits)', async () => {
      const strict = new RecordingLimiter(1, 10_000, clock, 'login');
      const url = await harness.start({
        limiter: (req: unknown) => (harness.path(req) === '/login' ? strict : limiter),
      });
      const first = await get(url, '/login');
      expect(first.status).toBe(200);
      expect(first.headers['ratelimit-policy']).toBe('"login";q=1;w=10');
      const second = await get(url, '/login');
      expect(second.status).toBe(429);
      expect(second.headers['retry-after']).toBe('10');
      expect((await get(url, '/')).headers['ratelimit-policy']).toBe('"default";q=3;w=60');
    });

    it('works the same with an async limiter', async () => {
      const url = await harness.start({ limiter: new AsyncLimiter(limiter) });
      for (let remaining = 2; remaining >= 0; remaining--) {
        const reply = await get(url, '/');
        expect(reply.status).toBe(200);
        expect(reply.headers.ratelimit).toBe(`"default";r=${remaining};t=60`);
      }
      const limited = await get(url, '/');
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBe('60');
    });

    it('with a list of limiters: all must admit, one RateLimit member per limiter consulted', async () => {
      const perSecond = new RecordingLimiter(2, 1000, clock, 'burst');
      const url = await harness.start({ limiter: [perSecond, new AsyncLimiter(limiter)] });
      const first = await get(url, '/');
      expect(first.status).toBe(200);
      expect(first.headers['ratelimit-policy']).toBe('"burst";q=2;w=1, "default";q=3;w=60');
      expect(first.headers.ratelimit).toBe('"burst";r=1;t=1, "default";r=2;t=60');
      const second = await get(url, '/');
      expect(second.headers.ratelimit).toBe('"burst";r=0;t=1, "default";r=1;t=60');
      const third = await get(url, '/');
      expect(third.status).toBe(429);
      // the refusing limiter stops the list: the second was neither charged nor reported
      expect(third.headers.ratelimit).toBe('"burst";r=0;t=1');
      expect(third.headers['retry-after']).toBe('1');
      expect(limiter.calls).toHaveLength(2);
      clock.advance(1000);
      const fourth = await get(url, '/');
      expect(fourth.status).toBe(200);
      expect(fourth.headers.ratelimit).toBe('"burst";r=1;t=1, "default";r=0;t=59');
      const fifth = await get(url, '/');
      expect(fifth.status).toBe(429);
      expect(fifth.headers.ratelimit).toBe('"burst";r=0;t=1, "default";r=0;t=59');
      expect(fifth.headers['retry-after']).toBe('59');
    });

    it('customises the 429 body with onLimited', async () => {
      const url = await harness.start(
        { limiter: new RecordingLimiter(1, 1000, clock) },
        'slow down',
      );
      await get(url, '/');
      const limited = await get(url, '/');
      expect(limited.status).toBe(429);
      expect(limited.body).toBe('slow down');
      expect(limited.headers['retry-after']).toBe('1');
      expect(limited.headers.ratelimit).toBe('"default";r=0;t=1');
    });

    it('sends no RateLimit headers with headers: false, but still Retry-After on a 429', async () => {
      const url = await harness.start({
        limiter: new RecordingLimiter(1, 1000, clock),
        headers: false,
      });
      const ok = await get(url, '/');
      expect(ok.status).toBe(200);
      expect(ok.headers.ratelimit).toBeUndefined();
      expect(ok.headers['ratelimit-policy']).toBeUndefined();
      const limited = await get(url, '/');
      expect(limited.status).toBe(429);
      expect(limited.headers.ratelimit).toBeUndefined();
      expect(limited.headers['retry-after']).toBe('1');
    });

    for (const mode of ['throw', 'reject'] as const) {
      it(`fails open by default when the limiter ${mode}s; deny gives 503, throw gives 500`, async () => {
        const broken = new BrokenLimiter(mode);
        const url = await harness.start({ limiter: broken });
        const open = await get(url, '/');
        expect(open.status).toBe(200);
        expect(open.body).toBe('ok');
        expect(open.headers.ratelimit).toBeUndefined();
        await harness.stop();

        const seen: unknown[] = [];
        const url2 = await harness.start({
          limiter: broken,
          onError: (error: unknown) => {
            seen.push(error);
            return 'deny';
          },
        });
        const denied = await get(url2, '/');
        expect(denied.status).toBe(503);
        expect(denied.headers['retry-after']).toBe('1');
        expect(seen).toHaveLength(1);
        expect((seen[0] as Error).message).toBe('store down');
        await harness.stop();

        const url3 = await harness.start({ limiter: broken, onError: 'throw' });
        expect((await get(url3, '/')).status).toBe(500);
      });
    }

    it('rejects bad options, naming them', async () => {
      const bad = (options: object) => harness.start(options);
      await expect(bad({})).rejects.toThrow(/limiter must be a RateLimiter/);
      await expect(bad({ limiter: [] })).rejects.toThrow(/limiter must not be an empty list/);
      await expect(bad({ limiter, cost: 0 })).rejects.toThrow(
        'cost must be an integer >= 1, got 0',
      );
      await expect(bad({ limiter, trustProxy: -1 })).rejects.toThrow(RangeError);
      await expect(bad({ limiter, onError: 'ignore' })).rejects.toThrow(/onError must be/);
      await expect(bad({ limiter, key: 'ip' })).rejects.toThrow(/key must be a function/);
      await expect(bad({ limiter, headers: 'yes' })).rejects.toThrow(/headers must be a boolean/);
      await expect(bad({ limiter: {} })).rejects.toThrow(
        'limiter must be a RateLimiter, a list of them or a function, got {}',
      );
      await expect(bad({ limiter: [limiter, 1] })).rejects.toThrow(
        'limiter must hold RateLimiter objects, got 1',
      );
      await expect(bad({ limiter, cost: '1' })).rejects.toThrow(
        new TypeError('cost must be a number, got "1"'),
      );
      await expect(bad({ limiter, trustProxy: 'yes' })).rejects.toThrow(
        new TypeError('trustProxy must be a boolean or an integer >= 0, got "yes"'),
      );
      await expect(bad({ limiter, skip: true })).rejects.toThrow(
        new TypeError('skip must be a function, got true'),
      );
      await expect(bad({ limiter, onError: 1 })).rejects.toThrow(
        "onError must be 'allow', 'deny', 'throw' or a function, got 1",
      );
      await expect(bad({ limiter, onLimited: 'json' })).rejects.toThrow(
        new TypeError('onLimited must be a function, got "json"'),
      );
    });
  });
}
