// The framework-free core. An adapter hands it each request (method, path, headers, body bytes)
// and gets a decision:
//   proceed  - not an idempotent request (another method, or no key where none is required):
//              run the handler as usual, nothing is recorded;
//   execute  - the first request with this key: run the handler, then `record` its response (or
//              `release` if it threw);
//   respond  - answer without running the handler: a replay of the recorded response, or a
//              problem-details error (400 missing/malformed key, 409 in use, 422 mismatch, 503
//              store down).
// Each request costs one store call before the handler (the claim) and one after it (complete or
// release). With the memory store every step is synchronous.

import { resolveStoreError } from '@bulwark/kernel';
import { channels, type StorePhase } from './channels.js';
import { defaultFingerprint } from './fingerprint.js';
import { parseIdempotencyKey } from './key.js';
import { upperCaseMethod } from './method.js';
import { type IdempotencyOptions, type Settings, settingsOf } from './options.js';
import { type ProblemName, problemResponse } from './problem.js';
import type { ClaimResult, IdempotencyRequest, RecordedResponse } from './types.js';

/** Run the handler as if the middleware were not there; nothing is recorded. */
export interface Proceed {
  /** `'proceed'` */
  readonly action: 'proceed';
}

/** The request holds the key: run the handler, then `record` the response or `release`. */
export class Lease {
  /** `'execute'` */
  readonly action = 'execute' as const;
  /** The Idempotency-Key, as the client sent it (unquoted). */
  readonly key: string;
  /** The store's key: the key within its scope. */
  readonly storeKey: string;
  /** The fencing token of this lease. */
  readonly token: number;
  /** The request method. */
  readonly method: string;
  /** The request path. */
  readonly path: string;
  #settled = false;

  /** Made by {@link Idempotency.begin}. */
  constructor(key: string, storeKey: string, token: number, method: string, path: string) {
    this.key = key;
    this.storeKey = storeKey;
    this.token = token;
    this.method = method;
    this.path = path;
  }

  /** True the first time only: a lease is recorded or released once. */
  settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    return true;
  }
}

/** Answer with `response` instead of running the handler. */
export interface Respond {
  /** `'respond'` */
  readonly action: 'respond';
  /** What this answer is: a replay, or the error it reports. */
  readonly outcome: 'replay' | ProblemName;
  /** The response to send (a replay carries `idempotent-replayed: true`). */
  readonly response: RecordedResponse;
}

/** What to do with a request: see {@link Idempotency.begin}. */
export type Decision = Proceed | Lease | Respond;

/** `stats()` of an {@link Idempotency}. */
export interface IdempotencyStats {
  /** The instance's `name`. */
  name: string;
  /** First requests that took a key and ran. */
  executed: number;
  /** Recorded responses replayed. */
  replayed: number;
  /** Duplicates answered 409 while the first still ran. */
  conflicts: number;
  /** Keys reused with a different fingerprint (422). */
  mismatches: number;
  /** Requests refused for a missing or malformed key (400). */
  rejected: number;
  /** Leases given up without a record (5xx, a thrown handler, a body too large). */
  released: number;
  /** Responses that could not be recorded because the lease had been taken over. */
  fenced: number;
  /** Store calls that failed. */
  storeErrors: number;
  /** Duplicates waiting now for the first to finish (`onConcurrent: 'wait'`). */
  waiting: number;
}

const PROCEED: Proceed = { action: 'proceed' };
// Methods whose repetition is harmless by definition: a store outage lets them through by default.
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const REPLAYED: readonly [string, string] = ['idempotent-replayed', 'true'];

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * The Idempotency-Key logic, framework-free. Adapters (`/http`, `/express`, `/fastify`, `/hono`)
 * wrap one; use it directly to support another framework:
 *
 * ```ts
 * const decision = await idempotency.begin(request);
 * if (decision.action === 'respond') return send(decision.response);
 * const response = await handler();
 * if (decision.action === 'execute') await idempotency.record(decision, response);
 * ```
 */
export class Idempotency<Raw = IdempotencyRequest> {
  readonly #s: Settings<Raw>;
  readonly #problems: Record<'missing' | 'malformed' | 'mismatch' | 'unavailable', Respond>;
  readonly #conflict: Respond;
  #executed = 0;
  #replayed = 0;
  #conflicts = 0;
  #mismatches = 0;
  #rejected = 0;
  #released = 0;
  #fenced = 0;
  #storeErrors = 0;
  #waiting = 0;
  #closed = false;
  // The waits of `onConcurrent: 'wait'` in progress, each a function that ends it now.
  readonly #sleepers = new Set<() => void>();

  /** See {@link IdempotencyOptions}. */
  constructor(options: IdempotencyOptions<Raw>) {
    this.#s = settingsOf(options);
    const respond = (outcome: ProblemName, response: RecordedResponse): Respond => ({
      action: 'respond',
      outcome,
      response,
    });
    this.#problems = {
      missing: respond('key-missing', problemResponse('key-missing', 400)),
      malformed: respond('key-malformed', problemResponse('key-malformed', 400)),
      mismatch: respond('key-mismatch', problemResponse('key-mismatch', this.#s.mismatchStatus)),
      unavailable: respond(
        'store-unavailable',
        problemResponse('store-unavailable', 503, [['retry-after', '1']]),
      ),
    };
    this.#conflict = respond(
      'key-in-use',
      problemResponse('key-in-use', 409, [['retry-after', '1']]),
    );
  }

  /** The instance's `name`. */
  get name(): string {
    return this.#s.name;
  }

  /** Largest response body recorded (and request body read by adapters), in bytes. */
  get maxBodyBytes(): number {
    return this.#s.maxBodyBytes;
  }

  /** The response headers recorded for replay, lower-case. */
  get replayHeaders(): readonly string[] {
    return this.#s.replayHeaders;
  }

  /** True when requests of `method` honour the key (adapters read no body for the others). */
  covers(method: string): boolean {
    return this.#s.methods.has(upperCaseMethod(method));
  }

  /**
   * True when {@link begin} needs the request body: the method honours keys and a key is present
   * (or required). Adapters read no body for other requests.
   */
  appliesTo(method: string, key: string | readonly string[] | undefined): boolean {
    return this.#s.methods.has(upperCaseMethod(method)) && (key !== undefined || this.#s.required);
  }

  /**
   * Decides what to do with `request` (`raw` is the framework's request, for `scope` and
   * `fingerprint`; it defaults to `request`). Synchronous with a synchronous store; never rejects
   * for a store failure (that is `onStoreError`'s), only when `scope` or `fingerprint` throw.
   */
  begin(request: IdempotencyRequest, raw: Raw = request as Raw): Decision | Promise<Decision> {
    const s = this.#s;
    const method = upperCaseMethod(request.method);
    if (!s.methods.has(method)) return PROCEED;
    const key = parseIdempotencyKey(request.headers['idempotency-key'], s.strict);
    if (key === 'missing') {
      if (!s.required) return PROCEED;
      return this.#reject('missing', request);
    }
    if (key === 'malformed') return this.#reject('malformed', request);
    const scope = s.scope === undefined ? '' : s.scope(raw);
    const fingerprint =
      s.fingerprint === undefined ? defaultFingerprint(request) : s.fingerprint(request, raw);
    // Length-prefixed, so no scope and key pair can spell another pair's store key.
    const storeKey = `${scope.length}:${scope}:${key}`;
    const claim = this.#claim(storeKey, fingerprint, key, request);
    if (isThenable(claim))
      return claim.then((result) => this.#decide(result, key, storeKey, fingerprint, request));
    return this.#decide(claim, key, storeKey, fingerprint, request);
  }

  /**
   * Records the response of a request that held `lease`: kept for replay when `storeWhen(status)`
   * allows and `response` is given (adapters pass `undefined` for a body over `maxBodyBytes`),
   * else the key is released so a retry runs. Never rejects: a store failure is counted, published
   * and passed to an `onStoreError` function, and the lease then expires after `lockTtlMs`.
   * Resolves once the store answered, so an adapter can finish its response after that and a
   * client that lost it finds the record on its retry.
   */
  record(
    lease: Lease,
    response: RecordedResponse | undefined,
    status?: number,
  ): void | Promise<void> {
    if (!lease.settle()) return;
    if (response === undefined) return this.#release(lease, 'too-large', status);
    let keep: boolean;
    try {
      keep = this.#s.storeWhen(response.status);
    } catch {
      keep = false; // a storeWhen that throws records nothing; the retry runs again
    }
    if (!keep) return this.#release(lease, 'status', response.status);
    let done: boolean | Promise<boolean>;
    try {
      done = this.#s.store.complete(lease.storeKey, lease.token, response, this.#s.ttlMs);
    } catch (error) {
      return this.#afterRecordFailed(lease, error);
    }
    if (isThenable(done))
      return done.then(
        (recorded) => this.#afterComplete(lease, recorded),
        (error: unknown) => this.#afterRecordFailed(lease, error),
      );
    this.#afterComplete(lease, done);
  }

  /** Gives up `lease` without a record (the handler threw), so a retry of the key runs. Never rejects. */
  release(lease: Lease): void | Promise<void> {
    if (!lease.settle()) return;
    return this.#release(lease, 'error', undefined);
  }

  /** Picks the allow-listed headers from a response: `get(name)` returns a header's value(s). */
  pickHeaders(
    get: (name: string) => string | number | readonly string[] | undefined | null,
  ): Array<[string, string]> {
    const pairs: Array<[string, string]> = [];
    for (const name of this.#s.replayHeaders) {
      const value = get(name);
      if (value === undefined || value === null) continue;
      if (typeof value === 'object') for (const v of value) pairs.push([name, v]);
      else pairs.push([name, String(value)]);
    }
    return pairs;
  }

  /**
   * Stops waiting: duplicates waiting for a first request (`onConcurrent: 'wait'`) are answered
   * 409 now, and later ones at once. Requests running keep their leases and still record. The
   * store is the caller's to close.
   */
  close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#sleepers) wake();
    this.#sleepers.clear();
    return Promise.resolve();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A snapshot of the counters. */
  stats(): IdempotencyStats {
    return {
      name: this.#s.name,
      executed: this.#executed,
      replayed: this.#replayed,
      conflicts: this.#conflicts,
      mismatches: this.#mismatches,
      rejected: this.#rejected,
      released: this.#released,
      fenced: this.#fenced,
      storeErrors: this.#storeErrors,
      waiting: this.#waiting,
    };
  }

  #claim(
    storeKey: string,
    fingerprint: string,
    key: string,
    request: IdempotencyRequest,
  ): ClaimResult | Error | Promise<ClaimResult | Error> {
    const s = this.#s;
    try {
      const result = s.store.claim(storeKey, fingerprint, s.lockTtlMs, s.ttlMs);
      if (isThenable(result))
        return result.then(undefined, (error: unknown) => this.#claimFailed(error, key, request));
      return result;
    } catch (error) {
      return this.#claimFailed(error, key, request);
    }
  }

  // A claim that failed is wrapped so #decide can tell it from a store answer.
  #claimFailed(error: unknown, key: string, request: IdempotencyRequest): Error {
    this.#storeFailed('claim', key, error);
    return new StoreFailure(error, key, request);
  }

  #decide(
    result: ClaimResult | Error,
    key: string,
    storeKey: string,
    fingerprint: string,
    request: IdempotencyRequest,
  ): Decision | Promise<Decision> {
    if (result instanceof StoreFailure) return this.#onClaimError(result);
    const claim = result as ClaimResult;
    if (claim.state === 'claimed') {
      this.#executed++;
      this.#publish(channels.execute, key, request);
      return new Lease(key, storeKey, claim.token, request.method, request.path);
    }
    if (claim.fingerprint !== fingerprint) {
      this.#mismatches++;
      this.#publish(channels.mismatch, key, request);
      return this.#problems.mismatch;
    }
    if (claim.state === 'completed') {
      this.#replayed++;
      this.#publish(channels.replay, key, request);
      const { status, headers, body } = claim.response;
      return {
        action: 'respond',
        outcome: 'replay',
        response: { status, headers: [...headers, REPLAYED], body },
      };
    }
    if (this.#s.wait)
      return this.#wait(key, storeKey, fingerprint, request, claim.leaseRemainingMs);
    return this.#conflictFor(key, request);
  }

  #conflictFor(key: string, request: IdempotencyRequest): Respond {
    this.#conflicts++;
    this.#publish(channels.conflict, key, request);
    return this.#conflict;
  }

  // onConcurrent 'wait': look again when the store announces that the key settled (a store with
  // onSettled), when the first request's lease runs out, and every waitIntervalMs in case an
  // announcement was lost; then decide as for a fresh arrival once the first recorded or released
  // the key, or answer 409 once waitTimeoutMs passed.
  async #wait(
    key: string,
    storeKey: string,
    fingerprint: string,
    request: IdempotencyRequest,
    leaseRemainingMs: number,
  ): Promise<Decision> {
    const s = this.#s;
    const deadline = s.clock.now() + s.waitTimeoutMs;
    // An announcement ends the current sleep; one heard while a look is under way (its answer may
    // predate the change) makes the next look start at once.
    let wake: (() => void) | undefined;
    let heard = false;
    const stopListening = this.#listenForSettled(storeKey, () => {
      if (wake === undefined) heard = true;
      else wake();
    });
    let leaseLeft = leaseRemainingMs;
    this.#waiting++;
    try {
      for (;;) {
        const left = deadline - s.clock.now();
        if (left <= 0 || this.#closed) return this.#conflictFor(key, request);
        if (heard) heard = false;
        else
          await new Promise<void>((resolve) => {
            const end = () => {
              s.clock.clearTimeout(timer);
              this.#sleepers.delete(end);
              wake = undefined;
              resolve();
            };
            const timer = s.clock.setTimeout(end, Math.min(s.waitIntervalMs, left, leaseLeft));
            wake = end;
            this.#sleepers.add(end);
          });
        if (this.#closed) return this.#conflictFor(key, request);
        const result = await this.#claim(storeKey, fingerprint, key, request);
        if (result instanceof StoreFailure || (result as ClaimResult).state !== 'running')
          return this.#decide(result, key, storeKey, fingerprint, request);
        leaseLeft = (result as { leaseRemainingMs: number }).leaseRemainingMs;
      }
    } finally {
      this.#waiting--;
      stopListening?.();
    }
  }

  // Starts listening for the settling of storeKey where the store can tell; polling alone
  // otherwise, and also when the store fails to listen (the wait needs nothing more).
  #listenForSettled(storeKey: string, listener: () => void): (() => void) | undefined {
    const store = this.#s.store;
    if (typeof store.onSettled !== 'function') return undefined;
    try {
      return store.onSettled(storeKey, listener);
    } catch {
      return undefined;
    }
  }

  #reject(reason: 'missing' | 'malformed', request: IdempotencyRequest): Respond {
    this.#rejected++;
    if (channels.reject.hasSubscribers)
      channels.reject.publish({
        name: this.#s.name,
        reason,
        method: request.method,
        path: request.path,
      });
    return this.#problems[reason];
  }

  #onClaimError(failure: StoreFailure): Decision {
    const { request, key } = failure;
    const mode = this.#s.onStoreError;
    const method = upperCaseMethod(request.method);
    const fallback = IDEMPOTENT_METHODS.has(method) ? 'fail-open' : 'fail-closed';
    const decision =
      mode === undefined
        ? fallback
        : resolveStoreError(
            mode,
            failure.cause,
            [{ phase: 'claim', key, method: request.method, path: request.path }],
            'fail-open' as const,
            'fail-closed' as const,
            'fail-closed' as const,
          );
    return decision === 'fail-open' ? PROCEED : this.#problems.unavailable;
  }

  #release(
    lease: Lease,
    reason: 'status' | 'error' | 'too-large',
    status: number | undefined,
  ): void | Promise<void> {
    this.#released++;
    if (channels.release.hasSubscribers)
      channels.release.publish({
        name: this.#s.name,
        key: lease.key,
        method: lease.method,
        path: lease.path,
        reason,
        status,
      });
    let done: boolean | Promise<boolean>;
    try {
      done = this.#s.store.release(lease.storeKey, lease.token);
    } catch (error) {
      this.#reportAfterHandler('release', lease, error);
      return;
    }
    if (isThenable(done))
      return done.then(
        () => {},
        (error: unknown) => this.#reportAfterHandler('release', lease, error),
      );
  }

  #afterComplete(lease: Lease, recorded: boolean): void {
    if (recorded) return;
    // The lease expired and another request claimed the key: the newer record stands.
    this.#fenced++;
    if (channels.fenced.hasSubscribers)
      channels.fenced.publish({
        name: this.#s.name,
        key: lease.key,
        method: lease.method,
        path: lease.path,
      });
  }

  // Recording failed after the handler ran: report it, then try to free the key at once rather
  // than leave it locked until the lease expires (if the store is down, the lease expiry does it).
  #afterRecordFailed(lease: Lease, error: unknown): void | Promise<void> {
    this.#reportAfterHandler('complete', lease, error);
    let done: boolean | Promise<boolean>;
    try {
      done = this.#s.store.release(lease.storeKey, lease.token);
    } catch {
      return;
    }
    if (isThenable(done))
      return done.then(
        () => {},
        () => {},
      );
  }

  #reportAfterHandler(phase: StorePhase, lease: Lease, error: unknown): void {
    this.#storeFailed(phase, lease.key, error);
    const mode = this.#s.onStoreError;
    if (typeof mode === 'function') {
      try {
        mode(error, { phase, key: lease.key, method: lease.method, path: lease.path });
      } catch {
        // The policy's answer does not matter after the handler ran; neither does its failure.
      }
    }
  }

  #storeFailed(phase: StorePhase, key: string, error: unknown): void {
    this.#storeErrors++;
    if (channels.storeError.hasSubscribers)
      channels.storeError.publish({ name: this.#s.name, phase, key, error });
  }

  #publish(channel: (typeof channels)['execute'], key: string, request: IdempotencyRequest): void {
    if (channel.hasSubscribers)
      channel.publish({ name: this.#s.name, key, method: request.method, path: request.path });
  }
}

// A failed claim, carried from #claim to #decide.
class StoreFailure extends Error {
  readonly key: string;
  readonly request: IdempotencyRequest;
  constructor(cause: unknown, key: string, request: IdempotencyRequest) {
    super('idempotency store failed', { cause });
    this.key = key;
    this.request = request;
  }
}

/**
 * Creates the framework-free core; see {@link IdempotencyOptions} for the options and
 * {@link Idempotency.begin} for the decisions.
 */
export function createIdempotency<Raw = IdempotencyRequest>(
  options: IdempotencyOptions<Raw>,
): Idempotency<Raw> {
  return new Idempotency(options);
}
