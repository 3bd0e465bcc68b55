// The pool's public types: its options, the options of one `acquire`, its stats, events and
// interface. The algorithm is in pool.ts.

import type { EventEmitter } from 'node:events';
import type { Clock } from './clock.js';
import type { PoolClosedError, PoolTimeoutError, QueueFullError } from './errors.js';
import type { LeakStacks } from './leak-detector.js';
import type { Lease } from './lease.js';

/** Options of {@link createPool}. Durations are in ms; `Infinity` where allowed means "never". */
export interface PoolOptions<T> {
  /** Make a resource. `signal` aborts when `createTimeoutMs` passes, so a connect can be cut. */
  create: (context: { signal: AbortSignal }) => T | Promise<T>;
  /** Dispose of a resource. Failures are reported as `destroyError`, never thrown at callers. */
  destroy: (resource: T) => void | Promise<void>;
  /**
   * Checked when an idle resource is borrowed (not when fresh from `create`); one that fails
   * (false, throws or rejects) is destroyed and another tried. A check still unsettled after
   * `validateTimeoutMs` fails the same way.
   */
  validate?: (resource: T) => boolean | Promise<boolean>;
  /**
   * How long `validate` may take before the resource counts as invalid and is destroyed (its
   * slot freed, the caller served by another resource). Default 30 000.
   */
  validateTimeoutMs?: number;
  /** Most resources at once, counting those being created or destroyed. Default 10. */
  max?: number;
  /** Resources kept ready even when idle. Default 0. */
  min?: number;
  /** How long `acquire` may wait before rejecting with {@link PoolTimeoutError}. Default 30 000. */
  acquireTimeoutMs?: number;
  /** How long `create` may take before it counts as failed. Default 30 000. */
  createTimeoutMs?: number;
  /** How long `destroy` may take before its slot is freed anyway. Default 30 000. */
  destroyTimeoutMs?: number;
  /** Idle longer than this, a resource above `min` is retired. Default `Infinity`. */
  idleTimeoutMs?: number;
  /**
   * Older than its lifetime, a resource is retired when idle or when it comes back. Each
   * resource's lifetime is drawn once, at its creation, from (`maxLifetimeMs` × (1 −
   * `maxLifetimeJitter`), `maxLifetimeMs`], so resources made together do not all retire
   * together. Default `Infinity`.
   */
  maxLifetimeMs?: number;
  /**
   * The fraction of `maxLifetimeMs` a resource's lifetime may be cut by, at random (HikariCP
   * cuts up to 2.5 %): a number in [0, 1). `0` retires every resource exactly at
   * `maxLifetimeMs`. Default 0.025.
   */
  maxLifetimeJitter?: number;
  /** Uniform random numbers in [0, 1) for `maxLifetimeJitter`; tests pass a seeded one. Default `Math.random`. */
  random?: () => number;
  /**
   * Callers allowed to wait at once while every slot is taken; the next gets
   * {@link QueueFullError}. `0` fails fast when the pool is exhausted. Default `Infinity`.
   */
  maxWaiting?: number;
  /** Hand out the longest-idle resource first (true) or the most recently used (false). Default false. */
  fifo?: boolean;
  /**
   * Turns leak detection on: a lease held longer than this is reported once with the stack of
   * its acquire, and a lease garbage-collected unreleased is reported and its slot reclaimed.
   * Default off.
   */
  leakDetectionMs?: number;
  /**
   * When leak reports carry the stack of the acquire: `'always'` (every acquire captures it,
   * which costs a few microseconds each), `'after-first-leak'` (none until a leak is seen, every
   * acquire after that) or `'never'`. Default `'after-first-leak'`.
   */
  leakStacks?: LeakStacks;
  /**
   * After a failed `create`: when undefined (default), the caller next in line (highest
   * `priority`, then longest waiting) gets the
   * error; when set, creates pause this long and are retried while callers wait (each caller
   * still ends at `acquireTimeoutMs`, with the last create error as `cause`).
   */
  createRetryDelayMs?: number;
  /** How often idle and over-age resources are looked for. Default 1 000. */
  reapIntervalMs?: number;
  /** The pool's label in leak reports, channel messages, errors and `stats()`. Default `'default'`. */
  name?: string;
  /** Time source and timers; tests pass a fake clock. Default the kernel's `systemClock`. */
  clock?: Clock;
}

/** Options of one `acquire`. */
export interface AcquireOptions {
  /** Abort the wait; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Higher is served first; equal priorities are first come, first served. Default 0. */
  priority?: number;
}

/** Options of {@link Pool.ready}. */
export interface ReadyOptions {
  /** Stop waiting; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** What a leak report says. */
export interface LeakReport<T> {
  /** `held-too-long`: past `leakDetectionMs`, still borrowed. `collected`: dropped unreleased. */
  kind: 'held-too-long' | 'collected';
  /** The pool's `name`. */
  name: string;
  /** The leaked resource (for `collected`, it is being destroyed). */
  resource: T;
  /** How long it had been borrowed when reported. */
  heldMs: number;
  /** The stack of the `acquire` call that took it. */
  stack: string | undefined;
}

/** A snapshot of the pool's state and counters: one flat object. */
export interface PoolStats {
  /** The pool's `name`. */
  name: string;
  /** Slots in use: idle + borrowed + validating + creating + destroying. */
  size: number;
  /** Idle resources ready to lend. */
  available: number;
  /** Resources lent out and not yet given back. */
  borrowed: number;
  /** Callers waiting for a resource. */
  waiting: number;
  /** `create` calls in flight. */
  creating: number;
  /** Idle resources being checked by `validate` before they are lent. */
  validating: number;
  /** `destroy` calls in flight. */
  destroying: number;
  /** Resources made since the pool was made. */
  created: number;
  /** Resources destroyed since the pool was made. */
  destroyed: number;
  /** Acquires that ended with {@link PoolTimeoutError} since the pool was made. */
  timeouts: number;
  /**
   * Acquires turned away with {@link QueueFullError} (`maxWaiting` reached) since the pool was
   * made: exactly one per such rejection, and nothing else (closed, aborted and timed-out
   * acquires have their own errors; timeouts are counted in `timeouts`).
   */
  rejected: number;
  /** Leaks reported since the pool was made. */
  leaks: number;
  /** The `max` option. */
  max: number;
  /** The `min` option. */
  min: number;
}

/** Events a pool emits (it is an `EventEmitter`). */
export interface PoolEvents<T> {
  /** A lease was held past `leakDetectionMs`, or collected unreleased. */
  leak: [report: LeakReport<T>];
  /** A `create` failed or passed `createTimeoutMs`. */
  createError: [error: unknown];
  /** A `destroy` threw, rejected or passed `destroyTimeoutMs`. */
  destroyError: [error: unknown, resource: T];
}

/** A pool of resources. Make one with {@link createPool}. */
export interface Pool<T> extends EventEmitter<PoolEvents<T>> {
  /**
   * Borrow a resource. Resolves with a {@link Lease}, or rejects with {@link PoolTimeoutError}
   * after `acquireTimeoutMs`, `signal.reason` on abort, {@link QueueFullError} when
   * `maxWaiting` callers already wait, {@link PoolClosedError} once closing, or the `create`
   * error when making a resource for this caller failed.
   */
  acquire(options?: AcquireOptions): Promise<Lease<T>>;
  /** Borrow, run `fn`, and release on every path (unless `fn` released or destroyed the lease). */
  use<R>(
    fn: (resource: T, lease: Lease<T>) => R | Promise<R>,
    options?: AcquireOptions,
  ): Promise<R>;
  /**
   * Resolves once `min` resources exist (at once when `min` is 0 or already reached). Rejects
   * with the error of a `create` that fails while it waits (the pool keeps refilling in the
   * background, so `ready()` may be called again), with {@link PoolClosedError} when `close()`
   * begins first, or with `signal.reason` on abort. It never hangs: every `create` ends by
   * `createTimeoutMs`.
   */
  ready(options?: ReadyOptions): Promise<void>;
  /** A snapshot of sizes and counters. */
  stats(): PoolStats;
  /** Destroy every idle resource now (then refill to `min`). Resolves when they are destroyed. */
  clear(): Promise<void>;
  /**
   * Shut down: stop the timers, reject waiting and new callers with {@link PoolClosedError}, wait
   * up to `timeoutMs` (default 30 000) for borrowed resources to come back, destroy everything,
   * resolve when no resource remains. Leases still out and `validate` checks still running at the
   * timeout have their resources destroyed; creates and destroys end by their own timeouts.
   * Calling it again returns the same promise.
   */
  close(timeoutMs?: number): Promise<void>;
  /** @deprecated Use {@link Pool.close}; the same method under its old name. */
  drain(timeoutMs?: number): Promise<void>;
  /** `close()`, for `await using pool = createPool(...)`. */
  [Symbol.asyncDispose](): Promise<void>;
}
