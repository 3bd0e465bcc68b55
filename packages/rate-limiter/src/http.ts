/**
 * @bulwark/rate-limiter/http — rate limiting for a plain node `http` request handler.
 *
 * ```ts
 * import { createServer } from 'node:http';
 * import { withRateLimit } from '@bulwark/rate-limiter/http';
 *
 * createServer(withRateLimit((req, res) => res.end('ok'), { limiter })).listen(3000);
 * ```
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

const KNOWN: ReadonlySet<string> = new Set([...GATE_OPTIONS, 'onLimited']);

/** Options of {@link withRateLimit}. */
export interface HttpRateLimitOptions<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> extends GateOptions<Req> {
  /**
   * Writes the body of a 429 and ends the response; status 429, `Retry-After` and the rate-limit
   * headers are already set. Default: `{"error":"Too Many Requests","retryAfter":<seconds>}`.
   */
  onLimited?: (req: Req, res: Res, decision: Decision) => void;
}

/**
 * Wraps a node `http` request handler: each request is counted first; an admitted one reaches
 * `handler` with `RateLimit` / `RateLimit-Policy` set on its response, a refused one gets a 429
 * with `Retry-After`. With a synchronous (memory) limiter the handler runs in the same tick.
 *
 * Errors thrown by the options' functions (`key`, `cost`, `skip`, `limiter`) propagate like the
 * handler's own: thrown, or as the returned promise's rejection. A limiter's error goes through
 * `onError`; its `'throw'` answers 500 here, as node `http` has no error handler.
 */
export function withRateLimit<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(
  handler: (req: Req, res: Res) => unknown,
  options: HttpRateLimitOptions<Req, Res>,
): (req: Req, res: Res) => unknown {
  if (typeof handler !== 'function') {
    throw new TypeError(`handler must be a function, got ${describeValue(handler)}`);
  }
  const gate = new Gate<Req>(options, nodeClientIp, 'withRateLimit(handler, options)', KNOWN);
  const onLimited = options.onLimited;
  if (onLimited !== undefined && typeof onLimited !== 'function') {
    throw new TypeError(`onLimited must be a function, got ${describeValue(onLimited)}`);
  }
  return function rateLimited(req: Req, res: Res): unknown {
    const outcome = gate.check(req);
    if (isThenable(outcome)) {
      return outcome.then((resolved) => finish(resolved, req, res, handler, onLimited));
    }
    return finish(outcome, req, res, handler, onLimited);
  };
}

function finish<Req extends IncomingMessage, Res extends ServerResponse>(
  outcome: Outcome,
  req: Req,
  res: Res,
  handler: (req: Req, res: Res) => unknown,
  onLimited: ((req: Req, res: Res, decision: Decision) => void) | undefined,
): unknown {
  if (outcome === undefined) return handler(req, res);
  if (outcome instanceof Failure) {
    if (outcome.action === 'allow') return handler(req, res);
    if (outcome.action === 'deny') return sendUnavailable(res);
    res.statusCode = 500;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end('{"error":"Internal Server Error"}');
    return undefined;
  }
  writeHeaders(res, outcome);
  if (outcome.allowed) return handler(req, res);
  markLimited(res, outcome);
  if (onLimited === undefined) sendLimited(res, outcome);
  else onLimited(req, res, outcome.decision);
  return undefined;
}
