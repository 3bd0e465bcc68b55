/**
 * @bulwark/idempotency/express — Express middleware (Express 4 and 5).
 *
 * ```ts
 * import express from 'express';
 * import { MemoryIdempotencyStore } from '@bulwark/idempotency';
 * import { idempotency } from '@bulwark/idempotency/express';
 *
 * const app = express();
 * app.use(express.json(), idempotency({ store: new MemoryIdempotencyStore() }));
 * app.post('/payments', (req, res) => res.status(201).json(charge(req.body)));
 * ```
 *
 * Mount it after your body parser: the fingerprint hashes the parsed body (a Buffer or string as
 * is, anything else as JSON). When no parser read the body (none before it, or none for the
 * request's content type), it reads the raw bytes itself and, if `req.body` is unset, leaves them
 * there as a Buffer, as `express.raw()` would. Typed against node's
 * `IncomingMessage`/`ServerResponse`, so it needs no Express types; pass Express's `Request` as
 * the type argument to type `scope`: `idempotency<Request>({ scope: (req) => req.user.id, ... })`.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  bytesOfParsedBody,
  captureResponse,
  EMPTY,
  readBody,
  sendRecorded,
} from './adapters/node.js';
import { type Decision, Idempotency } from './idempotency.js';
import type { IdempotencyOptions } from './options.js';
import { problemResponse } from './problem.js';

export type { IdempotencyOptions } from './options.js';

/** Express's `next`. */
export type Next = (error?: unknown) => void;

/** The middleware, with the core it uses (for `stats()`). */
export interface IdempotencyMiddleware<Req extends IncomingMessage, Res extends ServerResponse> {
  (req: Req, res: Res, next: Next): void;
  /** The core: `middleware.idempotency.stats()`. */
  readonly idempotency: Idempotency<Req>;
}

type WithBody = IncomingMessage & { body?: unknown; _body?: boolean; originalUrl?: string };

const TOO_LARGE = problemResponse('body-too-large', 413);

/**
 * Express middleware: a request of a covered method with an `Idempotency-Key` runs once; a retry
 * gets the recorded response with `Idempotent-Replayed: true`, a duplicate still running 409, a
 * different request with the same key 422, a bad key 400 (see {@link IdempotencyOptions}). An
 * error passed to `next` makes Express answer 500, which releases the key. Errors of `scope` and
 * `fingerprint` go to `next(error)`.
 */
export function idempotency<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(options: IdempotencyOptions<Req>): IdempotencyMiddleware<Req, Res> {
  const core = new Idempotency<Req>(options);

  const run = (decision: Decision, res: Res, next: Next): void => {
    if (decision.action === 'respond') sendRecorded(res, decision.response);
    else if (decision.action === 'proceed') next();
    else {
      captureResponse(res, core as Idempotency<never>, decision);
      next();
    }
  };

  const decide = (req: Req, res: Res, next: Next, body: Uint8Array): void => {
    const decision = core.begin(
      {
        method: req.method ?? 'POST',
        path: (req as WithBody).originalUrl ?? req.url ?? '/',
        headers: req.headers,
        body,
      },
      req,
    );
    if (decision instanceof Promise) decision.then((d) => run(d, res, next), next);
    else run(decision, res, next);
  };

  const middleware = (req: Req, res: Res, next: Next): void => {
    try {
      if (!core.appliesTo(req.method ?? 'GET', req.headers['idempotency-key'])) {
        next();
        return;
      }
      const parsed = (req as WithBody).body;
      // A parser that read the stream left its result; one whose type did not match may have
      // left `{}` without reading, and then the raw bytes are what must be compared.
      if ((req as WithBody)._body === true || req.readableEnded) {
        decide(req, res, next, parsed === undefined ? EMPTY : bytesOfParsedBody(parsed));
        return;
      }
      readBody(req, core.maxBodyBytes).then((body) => {
        if (body === undefined) return sendRecorded(res, TOO_LARGE);
        // What express.raw() leaves, and the flag that makes later body parsers skip the request.
        if (parsed === undefined) (req as WithBody).body = body;
        (req as WithBody)._body = true;
        try {
          decide(req, res, next, body);
        } catch (error) {
          next(error);
        }
      }, next);
    } catch (error) {
      next(error);
    }
  };
  return Object.assign(middleware, { idempotency: core });
}
