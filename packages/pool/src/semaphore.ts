// A counting semaphore: the pool's waiting line (priorities, first come first served, one
// shared timeout timer, AbortSignal) around a plain counter of permits instead of resources.
// The bulkhead (bulkhead.ts) is this semaphore with a default of no waiting.

import {
  checkClock,
  checkInteger,
  checkKnownKeys,
  checkObject,
  checkSignal,
  checkString,
  NEVER_ABORTED,
  systemClock,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import { checkDuration, checkLimit, checkPriority } from './check-options.js';
import type { Clock } from './clock.js';
import {
  AlreadyReleasedError,
  PoolClosedError,
  PoolTimeoutError,
  QueueFullError,
} from './errors.js';
import type { AcquireOptions } from './pool-types.js';
import { WaiterQueue } from './waiter-queue.js';

/** Options of {@link Semaphore}. */
export interface SemaphoreOptions {
  /** Callers allowed to wait; the next gets {@link QueueFullError}. Default `Infinity`. */
  maxWaiting?: number;
  /** How long a caller may wait, then {@link PoolTimeoutError}. Default `Infinity` (no limit). */
  acquireTimeoutMs?: number;
  /** Time source and timers (only used with `acquireTimeoutMs`). Default the kernel's `systemClock`. */
  clock?: Clock;
  /** The semaphore's label in `stats()` and errors. Default `'default'`. */
  name?: string;
}

const SEMAPHORE_KEYS: ReadonlySet<string> = new Set([
  'maxWaiting',
  'acquireTimeoutMs',
  'clock',
  'name',
]);

/** What `execute` hands the function it runs: the caller's signal, or one that never aborts. */
export interface ExecuteContext {
  /** Aborts when the caller's signal does; pass it on to the work. */
  signal: AbortSignal;
}

/** Options of `execute`: the same as `acquire`. */
export type ExecuteOptions = AcquireOptions;

/** A snapshot of a semaphore's state and counters. */
export interface SemaphoreStats {
  /** The `name` option. */
  name: string;
  /** Permits in all (the constructor's `permits`). */
  permits: number;
  /** Permits held now. */
  inUse: number;
  /** Permits free now. */
  available: number;
  /** Callers waiting for a permit. */
  waiting: number;
  /** Callers turned away because the queue was full, since the start. */
  rejected: number;
  /** Callers that waited `acquireTimeoutMs` in vain, since the start. */
  timeouts: number;
}

/** Module-private: only a Permit (or `execute`) may give a permit back. */
const RELEASE = Symbol('release');

/** One held permit. Release it exactly once; a second `release()` throws. */
export class Permit {
  #semaphore: Semaphore | undefined;

  /** @internal Permits come from `Semaphore.acquire()`. */
  constructor(semaphore: Semaphore) {
    this.#semaphore = semaphore;
  }

  /** True once released. */
  get released(): boolean {
    return this.#semaphore === undefined;
  }

  /** Give the permit back. Throws {@link AlreadyReleasedError} the second time. */
  release(): void {
    const semaphore = this.#semaphore;
    if (semaphore === undefined) throw new AlreadyReleasedError('this permit');
    this.#semaphore = undefined;
    semaphore[RELEASE]();
  }

  /** Release unless already released, for `using permit = await semaphore.acquire()`. */
  [Symbol.dispose](): void {
    if (this.#semaphore !== undefined) this.release();
  }
}

/**
 * A counting semaphore: at most `permits` holders at once; others wait in line (higher
 * `priority` first, then first come first served) until a permit frees, their signal aborts,
 * or `acquireTimeoutMs` passes.
 */
export class Semaphore {
  /** The `name` option. */
  readonly name: string;
  readonly #permits: number;
  // Permits that may be handed out: `permits`, or 0 once closed, so the fast paths need no
  // closed check of their own.
  #limit: number;
  readonly #maxWaiting: number;
  readonly #queue: WaiterQueue<void>;
  #inUse = 0;
  #rejected = 0;
  #timeouts = 0;
  #closed: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;

  /**
   * @param permits - How many holders at once, an integer >= 1.
   * @param options - Queue limit, wait timeout, clock and name. Unknown keys throw a TypeError
   *   naming the nearest valid one.
   */
  constructor(permits: number, options: SemaphoreOptions = {}) {
    this.#permits = checkInteger('permits', permits, 1);
    this.#limit = this.#permits;
    checkObject('options', options);
    if (new.target === Semaphore)
      checkKnownKeys(
        options,
        SEMAPHORE_KEYS,
        'new Semaphore(permits, options)',
        VOCABULARY_RENAMES,
      );
    this.name = checkString('name', options.name ?? 'default');
    this.#maxWaiting = checkLimit('maxWaiting', options.maxWaiting ?? Number.POSITIVE_INFINITY, 0);
    const timeoutMs =
      options.acquireTimeoutMs === undefined ||
      options.acquireTimeoutMs === Number.POSITIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : checkDuration('acquireTimeoutMs', options.acquireTimeoutMs, 1);
    const clock = checkClock<Clock>('clock', options.clock ?? systemClock, true);
    this.#queue = new WaiterQueue<void>(clock, timeoutMs, (waiter) => {
      this.#timeouts++;
      return new PoolTimeoutError(Math.round(clock.now() - waiter.enqueuedAt));
    });
  }

  /** Wait for a permit. Rejects on timeout, abort (`signal.reason`) or a full queue. */
  acquire(options?: AcquireOptions): Promise<Permit> {
    if (this.#inUse < this.#limit && this.#queue.queued === 0) {
      const signal = options?.signal;
      if (signal?.aborted) return Promise.reject(signal.reason);
      this.#inUse++;
      return Promise.resolve(new Permit(this));
    }
    return this.#wait(options).then(() => new Permit(this));
  }

  /** A permit now, or undefined if none is free (or others are already waiting). */
  tryAcquire(): Permit | undefined {
    if (this.#inUse >= this.#limit || this.#queue.queued > 0) return undefined;
    this.#inUse++;
    return new Permit(this);
  }

  /**
   * Run `fn` holding a permit, and give the permit back however `fn` ends. `fn` receives
   * `{ signal }`: the caller's signal, or one that never aborts. This is the `execute(fn,
   * { signal })` shape policies compose by (e.g. `@bulwark/retry`'s `wrap`).
   */
  execute<R>(
    fn: (context: ExecuteContext) => R | Promise<R>,
    options?: ExecuteOptions,
  ): Promise<R> {
    const signal = options?.signal;
    if (this.#inUse < this.#limit && this.#queue.queued === 0) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      this.#inUse++;
      return this.#run(fn, signal ?? NEVER_ABORTED);
    }
    return this.#wait(options).then(() => {
      if (signal?.aborted) {
        this[RELEASE]();
        throw signal.reason;
      }
      return this.#run(fn, signal ?? NEVER_ABORTED);
    });
  }

  /** @internal Give a permit back: hand it straight to the next waiter, or free it. */
  [RELEASE](): void {
    const next = this.#queue.peek();
    if (next !== undefined) this.#queue.settle(next, undefined);
    else if (--this.#inUse === 0 && this.#resolveClosed !== undefined) this.#resolveClosed();
  }

  /**
   * Shut down: reject waiting and new callers with {@link PoolClosedError} (`tryAcquire` returns
   * undefined), and resolve once every permit held is given back. Calling it again returns the
   * same promise.
   */
  close(): Promise<void> {
    if (this.#closed === undefined) {
      this.#limit = 0;
      this.#closed = new Promise<void>((resolve) => {
        this.#resolveClosed = resolve;
      });
      this.#queue.failAll(() => new PoolClosedError(`semaphore "${this.name}"`));
      if (this.#inUse === 0) this.#resolveClosed!();
    }
    return this.#closed;
  }

  /** `close()`, for `await using semaphore = new Semaphore(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A snapshot of permits, waiters and counters. */
  stats(): SemaphoreStats {
    return {
      name: this.name,
      permits: this.#permits,
      inUse: this.#inUse,
      available: this.#permits - this.#inUse,
      waiting: this.#queue.pending,
      rejected: this.#rejected,
      timeouts: this.#timeouts,
    };
  }

  async #run<R>(fn: (context: ExecuteContext) => R | Promise<R>, signal: AbortSignal): Promise<R> {
    try {
      return await fn({ signal });
    } finally {
      this[RELEASE]();
    }
  }

  #wait(options: AcquireOptions | undefined): Promise<void> {
    let signal: AbortSignal | undefined;
    let priority = 0;
    try {
      signal = checkSignal('signal', options?.signal);
      priority = checkPriority(options?.priority);
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed !== undefined)
      return Promise.reject(new PoolClosedError(`semaphore "${this.name}"`));
    if (this.#queue.pending >= this.#maxWaiting) {
      this.#rejected++;
      return Promise.reject(new QueueFullError(this.#maxWaiting, `semaphore "${this.name}"`));
    }
    return this.#queue.enqueue(priority, signal, undefined);
  }
}
