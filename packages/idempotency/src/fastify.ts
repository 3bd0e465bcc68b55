/**
 * @bulwark/idempotency/fastify — a Fastify 5 plugin adding a `preHandler` hook.
 *
 * ```ts
 * import Fastify from 'fastify';
 * import { MemoryIdempotencyStore } from '@bulwark/idempotency';
 * import { idempotencyPlugin } from '@bulwark/idempotency/fastify';
 *
 * const app = Fastify();
 * await app.register(idempotencyPlugin, { store: new MemoryIdempotencyStore() });
 * app.post('/payments', async (request, reply) => reply.code(201).send(charge(request.body)));
 * ```
 *
 * The hook runs after Fastify parsed the body, so the fingerprint hashes the parsed body (a
 * Buffer or string as is, anything else as JSON). It joins the context it is registered in:
 * registered inside a plugin it covers that plugin's routes only. The core is decorated on the
 * instance as `idempotency` (for `stats()`).
 */

import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { bytesOfParsedBody, captureResponse } from './adapters/node.js';
import { type Decision, Idempotency } from './idempotency.js';
import type { IdempotencyOptions } from './options.js';

export type { IdempotencyOptions } from './options.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The core of `@bulwark/idempotency/fastify` registered in this context. */
    idempotency: Idempotency<FastifyRequest>;
  }
}

/**
 * The plugin: `app.register(idempotencyPlugin, options)`. A request of a covered method with an
 * `Idempotency-Key` runs once; a retry gets the recorded response with `Idempotent-Replayed:
 * true`, a duplicate still running 409, a different request with the same key 422, a bad key
 * 400 (see {@link IdempotencyOptions}). A handler that throws makes Fastify answer 500, which
 * releases the key. Errors of `scope` and `fingerprint` go to Fastify's error handler.
 */
export const idempotencyPlugin: FastifyPluginCallback<IdempotencyOptions<FastifyRequest>> = (
  fastify,
  options,
  done,
) => {
  let core: Idempotency<FastifyRequest>;
  try {
    core = new Idempotency<FastifyRequest>(options);
  } catch (error) {
    done(error as Error);
    return;
  }
  fastify.decorate('idempotency', core);
  fastify.addHook('preHandler', (request, reply, next) => {
    if (!core.appliesTo(request.method, request.headers['idempotency-key'])) return next();
    const run = (decision: Decision): void => {
      if (decision.action !== 'respond') {
        if (decision.action === 'execute')
          captureResponse(reply.raw, core as Idempotency<never>, decision);
        next();
        return;
      }
      const { status, headers, body } = decision.response;
      reply.code(status);
      for (const [name, value] of groupHeaders(headers)) reply.header(name, value);
      reply.send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    };
    let decision: Decision | Promise<Decision>;
    try {
      decision = core.begin(
        {
          method: request.method,
          path: request.url,
          headers: request.headers,
          body: bytesOfParsedBody(request.body),
        },
        request,
      );
    } catch (error) {
      return next(error as Error);
    }
    if (decision instanceof Promise) decision.then(run, next);
    else run(decision);
  });
  done();
};

// Fastify reads these: skip-override keeps the hook in the registering context (no child
// context of its own), the rest names the plugin in errors and in `printPlugins`.
Object.assign(idempotencyPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@bulwark/idempotency',
  [Symbol.for('plugin-meta')]: { name: '@bulwark/idempotency', fastify: '5.x' },
});

function groupHeaders(
  pairs: ReadonlyArray<readonly [string, string]>,
): Map<string, string | string[]> {
  const grouped = new Map<string, string | string[]>();
  for (const [name, value] of pairs) {
    const previous = grouped.get(name);
    if (previous === undefined) grouped.set(name, value);
    else grouped.set(name, [...(Array.isArray(previous) ? previous : [previous]), value]);
  }
  return grouped;
}
