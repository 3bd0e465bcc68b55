// A counting semaphore and the bulkhead built on it: the pool's waiting line (priorities,
// first come first served, one shared timeout timer, AbortSignal) around a plain counter of
// permits instead of resources.

import {
  checkClock,
  checkDuration,
  checkInteger,
  checkLimit,
  checkOptionsObject,
  checkPriority,
  checkSignal,
} from './check-options.js';
import { type Clock, systemClock } from './clock.js';
import { AlreadyReleasedError, PoolTimeoutError, QueueFullError } from './errors.js';
import type { AcquireOptions } from './pool.js';
import { WaiterQueue } from './waiter-queue.js';

/** Options of {@link Semaphore}. */
export interface SemaphoreOptions {
  /** Callers allowed to wait; the next gets {@link QueueFullError}. Default `Infinity`. */
  maxQueue?: number;
  /** How long a caller may wait, then {@link PoolTimeoutError}. Default `Infinity` (no limit). */
  acquireTimeoutMs?: number;
  /** Time source and timers (only used with `acquireTimeoutMs`). */
  clock?: Clock;
}

/** What `execute` hands the function it runs: the caller's signal, or one that never aborts. */
export interface ExecuteContext {
  /** Aborts when the caller's signal does; pass it on to the work. */
  signal: AbortSignal;
}

/** Options of `execute`: the same as `acquire`. */
export type ExecuteOptions = AcquireOptions;

/** A snapshot of a semaphore's state and counters. */
export interface SemaphoreStats {
  /** Permits in all (the constructor's `permits`). */
  permits: number;
  /** Permits held now. */
  inUse: number;
  /** Permits free now. */
  available: number;
  /** Callers waiting for a permit. */
  pending: number;
  /** Callers turned away because the queue was full, since the start. */
  rejected: number;
  /** Callers that waited `acquireTimeoutMs` in vain, since the start. */
  timeouts: number;
}

const NEVER_ABORTED = new AbortController().signal;
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
  readonly #permits: number;
  readonly #maxQueue: number;
  readonly #queue: WaiterQueue<void>;
  #inUse = 0;
  #rejected = 0;
  #timeouts = 0;

  /**
   * @param permits - How many holders at once, an integer >= 1.
   * @param options - Queue limit, wait timeout and clock.
   */
  constructor(permits: number, options: SemaphoreOptions = {}) {
    this.#permits = checkInteger('permits', permits, 1, Number.MAX_SAFE_INTEGER);
    checkOptionsObject(options);
    this.#maxQueue = checkLimit('maxQueue', options.maxQueue ?? Number.POSITIVE_INFINITY, 0);
    const timeoutMs =
      options.acquireTimeoutMs === undefined ||
      options.acquireTimeoutMs === Number.POSITIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : checkDuration('acquireTimeoutMs', options.acquireTimeoutMs, 1);
    const clock = checkClock<Clock>(options.clock ?? systemClock);
    this.#queue = new WaiterQueue<void>(clock, timeoutMs, (waiter) => {
      this.#timeouts++;
      return new PoolTimeoutError(Math.round(clock.now() - waiter.enqueuedAt));
    });
  }

  /** Wait for a permit. Rejects on timeout, abort (`signal.reason`) or a full queue. */
  acquire(options?: AcquireOptions): Promise<Permit> {
    if (this.#inUse < this.#permits && this.#queue.queued === 0) {
      const signal = options?.signal;
      if (signal?.aborted) return Promise.reject(signal.reason);
      this.#inUse++;
      return Promise.resolve(new Permit(this));
    }
    return this.#wait(options).then(() => new Permit(this));
  }

  /** A permit now, or undefined if none is free (or others are already waiting). */
  tryAcquire(): Permit | undefined {
    if (this.#inUse >= this.#permits || this.#queue.queued > 0) return undefined;
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
    if (this.#inUse < this.#permits && this.#queue.queued === 0) {
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
    else this.#inUse--;
  }

  /** A snapshot of permits, waiters and counters. */
  stats(): SemaphoreStats {
    return {
      permits: this.#permits,
      inUse: this.#inUse,
      available: this.#permits - this.#inUse,
      pending: this.#queue.pending,
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
      signal = checkSignal(options?.signal);
      priority = checkPriority(options?.priority);
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#queue.pending >= this.#maxQueue) {
      this.#rejected++;
      return Promise.reject(new QueueFullError(this.#maxQueue));
    }
    return this.#queue.enqueue(priority, signal, undefined);
  }
}

/**
 * A bulkhead: at most `maxConcurrent` calls run at once and at most `maxQueue` wait; the rest
 * are turned away at once with {@link QueueFullError}, so overload sheds load instead of
 * piling up. Use `execute(fn, { signal })`.
 */
export class Bulkhead extends Semaphore {
  /**
   * @param maxConcurrent - How many calls run at once, an integer >= 1.
   * @param maxQueue - How many may wait; the rest get {@link QueueFullError}. Default 0.
   * @param options - Wait timeout and clock.
   */
  constructor(
    maxConcurrent: number,
    maxQueue = 0,
    options: Omit<SemaphoreOptions, 'maxQueue'> = {},
  ) {
    super(checkInteger('maxConcurrent', maxConcurrent, 1, Number.MAX_SAFE_INTEGER), {
      ...options,
      maxQueue: checkLimit('maxQueue', maxQueue, 0),
    });
  }
}
