/**
 * @bulwark/idempotency/hono — Hono middleware, on the Fetch API `Request`/`Response`.
 *
 * ```ts
 * import { Hono } from 'hono';
 * import { MemoryIdempotencyStore } from '@bulwark/idempotency';
 * import { idempotency } from '@bulwark/idempotency/hono';
 *
 * const app = new Hono();
 * app.use('/payments/*', idempotency({ store: new MemoryIdempotencyStore() }));
 * app.post('/payments', async (c) => c.json(await charge(await c.req.json()), 201));
 * ```
 *
 * The middleware reads the request body (Hono keeps it, so the handler can read it again) and,
 * for a first request, the response body: a body up to `maxBodyBytes` is read whole, recorded,
 * then sent; a larger one streams on unrecorded and the key is released.
 */

import type { Context, Env, MiddlewareHandler } from 'hono';
import { type Decision, Idempotency, type Lease } from './idempotency.js';
import type { IdempotencyOptions } from './options.js';
import { problemResponse } from './problem.js';
import type { RecordedResponse } from './types.js';

export type { IdempotencyOptions } from './options.js';

/** The middleware, with the core it uses (for `stats()`). */
export type IdempotencyMiddleware<E extends Env = Env> = MiddlewareHandler<E> & {
  /** The core: `middleware.idempotency.stats()`. */
  readonly idempotency: Idempotency<Context<E>>;
};

const TOO_LARGE = problemResponse('body-too-large', 413);

/**
 * Hono middleware: a request of a covered method with an `Idempotency-Key` runs once; a retry
 * gets the recorded response with `Idempotent-Replayed: true`, a duplicate still running 409, a
 * different request with the same key 422, a bad key 400 (see {@link IdempotencyOptions}). A
 * handler that throws (Hono answers 500) releases the key.
 */
export function idempotency<E extends Env = Env>(
  options: IdempotencyOptions<Context<E>>,
): IdempotencyMiddleware<E> {
  const core = new Idempotency<Context<E>>(options);
  const middleware: MiddlewareHandler<E> = async (c, next) => {
    const method = c.req.method;
    if (!core.appliesTo(method, c.req.header('idempotency-key') ?? undefined)) return next();
    const body = new Uint8Array(await c.req.arrayBuffer());
    if (body.byteLength > core.maxBodyBytes) return toResponse(TOO_LARGE);
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const url = new URL(c.req.url);
    const decision: Decision = await core.begin(
      { method, path: url.pathname + url.search, headers, body },
      c,
    );
    if (decision.action === 'respond') return toResponse(decision.response);
    if (decision.action === 'proceed') return next();
    try {
      await next();
    } catch (error) {
      core.release(decision);
      throw error;
    }
    if (c.error !== undefined) {
      core.release(decision);
      return;
    }
    c.res = await record(core, decision, c.res);
  };
  return Object.assign(middleware, { idempotency: core });
}

function toResponse(response: RecordedResponse): Response {
  const headers = new Headers();
  for (const [name, value] of response.headers) headers.append(name, value);
  return new Response(
    response.body.byteLength === 0 ? null : (response.body as Uint8Array<ArrayBuffer>),
    {
      status: response.status,
      headers,
    },
  );
}

// Reads the response body up to maxBodyBytes, records it, and hands back a response with the
// same status, headers and bytes. Past the limit, the bytes read so far and the rest of the
// stream go out unrecorded.
async function record<E extends Env>(
  core: Idempotency<Context<E>>,
  lease: Lease,
  response: Response,
): Promise<Response> {
  const limit = core.maxBodyBytes;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  if (reader !== undefined) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size > limit) {
        await core.record(lease, undefined, response.status);
        return new Response(resume(chunks, reader), response);
      }
    }
  }
  const body = Buffer.concat(chunks, size);
  await core.record(lease, {
    status: response.status,
    headers: core.pickHeaders((name) =>
      name === 'set-cookie' ? response.headers.getSetCookie() : response.headers.get(name),
    ),
    body,
  });
  return new Response(size === 0 ? null : body, response);
}

function resume(
  read: Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of read) controller.enqueue(chunk);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
