import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { FakeClock, loopbackServer } from '@bulwark/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpRateLimitOptions, withRateLimit } from '../src/http.js';
import { adapterSuite, client, RecordingLimiter } from './http-helpers.js';

const loopback = loopbackServer();
const start = (handler: (req: IncomingMessage, res: ServerResponse) => unknown) =>
  loopback.serve(createServer(handler));
const { stop } = loopback;

const ok = (_req: IncomingMessage, res: ServerResponse) => res.end('ok');

adapterSuite('http', {
  path: (req: IncomingMessage) => new URL(req.url ?? '/', 'http://x').pathname,
  header: (req: IncomingMessage, name: string) => req.headers[name] as string | undefined,
  async start(options: HttpRateLimitOptions, limitedText?: string) {
    const onLimited =
      limitedText === undefined
        ? undefined
        : (_req: IncomingMessage, res: ServerResponse) => res.end(limitedText);
    return start(withRateLimit(ok, { ...options, ...(onLimited ? { onLimited } : {}) }));
  },
  stop,
});

describe('http: node handler wrapper', () => {
  const get = client();
  afterEach(stop);

  it('runs the handler in the same tick with a sync limiter, and returns its value', () => {
    const clock = new FakeClock(0);
    const limiter = new RecordingLimiter(1, 1000, clock);
    const seen: string[] = [];
    const wrapped = withRateLimit(
      (_req, res) => {
        seen.push('handler');
        res.end();
        return 'value';
      },
      { limiter },
    );
    const req = { headers: {}, socket: { remoteAddress: '1.2.3.4' } } as unknown as IncomingMessage;
    const headers: Record<string, unknown> = {};
    const res = {
      setHeader: (name: string, value: unknown) => {
        headers[name.toLowerCase()] = value;
      },
      end: () => {},
    } as unknown as ServerResponse;
    expect(wrapped(req, res)).toBe('value');
    expect(seen).toEqual(['handler']);
    expect(headers.ratelimit).toBe('"default";r=0;t=1');
    expect(limiter.calls).toEqual([{ key: '1.2.3.4', cost: 1 }]);
  });

  it('lets an error of the key function reach the caller', async () => {
    const limiter = new RecordingLimiter(1, 1000, new FakeClock(0));
    const wrapped = withRateLimit(ok, {
      limiter,
      key: () => {
        throw new Error('no key');
      },
    });
    const req = { headers: {}, socket: {} } as unknown as IncomingMessage;
    expect(() => wrapped(req, {} as ServerResponse)).toThrow('no key');
    const asyncWrapped = withRateLimit(ok, {
      limiter,
      key: () => Promise.reject(new Error('later')),
    });
    await expect(asyncWrapped(req, {} as ServerResponse)).rejects.toThrow('later');
  });

  it('rejects a handler that is not a function', () => {
    const limiter = new RecordingLimiter(1, 1000, new FakeClock(0));
    expect(() => withRateLimit(undefined as never, { limiter })).toThrow(
      /handler must be a function/,
    );
    expect(() => withRateLimit(ok, { limiter, onLimited: 1 as never })).toThrow(
      /onLimited must be/,
    );
  });

  it('serves a real server through the wrapper', async () => {
    const limiter = new RecordingLimiter(2, 1000, new FakeClock(0));
    const url = await start(withRateLimit(ok, { limiter }));
    expect((await get(url, '/')).status).toBe(200);
    expect((await get(url, '/')).status).toBe(200);
    const limited = await get(url, '/');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(limited.body)).toEqual({ error: 'Too Many Requests', retryAfter: 1 });
  });
});
