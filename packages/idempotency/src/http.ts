/**
 * @bulwark/idempotency/http — Idempotency-Key handling for a plain node `http` request handler.
 *
 * ```ts
 * import { createServer } from 'node:http';
 * import { MemoryIdempotencyStore } from '@bulwark/idempotency';
 * import { withIdempotency } from '@bulwark/idempotency/http';
 *
 * const store = new MemoryIdempotencyStore();
 * createServer(withIdempotency((req, res) => res.end('charged'), { store })).listen(3000);
 * ```
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkFunction } from '@bulwark/kernel';
import { captureResponse, readBody, sendRecorded } from './adapters/node.js';
import { type Decision, Idempotency } from './idempotency.js';
import type { IdempotencyOptions } from './options.js';
import { problemResponse } from './problem.js';

export type { IdempotencyOptions } from './options.js';

/** The request a wrapped handler receives: `body` holds the bytes read for the fingerprint. */
export type IdempotentRequest<Req extends IncomingMessage = IncomingMessage> = Req & {
  /** The request body, read to check the key (only for requests that carry one). */
  body?: Buffer;
};

/** A wrapped handler, with the core it uses (for `stats()`). */
export interface IdempotentHandler<Req extends IncomingMessage, Res extends ServerResponse> {
  (req: Req, res: Res): unknown;
  /** The core: `handler.idempotency.stats()`. */
  readonly idempotency: Idempotency<Req>;
}

const TOO_LARGE = problemResponse('body-too-large', 413);

/**
 * Wraps a node `http` handler. A request of a covered method with an `Idempotency-Key` has its
 * body read (the stream is consumed; the bytes are on `req.body`, a larger body than
 * `maxBodyBytes` gets 413), then runs once: a retry gets the recorded response with
 * `Idempotent-Replayed: true`, a duplicate still running 409, a different request with the same
 * key 422, a bad key 400 (see {@link IdempotencyOptions}). Other requests reach `handler` as they
 * are. A handler that throws or rejects releases the key, and the returned promise rejects with
 * its error, as node `http` has no error handler: answer errors inside your handler.
 */
export function withIdempotency<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(
  handler: (req: IdempotentRequest<Req>, res: Res) => unknown,
  options: IdempotencyOptions<Req>,
): IdempotentHandler<Req, Res> {
  checkFunction('handler', handler);
  const idempotency = new Idempotency<Req>(options);

  const run = (decision: Decision, req: Req, res: Res): unknown => {
    if (decision.action === 'respond') return sendRecorded(res, decision.response);
    if (decision.action === 'proceed') return handler(req, res);
    captureResponse(res, idempotency as Idempotency<never>, decision);
    let result: unknown;
    try {
      result = handler(req, res);
    } catch (error) {
      idempotency.release(decision);
      throw error;
    }
    if (typeof (result as Promise<unknown> | undefined)?.then === 'function')
      return (result as Promise<unknown>).then(undefined, (error: unknown) => {
        idempotency.release(decision);
        throw error;
      });
    return result;
  };

  const wrapped = (req: Req, res: Res): unknown => {
    const method = req.method ?? 'GET';
    if (!idempotency.appliesTo(method, req.headers['idempotency-key'])) return handler(req, res);
    return readBody(req, idempotency.maxBodyBytes).then(
      (body) => {
        if (body === undefined) return sendRecorded(res, TOO_LARGE);
        (req as IdempotentRequest<Req>).body = body;
        const decision = idempotency.begin(
          { method, path: req.url ?? '/', headers: req.headers, body },
          req,
        );
        if (decision instanceof Promise) return decision.then((d) => run(d, req, res));
        return run(decision, req, res);
      },
      () => {
        // The client went away mid-body: nobody is left to answer, and nothing was claimed.
        res.destroy();
      },
    );
  };
  return Object.assign(wrapped, { idempotency });
}
