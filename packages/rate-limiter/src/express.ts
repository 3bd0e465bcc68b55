/**
 * @bulwark/rate-limiter/express — Express middleware.
 *
 * ```ts
 * import express from 'express';
 * import { rateLimit } from '@bulwark/rate-limiter/express';
 *
 * const app = express();
 * app.use(rateLimit({ limiter }));
 * app.post('/login', rateLimit({ limiter: loginLimiter }), login); // a stricter route
 * ```
 *
 * Typed against node's `IncomingMessage`/`ServerResponse` (an Express request and response are
 * both), so it needs no Express types; pass Express's `Request` as the type argument to type the
 * option callbacks: `rateLimit<Request>({ key: (req) => req.user.id, ... })`.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeValue } from '@bulwark/kernel';
import {
  Failure,
  GATE_OPTIONS,
  Gate,
  type GateOptions,
  isThenable,
  type Outcome,
} from './http/gate.js';
import {
  markLimited,
  nodeClientIp,
  sendLimited,
  sendUnavailable,
  writeHeaders,
} from './http/node.js';
import type { Decision } from './types.js';

export type { ErrorAction, GateOptions, LimiterSet } from './http/gate.js';
export type { Decision, RateLimiter, RateLimitPolicy } from './types.js';

/** Express's `next`. */
export type Next = (error?: unknown) => void;

const KNOWN: ReadonlySet<string> = new Set([...GATE_OPTIONS, 'onLimited']);

/** Options of {@link rateLimit}. */
export interface ExpressRateLimitOptions<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> extends GateOptions<Req> {
  /**
   * Sends the body of a 429 (and ends the response); status 429, `Retry-After` and the rate-limit
   * headers are already set. Default: `{"error":"Too Many Requests","retryAfter":<seconds>}`.
   */
  onLimited?: (req: Req, res: Res, decision: Decision) => void;
}

/**
 * Express middleware: counts each request, sets `RateLimit` / `RateLimit-Policy`, and answers a
 * refused one with 429 and `Retry-After` instead of calling `next`. Errors of the options'
 * functions go to `next(error)`; a limiter's error goes through `onError` (`'throw'`: `next`).
 * With a synchronous (memory) limiter, `next` is called in the same tick.
 */
export function rateLimit<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(options: ExpressRateLimitOptions<Req, Res>): (req: Req, res: Res, next: Next) => void {
  const gate = new Gate<Req>(options, nodeClientIp, 'rateLimit(options)', KNOWN);
  const onLimited = options.onLimited;
  if (onLimited !== undefined && typeof onLimited !== 'function') {
    throw new TypeError(`onLimited must be a function, got ${describeValue(onLimited)}`);
  }
  return function rateLimitMiddleware(req: Req, res: Res, next: Next): void {
    let outcome: Outcome | Promise<Outcome>;
    try {
      outcome = gate.check(req);
    } catch (error) {
      next(error);
      return;
    }
    if (isThenable(outcome)) {
      outcome.then((resolved) => finish(resolved, req, res, next, onLimited)).then(undefined, next);
    } else {
      finish(outcome, req, res, next, onLimited);
    }
  };
}

function finish<Req extends IncomingMessage, Res extends ServerResponse>(
  outcome: Outcome,
  req: Req,
  res: Res,
  next: Next,
  onLimited: ((req: Req, res: Res, decision: Decision) => void) | undefined,
): void {
  if (outcome === undefined) {
    next();
  } else if (outcome instanceof Failure) {
    if (outcome.action === 'allow') next();
    else if (outcome.action === 'deny') sendUnavailable(res);
    else next(outcome.error);
  } else {
    writeHeaders(res, outcome);
    if (outcome.allowed) {
      next();
      return;
    }
    markLimited(res, outcome);
    if (onLimited === undefined) sendLimited(res, outcome);
    else onLimited(req, res, outcome.decision);
  }
}
