/**
 * @bulwark/idempotency/undici — a client interceptor that gives each POST and PATCH an
 * `Idempotency-Key` (a fresh UUID, unless the request has one), so that a retry of the request
 * is recognised by the server as the same request.
 *
 * ```ts
 * import { Agent, request } from 'undici';
 * import { resilienceInterceptor } from '@bulwark/retry/undici';
 * import { idempotencyKeyInterceptor } from '@bulwark/idempotency/undici';
 *
 * // compose applies the last interceptor first: the key is added once, outside the retries.
 * const dispatcher = new Agent().compose(resilienceInterceptor(), idempotencyKeyInterceptor());
 * await request('https://api.example.com/payments', { method: 'POST', body, dispatcher });
 * ```
 *
 * Composed outside a retrying interceptor (later in `compose`), every attempt of a request
 * carries the one key it was given; `@bulwark/retry/undici` retries a POST or PATCH only when it
 * carries a key, so the two together make retried POSTs safe. Neither package imports the other.
 * undici is used for its types only.
 */

import { randomUUID } from 'node:crypto';
import {
  checkBoolean,
  checkFunction,
  checkKnownKeys,
  checkObject,
  typeError,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import type { Dispatcher } from 'undici';

/** Options of {@link idempotencyKeyInterceptor}. */
export interface IdempotencyKeyInterceptorOptions {
  /** Methods that get a key. Default `['POST', 'PATCH']`. */
  methods?: readonly string[];
  /** Makes a new key. Default `crypto.randomUUID()`. */
  generateKey?: () => string;
  /**
   * Send the key as a Structured Field String (`"…"`), as the IETF draft defines the header;
   * false sends it bare, as most existing APIs expect. Default true.
   */
  structured?: boolean;
}

const KNOWN = new Set(['methods', 'generateKey', 'structured']);
const HEADER = 'idempotency-key';

/**
 * The interceptor, for `dispatcher.compose(...)`. A request of one of `methods` without an
 * `Idempotency-Key` header is sent with one; a request that has one is sent as it is. The same
 * options object dispatched again (an interceptor inside this one retrying it) keeps its key.
 */
export function idempotencyKeyInterceptor(
  options: IdempotencyKeyInterceptorOptions = {},
): Dispatcher.DispatcherComposeInterceptor {
  checkObject('options', options);
  checkKnownKeys(options, KNOWN, 'idempotencyKeyInterceptor(options)', VOCABULARY_RENAMES);
  const methods = new Set(
    (options.methods === undefined ? ['POST', 'PATCH'] : checkMethods(options.methods)).map((m) =>
      m.toUpperCase(),
    ),
  );
  const generateKey =
    options.generateKey === undefined
      ? randomUUID
      : checkFunction<() => string>('generateKey', options.generateKey);
  const structured =
    options.structured === undefined ? true : checkBoolean('structured', options.structured);
  // The key each request options object was given, so a retry that dispatches the same object
  // again sends the same key.
  const given = new WeakMap<object, Dispatcher.DispatchOptions>();

  return (dispatch) =>
    function idempotencyKeyDispatch(opts, handler) {
      if (!methods.has(String(opts.method).toUpperCase()) || hasHeader(opts.headers, HEADER))
        return dispatch(opts, handler);
      let keyed = given.get(opts);
      if (keyed === undefined) {
        const key = generateKey();
        const value = structured ? `"${key.replace(/[\\"]/g, (c) => `\\${c}`)}"` : key;
        keyed = { ...opts, headers: withHeader(opts.headers, HEADER, value) };
        given.set(opts, keyed);
      }
      return dispatch(keyed, handler);
    };
}

function checkMethods(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((m) => typeof m !== 'string' || m.length === 0))
    typeError('methods', 'an array of method names', value);
  return value as string[];
}

type Headers = Dispatcher.DispatchOptions['headers'];

/** True when `headers` (an object, a flat array, or an iterable of pairs) has `name`. */
function hasHeader(headers: Headers, name: string): boolean {
  if (headers === null || headers === undefined) return false;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2)
      if (String(headers[i]).toLowerCase() === name) return true;
    return false;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [key] of headers as Iterable<[string, unknown]>)
      if (key.toLowerCase() === name) return true;
    return false;
  }
  for (const key of Object.keys(headers))
    if (key.toLowerCase() === name && (headers as Record<string, unknown>)[key] !== undefined)
      return true;
  return false;
}

/** `headers` with `name: value` added, in the same form. */
function withHeader(headers: Headers, name: string, value: string): Headers {
  if (headers === null || headers === undefined) return { [name]: value };
  if (Array.isArray(headers)) return [...headers, name, value];
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    // undici reads a plain array as flat name, value pairs: flatten the iterable into one.
    const flat: string[] = [];
    for (const [key, v] of headers as Iterable<[string, string | string[] | undefined]>) {
      if (Array.isArray(v)) for (const item of v) flat.push(key, item);
      else if (v !== undefined) flat.push(key, v);
    }
    flat.push(name, value);
    return flat;
  }
  return { ...(headers as Record<string, string>), [name]: value };
}
