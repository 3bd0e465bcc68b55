// @bulwark/retry/undici: an undici interceptor that puts a breaker per origin, a timeout and
// retries around requests, for `dispatcher.compose(resilienceInterceptor({ ... }))`.
//
// Each request runs as retry( breaker(origin)( timeout( one attempt ) ) ). One attempt is one
// dispatch down the chain. Its response is either
//   - committed: a status that is not a failure (or any status when the request cannot be retried)
//     goes straight to the caller's handler, headers, body and end, and is never retried; or
//   - held back: a failure status (5xx, 429 with Retry-After) on a retryable request is buffered
//     (up to maxBufferedBytes) and the attempt fails with an HttpStatusError. If the retries run
//     out, the last such response is replayed to the caller as if it had just arrived.
// Errors before anything was committed (connection refused or reset, a timeout, an open circuit)
// are retried the same way; the last one reaches the caller's onResponseError.
//
// undici is used for its types only: nothing of it is imported at run time.

import type { IncomingHttpHeaders } from 'node:http';
import {
  BulwarkError,
  callListener,
  checkKnownKeys,
  checkObject,
  typeError,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import type { Dispatcher } from 'undici';
import { RetryBudgetExhaustedError } from './errors.js';
import {
  type Clock,
  checkClock,
  checkCount,
  checkDuration,
  checkOptionalFunction,
} from './options.js';
import type { Policy, PolicyContext } from './policy.js';
import { POLICY_OPTION_KEYS, RetryPolicy, type RetryPolicyOptions } from './retry.js';
import { TimeoutPolicy } from './timeout.js';
import { wrap } from './wrap.js';

/** Options of {@link resilienceInterceptor}. */
export interface ResilienceInterceptorOptions {
  /**
   * The breaker of an origin (`'https://api.example.com'`), e.g. `breakerPerKey(...)` from
   * `@bulwark/circuit-breaker`. Every request to the origin goes through it, retryable or not;
   * a failure status, a network error or a timeout counts as a failure.
   */
  breaker?: (origin: string) => Policy;
  /**
   * Time limit of each attempt, from dispatch to the end of the response body; on expiry the
   * attempt is aborted with a `TimeoutError`. Applies to every request. Default: none.
   */
  timeoutMs?: number;
  /**
   * Retry options (attempts default 3, backoff, budget, maxRetryAfterMs, onRetry, onGiveUp, clock,
   * random). `retryOnResult` is refused (which responses are retried is `isFailureStatus`'s
   * call), and so is `hedgeAfterMs` (a request streams into one handler, one attempt at a
   * time). `retryOn` narrows what is retried further; a committed response is never retried.
   * `false` turns retries off (breaker and timeout still apply).
   */
  retry?: Omit<RetryPolicyOptions, 'retryOnResult' | 'hedgeAfterMs'> | false;
  /** Methods retried as they are. Default `GET HEAD OPTIONS TRACE PUT DELETE`. */
  idempotentMethods?: readonly string[];
  /** Methods retried only when the request carries an `Idempotency-Key` header. Default `POST PATCH`. */
  idempotencyKeyMethods?: readonly string[];
  /**
   * Whether a response status counts as a failure (retried, and a breaker failure). Default: any
   * 5xx, and 429 when the response has a `Retry-After` header.
   */
  isFailureStatus?: (statusCode: number, headers: IncomingHttpHeaders) => boolean;
  /**
   * Time source and timers for the timeouts and the waits between attempts (`retry.clock`, when
   * given, wins). Default the kernel's `systemClock` and the global timers.
   */
  clock?: Clock;
  /** Largest failure-response body held back for replay; a larger one is not replayable. Default 64 KiB. */
  maxBufferedBytes?: number;
}

/**
 * An attempt got a failure status. It carries the response (`headers` include `retry-after`, which
 * `retry` honours); the interceptor replays it to the caller when it is the last one. Its `code`
 * is `BULWARK_RETRY_HTTP_STATUS`.
 */
export class HttpStatusError extends BulwarkError {
  /** The response status. */
  readonly statusCode: number;
  /** The response headers (lower-case names), `retry-after` included when sent. */
  readonly headers: IncomingHttpHeaders;
  /** The reason phrase, when the server sent one. */
  readonly statusMessage: string | undefined;
  /** The buffered body, or undefined when it was larger than `maxBufferedBytes`. */
  readonly body: Buffer[] | undefined;
  /** The response trailers. */
  readonly trailers: IncomingHttpHeaders;

  /** Made by the interceptor from a failure response; each argument is the field of that name. */
  constructor(
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage: string | undefined,
    body: Buffer[] | undefined,
    trailers: IncomingHttpHeaders,
  ) {
    super(
      'BULWARK_RETRY_HTTP_STATUS',
      `response status ${statusCode}${statusMessage ? ` ${statusMessage}` : ''}`,
    );
    this.statusCode = statusCode;
    this.headers = headers;
    this.statusMessage = statusMessage;
    this.body = body;
    this.trailers = trailers;
  }
}

// The interceptor judges responses itself (`isFailureStatus`): an attempt resolves with no value,
// so `retryOnResult` would never see a response. And one request streams into one handler, so
// attempts cannot run side by side (`hedgeAfterMs`). Both are refused rather than ignored.
const INTERCEPTOR_RETRY_KEYS: ReadonlySet<string> = new Set(
  [...POLICY_OPTION_KEYS].filter((key) => key !== 'retryOnResult' && key !== 'hedgeAfterMs'),
);

const INTERCEPTOR_KEYS: ReadonlySet<string> = new Set([
  'breaker',
  'timeoutMs',
  'retry',
  'idempotentMethods',
  'idempotencyKeyMethods',
  'isFailureStatus',
  'clock',
  'maxBufferedBytes',
]);

const DEFAULT_IDEMPOTENT = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'];
const DEFAULT_KEYED = ['POST', 'PATCH'];

function defaultIsFailureStatus(statusCode: number, headers: IncomingHttpHeaders): boolean {
  return statusCode >= 500 || (statusCode === 429 && headers['retry-after'] !== undefined);
}

function hasHeader(headers: unknown, name: string): boolean {
  if (headers === null || headers === undefined || typeof headers !== 'object') return false;
  if (Array.isArray(headers)) {
    // Either [name, value, name, value, ...] or [[name, value], ...].
    if (headers.length > 0 && Array.isArray(headers[0]))
      return headers.some((pair) => String(pair[0]).toLowerCase() === name);
    for (let i = 0; i < headers.length; i += 2)
      if (String(headers[i]).toLowerCase() === name) return true;
    return false;
  }
  if (typeof (headers as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
    for (const pair of headers as Iterable<[string, unknown]>)
      if (String(pair[0]).toLowerCase() === name) return true;
    return false;
  }
  for (const key of Object.keys(headers))
    if (key.toLowerCase() === name && (headers as Record<string, unknown>)[key] !== undefined)
      return true;
  return false;
}

/** A body that can be sent again: none, a string or bytes. Streams, iterables and forms cannot. */
function isReplayableBody(body: unknown): boolean {
  return (
    body === null || body === undefined || typeof body === 'string' || body instanceof Uint8Array
  );
}

function originOf(origin: string | URL | undefined): string {
  if (origin === undefined) return '';
  return typeof origin === 'string' ? origin.replace(/\/+$/, '') : origin.origin;
}

function checkMethods(name: string, value: unknown, fallback: string[]): Set<string> {
  if (value === undefined) return new Set(fallback);
  if (!Array.isArray(value) || value.some((m) => typeof m !== 'string'))
    typeError(name, 'an array of method names', value);
  return new Set(value.map((m: string) => m.toUpperCase()));
}

interface Config {
  breaker: ((origin: string) => Policy) | undefined;
  timeout: TimeoutPolicy | undefined;
  /** Checked retry options, made into a policy per request (its retryOn knows the request). */
  retry: RetryPolicyOptions | undefined;
  idempotent: Set<string>;
  keyed: Set<string>;
  isFailureStatus: (statusCode: number, headers: IncomingHttpHeaders) => boolean;
  maxBufferedBytes: number;
}

/**
 * The controller the caller's handler sees for the whole request, whichever attempt is running:
 * pause/resume reach the current attempt, abort stops the attempt and any wait between attempts.
 */
class RequestController implements Dispatcher.DispatchController {
  #aborted = false;
  #reason: Error | null = null;
  #paused = false;
  readonly abortController = new AbortController();
  target: Dispatcher.DispatchController | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get reason(): Error | null {
    return this.#reason;
  }
  abort(reason: Error): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.target?.abort(reason);
    this.abortController.abort(reason);
  }
  pause(): void {
    this.#paused = true;
    this.target?.pause();
  }
  resume(): void {
    this.#paused = false;
    this.target?.resume();
  }
}

/** One request through the chain. */
class ResilientRequest {
  /** A response has gone to the caller's handler: no retry after this. */
  committed = false;
  readonly controller = new RequestController();
  readonly #dispatch: Dispatcher['dispatch'];
  readonly #opts: Dispatcher.DispatchOptions;
  readonly #handler: Dispatcher.DispatchHandler;
  readonly #config: Config;
  readonly #retryable: boolean;
  #current: AttemptHandler | undefined;

  constructor(
    dispatch: Dispatcher['dispatch'],
    opts: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
    config: Config,
    retryable: boolean,
  ) {
    this.#dispatch = dispatch;
    this.#opts = opts;
    this.#handler = handler;
    this.#config = config;
    this.#retryable = retryable;
  }

  get handler(): Dispatcher.DispatchHandler {
    return this.#handler;
  }
  get config(): Config {
    return this.#config;
  }
  get retryable(): boolean {
    return this.#retryable;
  }
  isCurrent(attempt: AttemptHandler): boolean {
    return this.#current === attempt;
  }

  start(): void {
    const controller = this.controller;
    // The caller's handler learns its controller once, up front, so its own abort signal works
    // from the start, also while the interceptor waits between attempts.
    this.#handler.onRequestStart?.(controller, undefined);
    if (controller.aborted) {
      this.#fail(controller.reason);
      return;
    }
    let chain: Policy;
    try {
      chain = this.#chain();
    } catch (error) {
      // A breaker factory that throws fails this request, not the dispatcher.
      this.#fail(error);
      return;
    }
    chain
      .execute((context) => this.#attempt(context), { signal: controller.abortController.signal })
      // The caller's handler may throw while being told the outcome: surface it, as undici would.
      .then(undefined, (error: unknown) => callListener(this.#finishWith, error));
  }

  #chain(): Policy {
    const config = this.#config;
    const policies: Policy[] = [];
    if (this.#retryable && config.retry !== undefined) {
      const userRetryOn = config.retry.retryOn;
      policies.push(
        new RetryPolicy({
          ...config.retry,
          // Once any of a response reached the caller, nothing is retried.
          retryOn: (error, attempt) =>
            !this.committed && (userRetryOn === undefined || userRetryOn(error, attempt)),
        }),
      );
    }
    if (config.breaker !== undefined) policies.push(config.breaker(originOf(this.#opts.origin)));
    if (config.timeout !== undefined) policies.push(config.timeout);
    return wrap(...policies);
  }

  #attempt(context: PolicyContext): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const attempt = new AttemptHandler(this, context.signal, resolve, reject);
      this.#current = attempt;
      try {
        this.#dispatch(this.#opts, attempt);
      } catch (error) {
        attempt.settle(error);
      }
    });
  }

  readonly #finishWith = (error: unknown): void => this.#finish(error);

  // The chain failed for good. A committed response already reached the caller (its own errors
  // included); otherwise hand over the last failure response, or the error.
  #finish(error: unknown): void {
    if (this.committed) return;
    const controller = this.controller;
    if (controller.aborted) {
      this.#fail(controller.reason);
      return;
    }
    const response =
      error instanceof RetryBudgetExhaustedError && error.cause instanceof HttpStatusError
        ? error.cause
        : error;
    if (response instanceof HttpStatusError && response.body !== undefined) {
      this.committed = true;
      const handler = this.#handler;
      controller.target = undefined;
      handler.onResponseStart?.(
        controller,
        response.statusCode,
        response.headers,
        response.statusMessage,
      );
      try {
        for (const chunk of response.body) {
          if (controller.aborted) break;
          handler.onResponseData?.(controller, chunk);
        }
      } catch (handlerError) {
        controller.abort(handlerError as Error);
      }
      // Aborted while replaying (by the caller, or because its handler threw): end with the reason.
      if (controller.aborted) this.#fail(controller.reason);
      else handler.onResponseEnd?.(controller, response.trailers);
      return;
    }
    this.#fail(error);
  }

  #fail(error: unknown): void {
    this.committed = true;
    this.#handler.onResponseError?.(
      this.controller,
      error instanceof Error ? error : new Error(String(error)),
    );
  }
}

/** The handler of one attempt: forwards a committed response, buffers a failure response. */
class AttemptHandler implements Dispatcher.DispatchHandler {
  readonly #request: ResilientRequest;
  readonly #signal: AbortSignal;
  readonly #resolve: () => void;
  readonly #reject: (error: unknown) => void;
  #controller: Dispatcher.DispatchController | undefined;
  #settled = false;
  #mode: 'pending' | 'forward' | 'buffer' = 'pending';
  #failed = false;
  #statusCode = 0;
  #headers: IncomingHttpHeaders = {};
  #statusMessage: string | undefined;
  #chunks: Buffer[] | undefined = [];
  #bytes = 0;
  readonly #onAbort = () => this.#controller?.abort(this.#signal.reason as Error);

  constructor(
    request: ResilientRequest,
    signal: AbortSignal,
    resolve: () => void,
    reject: (error: unknown) => void,
  ) {
    this.#request = request;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  settle(error?: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#signal.removeEventListener('abort', this.#onAbort);
    if (error === undefined) this.#resolve();
    else this.#reject(error);
  }

  onRequestStart(controller: Dispatcher.DispatchController, _context: unknown): void {
    this.#controller = controller;
    const request = this.#request;
    if (request.controller.aborted) controller.abort(request.controller.reason!);
    else if (this.#signal.aborted) controller.abort(this.#signal.reason as Error);
    else if (request.isCurrent(this)) request.controller.target = controller;
  }

  onRequestUpgrade(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    socket: import('node:stream').Duplex,
  ): void {
    const request = this.#request;
    request.committed = true;
    request.handler.onRequestUpgrade?.(request.controller, statusCode, headers, socket);
    this.settle();
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    const request = this.#request;
    if (this.#settled || !request.isCurrent(this)) return;
    this.#failed = request.config.isFailureStatus(statusCode, headers);
    if (this.#failed && request.retryable && request.config.retry !== undefined) {
      this.#mode = 'buffer';
      this.#statusCode = statusCode;
      this.#headers = headers;
      this.#statusMessage = statusMessage;
      return;
    }
    this.#mode = 'forward';
    this.#statusCode = statusCode;
    this.#headers = headers;
    request.committed = true;
    request.handler.onResponseStart?.(request.controller, statusCode, headers, statusMessage);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const request = this.#request;
    if (this.#mode === 'forward') {
      request.handler.onResponseData?.(request.controller, chunk);
      return;
    }
    if (this.#mode !== 'buffer' || this.#chunks === undefined) return;
    this.#bytes += chunk.length;
    if (this.#bytes > request.config.maxBufferedBytes) this.#chunks = undefined;
    else this.#chunks.push(chunk);
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    const request = this.#request;
    if (this.#mode === 'forward') {
      request.handler.onResponseEnd?.(request.controller, trailers);
      // A committed failure status still counts as a failure for the breaker.
      this.settle(
        this.#failed
          ? new HttpStatusError(
              this.#statusCode,
              this.#headers,
              this.#statusMessage,
              undefined,
              trailers,
            )
          : undefined,
      );
      return;
    }
    if (this.#mode === 'buffer')
      this.settle(
        new HttpStatusError(
          this.#statusCode,
          this.#headers,
          this.#statusMessage,
          this.#chunks,
          trailers,
        ),
      );
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const request = this.#request;
    if (this.#mode === 'forward') request.handler.onResponseError?.(request.controller, error);
    this.settle(error);
  }
}

/**
 * An undici interceptor applying, per request, a breaker per origin, a timeout per attempt, and
 * retries of the requests that are safe to send again:
 *
 * ```ts
 * import { Agent, request } from 'undici';
 * import { CircuitBreaker, breakerPerKey } from '@bulwark/circuit-breaker';
 * import { RetryBudget } from '@bulwark/retry';
 * import { resilienceInterceptor } from '@bulwark/retry/undici';
 *
 * const dispatcher = new Agent().compose(
 *   resilienceInterceptor({
 *     breaker: breakerPerKey((origin) => new CircuitBreaker({ name: origin })),
 *     timeoutMs: 2_000,
 *     retry: { attempts: 3, budget: new RetryBudget({ ratio: 0.1 }) },
 *   }),
 * );
 * const { statusCode, body } = await request('https://api.example.com/users/1', { dispatcher });
 * ```
 *
 * Retried: requests whose method is in `idempotentMethods`, or in `idempotencyKeyMethods` with an
 * `Idempotency-Key` header, and whose body is absent, a string or bytes (a stream, an iterable or
 * a FormData cannot be sent twice, so such requests get the breaker and the timeout only; under
 * undici's `fetch()` every body arrives as a stream, so there only bodiless requests are retried).
 * Retried on: a failure status (see `isFailureStatus`), a network error, a timeout, an open
 * circuit (waiting its `retryAfterMs`), before any of the response reached the caller. When the
 * retries run out, the caller gets the last failure response as it came, or the last error.
 *
 * Throws a TypeError or RangeError naming the option when an option is invalid.
 */
export function resilienceInterceptor(
  options: ResilienceInterceptorOptions = {},
): Dispatcher.DispatcherComposeInterceptor {
  checkObject('options', options);
  checkKnownKeys(options, INTERCEPTOR_KEYS, 'resilienceInterceptor(options)', VOCABULARY_RENAMES);
  checkOptionalFunction('breaker', options.breaker);
  checkOptionalFunction('isFailureStatus', options.isFailureStatus);
  if (options.retry !== undefined && options.retry !== false) {
    if (typeof options.retry !== 'object' || options.retry === null || Array.isArray(options.retry))
      typeError('retry', 'an object or false', options.retry);
    checkKnownKeys(
      options.retry,
      INTERCEPTOR_RETRY_KEYS,
      'resilienceInterceptor({ retry })',
      VOCABULARY_RENAMES,
    );
  }
  const clock = options.clock === undefined ? undefined : checkClock(options.clock);
  let retryOptions: RetryPolicyOptions | undefined;
  if (options.retry !== false) {
    retryOptions = { ...options.retry };
    // `retry.clock` wins; when absent (or undefined) the interceptor's clock, if any, applies.
    if (retryOptions.clock === undefined) {
      if (clock === undefined) delete retryOptions.clock;
      else retryOptions.clock = clock;
    }
    try {
      // Construct once so bad options throw here, not on the first request.
      new RetryPolicy(retryOptions);
    } catch (error) {
      // Name the option as the caller spelled it: `retry.attempts`, `retry.backoff.baseMs`, ...
      if (error instanceof RangeError) throw new RangeError(`retry.${error.message}`);
      if (error instanceof TypeError) throw new TypeError(`retry.${error.message}`);
      throw error;
    }
  }
  const retryClock = options.retry === false ? undefined : options.retry?.clock;
  const config: Config = {
    breaker: options.breaker,
    timeout:
      options.timeoutMs === undefined
        ? undefined
        : new TimeoutPolicy(checkDuration('timeoutMs', options.timeoutMs, 1), {
            clock: retryClock ?? clock,
          }),
    retry: retryOptions,
    idempotent: checkMethods('idempotentMethods', options.idempotentMethods, DEFAULT_IDEMPOTENT),
    keyed: checkMethods('idempotencyKeyMethods', options.idempotencyKeyMethods, DEFAULT_KEYED),
    isFailureStatus: options.isFailureStatus ?? defaultIsFailureStatus,
    maxBufferedBytes: checkCount('maxBufferedBytes', options.maxBufferedBytes ?? 65_536, 0, false),
  };
  const { idempotent, keyed } = config;

  return (dispatch) =>
    function resilienceDispatch(opts, handler) {
      const method = String(opts.method).toUpperCase();
      // Upgrades and tunnels hand over a socket, not a response: nothing here applies.
      if (opts.upgrade || method === 'CONNECT') return dispatch(opts, handler);
      const retryable =
        (idempotent.has(method) ||
          (keyed.has(method) && hasHeader(opts.headers, 'idempotency-key'))) &&
        isReplayableBody(opts.body);
      if (!retryable && config.breaker === undefined && config.timeout === undefined)
        return dispatch(opts, handler);
      new ResilientRequest(dispatch, opts, handler, config, retryable).start();
      return true;
    };
}
