/**
 * @bulwark/rate-limiter/hono — Hono middleware, on the Fetch API `Request`/`Response`.
 *
 * ```ts
 * import { Hono } from 'hono';
 * import { rateLimit } from '@bulwark/rate-limiter/hono';
 *
 * const app = new Hono();
 * app.use(rateLimit({ limiter }));
 * app.post('/login', rateLimit({ limiter: loginLimiter }), login); // a stricter route
 * ```
 *
 * The Fetch API has no socket, so the default key (the client IP) is read from the node request
 * that `@hono/node-server` puts in `c.env` (`incoming`). On other runtimes pass `key` (say, from
 * the runtime's `getConnInfo`), or `trustProxy` to read `X-Forwarded-For` behind your proxy;
 * without either, a request fails with a `TypeError` saying so.
 */

import { describeValue } from '@bulwark/kernel';
import type { Context, Env, MiddlewareHandler } from 'hono';
import { clientIp, type TrustProxy } from './http/client-ip.js';
import {
  Failure,
  GATE_OPTIONS,
  Gate,
  type GateOptions,
  isThenable,
  type Outcome,
} from './http/gate.js';
import type { Decision } from './types.js';

export type { ErrorAction, GateOptions, LimiterSet } from './http/gate.js';
export type { Decision, RateLimiter, RateLimitPolicy } from './types.js';

const KNOWN: ReadonlySet<string> = new Set([...GATE_OPTIONS, 'onLimited']);

/** Options of {@link rateLimit}; the callbacks receive Hono's `Context`. */
export interface HonoRateLimitOptions<E extends Env = Env> extends GateOptions<Context<E>> {
  /**
   * The 429 response. Its status is yours to set; `Retry-After` and the rate-limit headers are
   * added to it. Default: JSON `{"error":"Too Many Requests","retryAfter":<seconds>}`.
   */
  onLimited?: (c: Context<E>, decision: Decision) => Response | Promise<Response>;
}

interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string } };
  server?: NodeBindings;
}

function honoClientIp(c: Context, trustProxy: TrustProxy): string {
  const env = c.env as NodeBindings | undefined;
  const bindings = env?.server ?? env;
  const socketAddress = bindings?.incoming?.socket?.remoteAddress;
  const ip = clientIp(socketAddress, c.req.raw.headers.get('x-forwarded-for'), trustProxy);
  if (ip !== undefined) return ip;
  if (bindings?.incoming !== undefined) return 'unknown'; // node request whose socket closed
  throw new TypeError(
    'key: the client IP is unknown on this runtime (no @hono/node-server request in c.env); pass key or trustProxy',
  );
}

/**
 * Hono middleware: counts each request; an admitted one continues with `RateLimit` /
 * `RateLimit-Policy` added to its response, a refused one gets a 429 with `Retry-After`.
 * Errors of the options' functions, and `onError: 'throw'`, are thrown to `app.onError`.
 */
export function rateLimit<E extends Env = Env>(
  options: HonoRateLimitOptions<E>,
): MiddlewareHandler<E> {
  const gate = new Gate<Context<E>>(
    options,
    honoClientIp as (c: Context<E>, t: TrustProxy) => string,
    'rateLimit(options)',
    KNOWN,
  );
  const onLimited = options.onLimited;
  if (onLimited !== undefined && typeof onLimited !== 'function') {
    throw new TypeError(`onLimited must be a function, got ${describeValue(onLimited)}`);
  }
  return async function rateLimitMiddleware(c, next) {
    const pending = gate.check(c);
    const outcome: Outcome = isThenable(pending) ? await pending : pending;
    if (outcome === undefined) return next();
    if (outcome instanceof Failure) {
      if (outcome.action === 'allow') return next();
      if (outcome.action === 'throw') throw outcome.error;
      return c.json({ error: 'Service Unavailable' }, 503, { 'Retry-After': '1' });
    }
    if (outcome.allowed) {
      await next();
      // An inner (route-level) adapter has answered for the request already: its headers stay,
      // as with the other adapters, where the last one to run sets them.
      if (outcome.policy !== '' && !c.res.headers.has('RateLimit')) {
        const response = c.res;
        const updated = withHeaders(response, outcome.policy, outcome.rateLimit, undefined);
        if (updated !== response) c.res = updated;
      }
      return;
    }
    const response =
      onLimited === undefined
        ? c.json({ error: 'Too Many Requests', retryAfter: outcome.retryAfter }, 429)
        : await onLimited(c, outcome.decision);
    return withHeaders(response, outcome.policy, outcome.rateLimit, String(outcome.retryAfter));
  };
}

/**
 * `response` with the rate-limit headers (and `Retry-After` when given) set. Headers of some
 * responses are immutable (`Response.redirect`, a `fetch` response passed through): those are
 * copied into a new `Response` first.
 */
function withHeaders(
  response: Response,
  policy: string,
  rateLimit: string,
  retryAfter: string | undefined,
): Response {
  try {
    setAll(response.headers, policy, rateLimit, retryAfter);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    setAll(copy.headers, policy, rateLimit, retryAfter);
    return copy;
  }
}

function setAll(
  headers: Headers,
  policy: string,
  rateLimit: string,
  retryAfter: string | undefined,
): void {
  if (retryAfter !== undefined) headers.set('Retry-After', retryAfter);
  if (policy !== '') {
    headers.set('RateLimit-Policy', policy);
    headers.set('RateLimit', rateLimit);
  }
}
