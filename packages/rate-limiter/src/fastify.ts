/**
 * @bulwark/rate-limiter/fastify — a Fastify plugin adding an `onRequest` hook.
 *
 * ```ts
 * import Fastify from 'fastify';
 * import { rateLimitPlugin } from '@bulwark/rate-limiter/fastify';
 *
 * const app = Fastify();
 * await app.register(rateLimitPlugin, { limiter });
 * app.post('/login', { config: { rateLimit: { limiter: loginLimiter } } }, login);
 * app.get('/health', { config: { rateLimit: false } }, () => 'ok');
 * ```
 *
 * The plugin is encapsulation-aware: its hook joins the context it is registered in, not a new
 * child one. Registered on the root instance it covers every route; registered inside a plugin
 * (`app.register(async (api) => { await api.register(rateLimitPlugin, ...); ... })`) it covers that
 * plugin's routes only, and sibling contexts stay unlimited.
 */

import { describeValue } from '@bulwark/kernel';
import type {
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import { clientIp, type TrustProxy } from './http/client-ip.js';
import {
  Failure,
  GATE_OPTIONS,
  Gate,
  type GateOptions,
  isThenable,
  type Outcome,
  type Verdict,
} from './http/gate.js';
import type { Decision } from './types.js';

export type { ErrorAction, GateOptions, LimiterSet } from './http/gate.js';
export type { Decision, RateLimiter, RateLimitPolicy } from './types.js';

/** Options of {@link rateLimitPlugin}. */
export interface FastifyRateLimitOptions extends GateOptions<FastifyRequest> {
  /**
   * The payload of a 429 (status, `Retry-After` and the rate-limit headers are already set on
   * `reply`). Default: `{ statusCode: 429, error: 'Too Many Requests', message }`.
   */
  onLimited?: (request: FastifyRequest, reply: FastifyReply, decision: Decision) => unknown;
}

/**
 * A route's `config.rateLimit`: `false` exempts the route; an object overrides the plugin's
 * options for that route (a route-specific `limiter`, `cost`, `key`, ...).
 */
export type RouteRateLimitConfig = false | Partial<FastifyRateLimitOptions>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Per-route options of `@bulwark/rate-limiter/fastify`; `false` exempts the route. */
    rateLimit?: RouteRateLimitConfig;
  }
}

// Fastify hands its own register options (`prefix`, `logLevel`, ...) to the plugin as well.
const KNOWN: ReadonlySet<string> = new Set([
  ...GATE_OPTIONS,
  'onLimited',
  'prefix',
  'logLevel',
  'logSerializers',
]);

interface Compiled {
  gate: Gate<FastifyRequest>;
  onLimited: FastifyRateLimitOptions['onLimited'];
}

function fastifyClientIp(request: FastifyRequest, trustProxy: TrustProxy): string {
  return (
    clientIp(request.raw.socket.remoteAddress, request.headers['x-forwarded-for'], trustProxy) ??
    'unknown'
  );
}

function compile(options: FastifyRateLimitOptions): Compiled {
  const onLimited = options.onLimited;
  if (onLimited !== undefined && typeof onLimited !== 'function') {
    throw new TypeError(`onLimited must be a function, got ${describeValue(onLimited)}`);
  }
  return {
    gate: new Gate<FastifyRequest>(options, fastifyClientIp, 'rateLimitPlugin options', KNOWN),
    onLimited,
  };
}

/**
 * The plugin: `app.register(rateLimitPlugin, options)`. Each request is counted in `onRequest`;
 * the rate-limit headers go on every response, a refused request gets 429 with `Retry-After`
 * before its body is read. A route's `config.rateLimit` overrides the options (see
 * {@link RouteRateLimitConfig}); the override is validated on the route's first request.
 * Errors of the options' functions, and `onError: 'throw'`, go to Fastify's error handler.
 */
export const rateLimitPlugin: FastifyPluginCallback<FastifyRateLimitOptions> = (
  fastify,
  options,
  done,
) => {
  let base: Compiled;
  try {
    base = compile(options);
  } catch (error) {
    done(error as Error);
    return;
  }
  const perRoute = new WeakMap<object, Compiled>();
  fastify.addHook('onRequest', (request, reply, next) => {
    const config = request.routeOptions.config?.rateLimit;
    if (config === false) return next();
    let compiled = base;
    let outcome: Outcome | Promise<Outcome>;
    try {
      if (config !== undefined && config !== null) {
        compiled = perRoute.get(config) ?? compileRoute(options, config, perRoute);
      }
      outcome = compiled.gate.check(request);
    } catch (error) {
      return next(error as Error);
    }
    if (isThenable(outcome)) {
      const onLimited = compiled.onLimited;
      outcome
        .then((resolved) => finish(resolved, request, reply, next, onLimited))
        .then(undefined, next);
    } else {
      finish(outcome, request, reply, next, compiled.onLimited);
    }
  });
  done();
};

function compileRoute(
  options: FastifyRateLimitOptions,
  config: Partial<FastifyRateLimitOptions>,
  cache: WeakMap<object, Compiled>,
): Compiled {
  const compiled = compile({ ...options, ...config });
  cache.set(config, compiled);
  return compiled;
}

// Fastify reads these: skip-override keeps the hook in the registering context (no child
// context of its own), the rest names the plugin in errors and in `printPlugins`.
Object.assign(rateLimitPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@bulwark/rate-limiter',
  // The Fastify versions the package's peer dependency names (and the tests run).
  [Symbol.for('plugin-meta')]: { name: '@bulwark/rate-limiter', fastify: '5.x' },
});

function finish(
  outcome: Outcome,
  request: FastifyRequest,
  reply: FastifyReply,
  next: HookHandlerDoneFunction,
  onLimited: FastifyRateLimitOptions['onLimited'],
): void {
  if (outcome === undefined) {
    next();
    return;
  }
  if (outcome instanceof Failure) {
    if (outcome.action === 'allow') next();
    else if (outcome.action === 'throw') next(outcome.error as Error);
    else {
      reply.code(503).header('retry-after', '1').send({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'Rate limiter unavailable',
      });
    }
    return;
  }
  if (outcome.policy !== '') {
    reply.header('ratelimit-policy', outcome.policy);
    reply.header('ratelimit', outcome.rateLimit);
  }
  if (outcome.allowed) {
    next();
    return;
  }
  reply.code(429).header('retry-after', String(outcome.retryAfter));
  reply.send(
    onLimited === undefined ? defaultPayload(outcome) : onLimited(request, reply, outcome.decision),
  );
}

function defaultPayload(verdict: Verdict): object {
  const seconds = verdict.retryAfter;
  return {
    statusCode: 429,
    error: 'Too Many Requests',
    message: `Rate limit exceeded, retry in ${seconds} second${seconds === 1 ? '' : 's'}`,
  };
}
