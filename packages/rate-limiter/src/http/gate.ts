/**
 * The framework-free part of every HTTP adapter: resolve the limiter(s), the key and the cost of a
 * request, consume, and turn the decision into what the response must carry. The adapters only
 * read the request and write the response in their framework's terms.
 *
 * A memory limiter answers synchronously, and so does the gate then: `check` returns the outcome
 * itself, not a promise, so the in-memory path never waits for a microtask. Only a limiter (or a
 * key function) that returns a promise makes `check` return one.
 */

import { checkKnownKeys, describeValue, VOCABULARY_RENAMES } from '@bulwark/kernel';
import type { Decision, RateLimiter } from '../types.js';
import { checkTrustProxy, type TrustProxy } from './client-ip.js';
import {
  hashedPartitionKey,
  limiterHeaders,
  listPolicy,
  type PartitionKey,
  partitionKeyParam,
  rateLimitItem,
  retryAfterSeconds,
} from './headers.js';

/**
 * What to do when a limiter throws or rejects (Redis down without `onStoreError`, a bug):
 * `'allow'` lets the request through without rate-limit headers (fail-open, the default);
 * `'deny'` answers 503 with `Retry-After: 1`; `'throw'` hands the error to the framework
 * (node `http`: a 500; Express: `next(error)`; Fastify: its error handler; Hono: `app.onError`).
 */
export type ErrorAction = 'allow' | 'deny' | 'throw';

/** One limiter, or a list of them that must all admit the request. */
export type LimiterSet = RateLimiter | readonly RateLimiter[];

/** The options every adapter takes; `Req` is the adapter's request (or context) type. */
export interface GateOptions<Req> {
  /**
   * The limiter; a list of limiters that must all admit the request (consumed in order, stopping
   * at the first that refuses); or a function choosing either per request (per-route limits).
   * Header values are cached per limiter and per list object, so a function should return the
   * same objects each time rather than build a new list per request.
   */
  limiter: LimiterSet | ((req: Req) => LimiterSet);
  /**
   * The rate-limit key of a request. Default: the client IP, from the socket's peer address (see
   * `trustProxy`). May return a promise (say, an API-key lookup).
   */
  key?: (req: Req) => string | Promise<string>;
  /**
   * Whether, and how far, to trust `X-Forwarded-For` for the default key: `false` (default) uses
   * the socket's peer address; `n` trusts `n` proxies of yours; `true` trusts the leftmost entry.
   * Ignored when `key` is given.
   */
  trustProxy?: boolean | number;
  /** Units a request takes: an integer >= 1, or a function of the request. Default 1. */
  cost?: number | ((req: Req) => number);
  /** Requests for which this returns true are neither counted nor given headers. */
  skip?: (req: Req) => boolean;
  /** Whether to send `RateLimit` and `RateLimit-Policy` on every response. Default true. */
  headers?: boolean;
  /** What to do when a limiter throws or rejects. Default `'allow'` (fail-open). */
  onError?: ErrorAction | ((error: unknown, req: Req) => ErrorAction);
  /**
   * Whether every `RateLimit` and `RateLimit-Policy` member carries the draft's `pk` parameter
   * (a Byte Sequence naming the quota partition): `true` sends the first 12 bytes of the key's
   * SHA-256, never the key itself; a function `(key) => Uint8Array` chooses the bytes. Default
   * `false`.
   */
  partitionKey?: boolean | PartitionKey;
}

/** The names of {@link GateOptions}; each adapter adds its own (`onLimited`). */
export const GATE_OPTIONS: readonly string[] = [
  'limiter',
  'key',
  'trustProxy',
  'cost',
  'skip',
  'headers',
  'onError',
  'partitionKey',
];

const GATE_KNOWN: ReadonlySet<string> = new Set(GATE_OPTIONS);

/** The result of consuming for one request; the adapter writes it to the response. */
export class Verdict {
  constructor(
    /** Whether every limiter admitted the request. */
    readonly allowed: boolean,
    /** The most restrictive decision (the refusing one, else the one with least remaining). */
    readonly decision: Decision,
    /** `RateLimit-Policy` value, or `''` when headers are off. */
    readonly policy: string,
    /** `RateLimit` value (one member per limiter consulted), or `''` when headers are off. */
    readonly rateLimit: string,
  ) {}

  /** `Retry-After` seconds for a refused request (ceil, at least 1, never before its `t`). */
  get retryAfter(): number {
    return retryAfterSeconds(this.decision);
  }
}

/** A limiter threw or rejected; `action` says what the adapter does about it. */
export class Failure {
  constructor(
    readonly error: unknown,
    readonly action: ErrorAction,
  ) {}
}

/** `undefined`: skipped, pass the request on untouched. */
export type Outcome = Verdict | Failure | undefined;

/** Whether a value is a promise (or any thenable). */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function isLimiter(value: unknown): value is RateLimiter {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as RateLimiter).consume === 'function' &&
    typeof (value as RateLimiter).policy === 'object'
  );
}

function checkLimiterSet(value: unknown, what: string): LimiterSet {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new RangeError(`${what} must not be an empty list`);
    for (const item of value) {
      if (!isLimiter(item)) {
        throw new TypeError(`${what} must hold RateLimiter objects, got ${describeValue(item)}`);
      }
      limiterHeaders(item); // fails now on a policy name that cannot go into a header
    }
    return value;
  }
  if (!isLimiter(value)) {
    throw new TypeError(
      `${what} must be a RateLimiter, a list of them or a function, got ${describeValue(value)}`,
    );
  }
  limiterHeaders(value);
  return value;
}

function checkCost(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    if (typeof value !== 'number')
      throw new TypeError(`cost must be a number, got ${describeValue(value)}`);
    throw new RangeError(`cost must be an integer >= 1, got ${describeValue(value)}`);
  }
  return value;
}

function checkCostFits(cost: number, limiters: LimiterSet): void {
  for (const limiter of Array.isArray(limiters) ? limiters : [limiters as RateLimiter]) {
    // `limit` (the largest cost) is not in the RateLimiter contract; the bundled limiters have it.
    const limit = (limiter as { limit?: unknown }).limit;
    if (typeof limit === 'number' && cost > limit) {
      throw new RangeError(
        `cost must be <= ${limit} (the limit of limiter ${JSON.stringify(limiter.policy.name)}), got ${cost}`,
      );
    }
  }
}

function checkFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${name} must be a function, got ${describeValue(value)}`);
  }
}

const ERROR_ACTIONS: readonly unknown[] = ['allow', 'deny', 'throw'];

function checkErrorAction(value: unknown, name: string): ErrorAction {
  if (!ERROR_ACTIONS.includes(value)) {
    throw new TypeError(
      `${name} must be 'allow', 'deny', 'throw' or a function, got ${describeValue(value)}`,
    );
  }
  return value as ErrorAction;
}

/**
 * One configured adapter: validated options and the consume path. `defaultKey` is the adapter's
 * way to read the client IP from its request type.
 */
export class Gate<Req> {
  readonly #limiter: LimiterSet | ((req: Req) => LimiterSet);
  readonly #limiterIsFunction: boolean;
  readonly #key: (req: Req) => string | Promise<string>;
  readonly #cost: number;
  readonly #costFn: ((req: Req) => number) | undefined;
  readonly #skip: ((req: Req) => boolean) | undefined;
  readonly #headers: boolean;
  readonly #onError: ErrorAction | ((error: unknown, req: Req) => ErrorAction);
  readonly #partitionKey: PartitionKey | undefined;
  /** The validated `trustProxy` option, for the adapter's default key. */
  readonly trustProxy: TrustProxy;

  /**
   * @param where The adapter's call, for the unknown-option error (`rateLimit(options)`).
   * @param known Every option name the adapter accepts: {@link GATE_OPTIONS} and its own.
   */
  constructor(
    options: GateOptions<Req>,
    defaultKey: (req: Req, trustProxy: TrustProxy) => string,
    where = 'rate limit options',
    known: ReadonlySet<string> = GATE_KNOWN,
  ) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`options must be an object, got ${describeValue(options)}`);
    }
    checkKnownKeys(options, known, where, VOCABULARY_RENAMES);
    const { limiter, key, trustProxy, cost, skip, headers, onError, partitionKey } = options;
    if (typeof limiter === 'function') {
      this.#limiter = limiter;
      this.#limiterIsFunction = true;
    } else {
      this.#limiter = checkLimiterSet(limiter, 'limiter');
      this.#limiterIsFunction = false;
    }
    checkFunction(key, 'key');
    checkFunction(skip, 'skip');
    this.trustProxy = checkTrustProxy(trustProxy);
    if (key !== undefined) {
      this.#key = key;
    } else {
      const trust = this.trustProxy;
      this.#key = (req) => defaultKey(req, trust);
    }
    if (typeof cost === 'function') {
      this.#cost = 1;
      this.#costFn = cost;
    } else {
      this.#cost = cost === undefined ? 1 : checkCost(cost);
      this.#costFn = undefined;
      // A cost no limiter could ever admit would throw on every request, and `onError: 'allow'`
      // would then let every request through: refuse it now when the limiters are known.
      if (!this.#limiterIsFunction) checkCostFits(this.#cost, this.#limiter as LimiterSet);
    }
    this.#skip = skip;
    if (headers !== undefined && typeof headers !== 'boolean') {
      throw new TypeError(`headers must be a boolean, got ${describeValue(headers)}`);
    }
    this.#headers = headers !== false;
    if (
      partitionKey !== undefined &&
      typeof partitionKey !== 'boolean' &&
      typeof partitionKey !== 'function'
    ) {
      throw new TypeError(
        `partitionKey must be a boolean or a function, got ${describeValue(partitionKey)}`,
      );
    }
    this.#partitionKey =
      partitionKey === true
        ? hashedPartitionKey
        : typeof partitionKey === 'function'
          ? partitionKey
          : undefined;
    this.#onError =
      onError === undefined
        ? 'allow'
        : typeof onError === 'function'
          ? onError
          : checkErrorAction(onError, 'onError');
  }

  /** Whether `RateLimit` / `RateLimit-Policy` are written. */
  get headers(): boolean {
    return this.#headers;
  }

  /**
   * Consumes for `req`. Synchronous unless the key function or a limiter returns a promise.
   * Errors thrown by the options' own functions (`skip`, `key`, `cost`, `limiter`) propagate;
   * only a limiter's errors go through `onError`.
   */
  check(req: Req): Outcome | Promise<Outcome> {
    if (this.#skip?.(req)) return undefined;
    const limiters = this.#limiterIsFunction
      ? checkLimiterSet((this.#limiter as (req: Req) => LimiterSet)(req), 'limiter(req)')
      : (this.#limiter as LimiterSet);
    const cost = this.#costFn === undefined ? this.#cost : checkCost(this.#costFn(req));
    const key = this.#key(req);
    // An empty key is the key function's error, not the limiter's: were it left to the limiter
    // (which rejects it), `onError: 'allow'` would let every such request through unlimited.
    if (typeof key === 'string' && key !== '') return this.#consume(req, limiters, key, cost);
    if (isThenable(key)) {
      return Promise.resolve(key).then((resolved) => {
        if (typeof resolved !== 'string' || resolved === '') {
          throw new TypeError(
            `key(req) must resolve to a non-empty string, got ${describeValue(resolved)}`,
          );
        }
        return this.#consume(req, limiters, resolved, cost);
      });
    }
    throw new TypeError(`key(req) must return a non-empty string, got ${describeValue(key)}`);
  }

  #consume(req: Req, limiters: LimiterSet, key: string, cost: number): Outcome | Promise<Outcome> {
    if (Array.isArray(limiters))
      return this.#consumeList(req, limiters, key, cost, 0, undefined, '', this.#pkFor(key));
    const limiter = limiters as RateLimiter;
    let decision: Decision | Promise<Decision>;
    try {
      decision = limiter.consume(key, cost);
    } catch (error) {
      return this.#fail(error, req);
    }
    if (isThenable(decision)) {
      return Promise.resolve(decision).then(
        (resolved) => this.#single(limiter, key, resolved),
        (error: unknown) => this.#fail(error, req),
      );
    }
    return this.#single(limiter, key, decision);
  }

  #single(limiter: RateLimiter, key: string, decision: Decision): Verdict {
    if (!this.#headers) return new Verdict(decision.allowed, decision, '', '');
    const pieces = limiterHeaders(limiter);
    if (this.#partitionKey === undefined) {
      return new Verdict(
        decision.allowed,
        decision,
        pieces.policy,
        rateLimitItem(pieces.quotedName, decision),
      );
    }
    const pk = this.#pkFor(key);
    return new Verdict(
      decision.allowed,
      decision,
      pieces.policy + pk,
      rateLimitItem(pieces.quotedName, decision) + pk,
    );
  }

  // `;pk=:<base64>:` for the key, or '' when partition keys (or headers) are off.
  #pkFor(key: string): string {
    if (this.#partitionKey === undefined || !this.#headers) return '';
    const bytes = this.#partitionKey(key);
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(
        `partitionKey(key) must return a Uint8Array, got ${describeValue(bytes)}`,
      );
    }
    return partitionKeyParam(bytes);
  }

  /**
   * Consumes from `limiters[index..]` in order, stopping at the first refusal. `best` is the most
   * restrictive decision so far: least remaining, ties broken by the longer wait for more quota.
   * `items` holds the `RateLimit` members so far: one per limiter consulted (the draft's one
   * service limit per policy); limiters after a refusal are not consulted and get none.
   */
  #consumeList(
    req: Req,
    limiters: readonly RateLimiter[],
    key: string,
    cost: number,
    index: number,
    best: { limiter: RateLimiter; decision: Decision } | undefined,
    items: string,
    pk: string,
  ): Outcome | Promise<Outcome> {
    for (let i = index; i < limiters.length; i++) {
      const limiter = limiters[i]!;
      let decision: Decision | Promise<Decision>;
      try {
        decision = limiter.consume(key, cost);
      } catch (error) {
        return this.#fail(error, req);
      }
      if (isThenable(decision)) {
        const soFar = best;
        const itemsSoFar = items;
        return Promise.resolve(decision).then(
          (resolved) => {
            const next = pick(soFar, limiter, resolved);
            const withItem = this.#addItem(itemsSoFar, limiter, resolved, pk);
            return resolved.allowed
              ? this.#consumeList(req, limiters, key, cost, i + 1, next, withItem, pk)
              : this.#list(limiters, next, withItem, pk);
          },
          (error: unknown) => this.#fail(error, req),
        );
      }
      best = pick(best, limiter, decision);
      items = this.#addItem(items, limiter, decision, pk);
      if (!decision.allowed) break;
    }
    return this.#list(limiters, best!, items, pk);
  }

  #addItem(items: string, limiter: RateLimiter, decision: Decision, pk: string): string {
    if (!this.#headers) return '';
    const item = rateLimitItem(limiterHeaders(limiter).quotedName, decision) + pk;
    return items === '' ? item : `${items}, ${item}`;
  }

  #list(
    limiters: readonly RateLimiter[],
    best: { limiter: RateLimiter; decision: Decision },
    items: string,
    pk: string,
  ): Verdict {
    const { decision } = best;
    if (!this.#headers) return new Verdict(decision.allowed, decision, '', '');
    // The same partition key on every member: the request's one key, under each policy.
    const policy =
      pk === ''
        ? listPolicy(limiters)
        : limiters.map((limiter) => limiterHeaders(limiter).policy + pk).join(', ');
    return new Verdict(decision.allowed, decision, policy, items);
  }

  #fail(error: unknown, req: Req): Failure {
    const action =
      typeof this.#onError === 'function'
        ? checkErrorAction(this.#onError(error, req), 'onError(error, req)')
        : this.#onError;
    return new Failure(error, action);
  }
}

function pick(
  best: { limiter: RateLimiter; decision: Decision } | undefined,
  limiter: RateLimiter,
  decision: Decision,
): { limiter: RateLimiter; decision: Decision } {
  if (
    best === undefined ||
    !decision.allowed ||
    decision.remaining < best.decision.remaining ||
    (decision.remaining === best.decision.remaining && decision.resetMs > best.decision.resetMs)
  ) {
    return { limiter, decision };
  }
  return best;
}

/** The default 429 body, as JSON text. */
export function limitedBody(verdict: Verdict): string {
  return `{"error":"Too Many Requests","retryAfter":${verdict.retryAfter}}`;
}

/** The default 503 body for `onError: 'deny'`, as JSON text. */
export const UNAVAILABLE_BODY = '{"error":"Service Unavailable"}';
