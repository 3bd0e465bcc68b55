// Shared by the test/adapter-*.test.ts files: one application (a few routes whose behaviour each
// adapter's harness reproduces with its own framework), an undici client, and the behaviours every
// adapter must show, each against a real server on 127.0.0.1.

import type { ServerResponse } from 'node:http';
import { FakeClock, flushMicrotasks, until } from '@bulwark/test-utils';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type IdempotencyOptions,
  type IdempotencyStats,
  type IdempotencyStore,
  MemoryIdempotencyStore,
  PROBLEM_TYPES,
} from '../src/index.js';

/** What a route answers: status, headers, body chunks written one by one, or a thrown error. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[]>;
  chunks: Uint8Array[];
  throws?: boolean;
}

/**
 * The application: every POST reaches `answer(path, body)` after the middleware, which counts
 * the calls. A test may hold the next call's answer back with `hold()`.
 */
export class App {
  calls = 0;
  readonly bodies: Buffer[] = [];
  #held: Promise<void> | undefined;

  /** The answers of the routes. */
  async answer(path: string, body: Buffer): Promise<Answer> {
    this.calls++;
    this.bodies.push(body);
    const held = this.#held;
    this.#held = undefined;
    if (held) await held;
    const call = this.calls;
    if (path.startsWith('/binary'))
      return {
        status: 200,
        headers: { 'content-type': 'application/octet-stream', 'x-call': String(call) },
        chunks: [
          Uint8Array.from({ length: 256 }, (_, i) => i),
          Buffer.from([0, 255, 0xc3]),
          Buffer.from('end'),
        ],
      };
    if (path.startsWith('/fail'))
      return {
        status: 503,
        headers: { 'content-type': 'text/plain' },
        chunks: [Buffer.from(`fail ${call}`)],
      };
    if (path.startsWith('/throw')) return { status: 500, headers: {}, chunks: [], throws: true };
    if (path.startsWith('/big'))
      return {
        status: 200,
        headers: { 'content-type': 'text/plain' },
        chunks: [Buffer.alloc(4096, 97)],
      };
    return {
      status: 201,
      headers: {
        'content-type': 'application/json',
        location: `/payments/${call}`,
        'x-call': String(call),
        'set-cookie': ['a=1', 'b=2'],
      },
      chunks: [Buffer.from(JSON.stringify({ call, received: body.toString() }))],
    };
  }

  /** Holds the next call's answer until the returned function is called. */
  hold(): () => void {
    let release = () => {};
    this.#held = new Promise((resolve) => {
      release = resolve;
    });
    return release;
  }
}

/** A response read to the end. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** An undici client of its own per test file, closed at the end. */
export function client(): (
  url: string,
  path: string,
  headers?: Record<string, string>,
  body?: string,
) => Promise<Reply> {
  const agent = new Agent({ keepAliveTimeout: 10 });
  afterAll(() => agent.close());
  return async (url, path, headers = {}, body = '{"amount":10}') => {
    const response = await request(new URL(path, url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      dispatcher: agent,
    });
    const bytes = Buffer.from(await response.body.arrayBuffer());
    return { status: response.statusCode, headers: response.headers, body: bytes };
  };
}

/** How a test drives one adapter. */
export interface Harness {
  /**
   * Starts a server where every POST goes through the adapter with `options` to `app`, the
   * handler reading the body the adapter leaves (or its framework's parsed body). Resolves with
   * the base URL; `stats` reads the core's stats.
   */
  start(
    app: App,
    options: IdempotencyOptions<never>,
  ): Promise<{ url: string; stats(): IdempotencyStats }>;
  /** Closes what `start` started. */
  stop(): Promise<void>;
  /** How `scope` reads a request header with this adapter's request type. */
  // biome-ignore lint/suspicious/noExplicitAny: each adapter has its own request type
  header(req: any, name: string): string | undefined;
}

/** A store whose calls all fail, to see onStoreError at work. */
export class BrokenStore implements IdempotencyStore {
  claim(): never {
    throw new Error('store down');
  }
  complete(): Promise<boolean> {
    return Promise.reject(new Error('store down'));
  }
  release(): Promise<boolean> {
    return Promise.reject(new Error('store down'));
  }
}

const KEY = { 'idempotency-key': '"8e03978e-40d5-43e8-bc93-6894a57f9324"' };

function problemOf(reply: Reply): { type: string; status: number; title: string } {
  expect(reply.headers['content-type']).toBe('application/problem+json');
  return JSON.parse(reply.body.toString());
}

/** The behaviours every adapter shares, against a real server. */
export function adapterSuite(name: string, harness: Harness): void {
  describe(`${name}: shared behaviour`, () => {
    const post = client();
    let clock: FakeClock;
    let store: MemoryIdempotencyStore;
    let app: App;

    beforeEach(() => {
      clock = new FakeClock(1_000_000);
      store = new MemoryIdempotencyStore({ clock });
      app = new App();
    });
    afterEach(() => harness.stop());

    it('runs a first request once and replays it byte for byte, marked as a replay', async () => {
      const { url, stats } = await harness.start(app, {
        store,
        replayHeaders: ['content-type', 'location', 'x-call', 'set-cookie'],
      });
      const first = await post(url, '/payments', KEY);
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const replay = await post(url, '/payments', KEY);
      expect(app.calls).toBe(1);
      expect(replay.status).toBe(201);
      expect(replay.body.equals(first.body)).toBe(true);
      expect(JSON.parse(replay.body.toString())).toEqual({ call: 1, received: '{"amount":10}' });
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.headers.location).toBe('/payments/1');
      expect(replay.headers['x-call']).toBe('1');
      expect(replay.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(replay.headers['content-type']).toBe(first.headers['content-type']);
      expect(stats()).toMatchObject({ executed: 1, replayed: 1 });
    });

    it('replays a binary body written in several chunks byte for byte', async () => {
      const { url } = await harness.start(app, { store });
      const first = await post(url, '/binary', KEY);
      const replay = await post(url, '/binary', KEY);
      expect(app.calls).toBe(1);
      const expected = Buffer.concat([
        Uint8Array.from({ length: 256 }, (_, i) => i),
        Buffer.from([0, 255, 0xc3]),
        Buffer.from('end'),
      ]);
      expect(first.body.equals(expected)).toBe(true);
      expect(replay.body.equals(expected)).toBe(true);
      expect(replay.headers['content-type']).toBe('application/octet-stream');
      expect(replay.headers['x-call']).toBeUndefined(); // not allow-listed
    });

    it('answers 422 to the same key with another body, and does not run it', async () => {
      const { url, stats } = await harness.start(app, { store });
      await post(url, '/payments', KEY);
      const other = await post(url, '/payments', KEY, '{"amount":99}');
      expect(other.status).toBe(422);
      expect(problemOf(other)).toMatchObject({ type: PROBLEM_TYPES['key-mismatch'], status: 422 });
      const otherPath = await post(url, '/payments/2', KEY);
      expect(otherPath.status).toBe(422);
      expect(app.calls).toBe(1);
      expect(stats().mismatches).toBe(2);
    });

    it('answers 400 to a missing key where required, and lets it through otherwise', async () => {
      const required = await harness.start(app, { store, required: true });
      const missing = await post(required.url, '/payments');
      expect(missing.status).toBe(400);
      expect(problemOf(missing)).toMatchObject({ type: PROBLEM_TYPES['key-missing'], status: 400 });
      expect(app.calls).toBe(0);
      await harness.stop();
      const optional = await harness.start(app, { store });
      expect((await post(optional.url, '/payments')).status).toBe(201);
      expect((await post(optional.url, '/payments')).status).toBe(201);
      expect(app.calls).toBe(2);
    });

    it('answers 400 to malformed keys: empty, too long, a bare value when strict', async () => {
      const { url, stats } = await harness.start(app, { store, strict: true });
      for (const key of [
        '""',
        `"${'k'.repeat(256)}"`,
        'bare-uuid',
        '"unterminated',
        '"a" trailing',
      ]) {
        const reply = await post(url, '/payments', { 'idempotency-key': key });
        expect(reply.status, key).toBe(400);
        expect(problemOf(reply)).toMatchObject({ type: PROBLEM_TYPES['key-malformed'] });
      }
      expect(app.calls).toBe(0);
      expect(stats().rejected).toBe(5);
      expect(
        (await post(url, '/payments', { 'idempotency-key': `"${'k'.repeat(255)}"` })).status,
      ).toBe(201);
    });

    it('accepts a bare UUID unless strict, as the same key as its quoted form', async () => {
      const { url } = await harness.start(app, { store });
      await post(url, '/payments', { 'idempotency-key': '8e03978e-40d5-43e8-bc93-6894a57f9324' });
      const replay = await post(url, '/payments', KEY);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(app.calls).toBe(1);
    });

    it('ignores a client sending Idempotent-Replayed itself', async () => {
      const { url } = await harness.start(app, { store });
      const spoofed = await post(url, '/payments', { ...KEY, 'idempotent-replayed': 'true' });
      expect(spoofed.status).toBe(201);
      expect(spoofed.headers['idempotent-replayed']).toBeUndefined();
      expect(app.calls).toBe(1);
      const noKey = await post(url, '/payments', { 'idempotent-replayed': 'true' });
      expect(noKey.headers['idempotent-replayed']).toBeUndefined();
      expect(app.calls).toBe(2);
    });

    it('forgets a recorded response after ttlMs', async () => {
      const { url } = await harness.start(app, { store, ttlMs: 60_000 });
      await post(url, '/payments', KEY);
      clock.advance(59_999);
      expect((await post(url, '/payments', KEY)).headers['idempotent-replayed']).toBe('true');
      clock.advance(1);
      const fresh = await post(url, '/payments', KEY);
      expect(fresh.headers['idempotent-replayed']).toBeUndefined();
      expect(app.calls).toBe(2);
    });

    it('scopes keys: two principals with one key each get their own response', async () => {
      const { url } = await harness.start(app, {
        store,
        scope: (req: never) => harness.header(req, 'x-user') ?? '',
      });
      const alice = await post(url, '/payments', { ...KEY, 'x-user': 'alice' });
      const bob = await post(url, '/payments', { ...KEY, 'x-user': 'bob' });
      expect(app.calls).toBe(2);
      const aliceAgain = await post(url, '/payments', { ...KEY, 'x-user': 'alice' });
      const bobAgain = await post(url, '/payments', { ...KEY, 'x-user': 'bob' });
      expect(aliceAgain.body.equals(alice.body)).toBe(true);
      expect(bobAgain.body.equals(bob.body)).toBe(true);
      expect(alice.body.equals(bob.body)).toBe(false);
      expect(app.calls).toBe(2);
    });

    it('answers 409 with Retry-After while the first runs, then replays it', async () => {
      const { url, stats } = await harness.start(app, { store });
      const release = app.hold();
      const first = post(url, '/payments', KEY);
      await until(() => app.calls === 1);
      const duplicate = await post(url, '/payments', KEY);
      expect(duplicate.status).toBe(409);
      expect(duplicate.headers['retry-after']).toBe('1');
      expect(problemOf(duplicate)).toMatchObject({ type: PROBLEM_TYPES['key-in-use'] });
      release();
      expect((await first).status).toBe(201);
      expect((await post(url, '/payments', KEY)).headers['idempotent-replayed']).toBe('true');
      expect(app.calls).toBe(1);
      expect(stats().conflicts).toBe(1);
    });

    it("with onConcurrent: 'wait' a duplicate waits for the first and gets its replay", async () => {
      const { url, stats } = await harness.start(app, {
        store,
        onConcurrent: 'wait',
        waitIntervalMs: 100,
        clock,
      });
      const release = app.hold();
      const first = post(url, '/payments', KEY);
      await until(() => app.calls === 1);
      const duplicate = post(url, '/payments', KEY);
      await until(() => stats().waiting === 1);
      clock.advance(100); // still running: it looks again later
      await flushMicrotasks();
      release();
      const original = await first;
      await clock.advanceAsync(100);
      const replay = await duplicate;
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body.equals(original.body)).toBe(true);
      expect(app.calls).toBe(1);
      expect(stats().waiting).toBe(0);
    });

    it('releases the key after a 5xx, so the retry runs', async () => {
      const { url, stats } = await harness.start(app, { store });
      expect((await post(url, '/fail', KEY)).status).toBe(503);
      const retry = await post(url, '/fail', KEY);
      expect(retry.status).toBe(503);
      expect(retry.body.toString()).toBe('fail 2');
      expect(app.calls).toBe(2);
      expect(stats().released).toBe(2);
    });

    it('releases the key when the handler throws, so the retry runs', async () => {
      const { url } = await harness.start(app, { store });
      expect((await post(url, '/throw', KEY)).status).toBe(500);
      expect((await post(url, '/throw', KEY)).status).toBe(500);
      expect(app.calls).toBe(2);
      expect(store.stats().keys).toBe(0);
    });

    it('sends a response over maxBodyBytes in full but does not record it', async () => {
      const { url, stats } = await harness.start(app, { store, maxBodyBytes: 1024 });
      const first = await post(url, '/big', KEY);
      expect(first.body.length).toBe(4096);
      const again = await post(url, '/big', KEY);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
      expect(app.calls).toBe(2);
      expect(stats().released).toBe(2);
    });

    it('fails closed with 503 on a store failure by default, open when configured', async () => {
      const closed = await harness.start(app, { store: new BrokenStore() });
      const refused = await post(closed.url, '/payments', KEY);
      expect(refused.status).toBe(503);
      expect(problemOf(refused)).toMatchObject({ type: PROBLEM_TYPES['store-unavailable'] });
      expect(app.calls).toBe(0);
      expect(closed.stats().storeErrors).toBe(1);
      await harness.stop();
      const open = await harness.start(app, {
        store: new BrokenStore(),
        onStoreError: 'fail-open',
      });
      expect((await post(open.url, '/payments', KEY)).status).toBe(201);
      expect(app.calls).toBe(1);
    });

    it('lets other methods through untouched', async () => {
      const { url } = await harness.start(app, { store, methods: ['PATCH'] });
      await post(url, '/payments', KEY);
      await post(url, '/payments', KEY);
      expect(app.calls).toBe(2);
    });
  });
}

/** Writes an Answer on a node response, chunk by chunk. */
export async function writeAnswer(answer: Answer, res: ServerResponse): Promise<void> {
  if (answer.throws) throw new Error('handler failed');
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  for (const chunk of answer.chunks) res.write(chunk);
  res.end();
}
