// The resource pool. Reading order: the options and public types, then `acquire` and the fast
// path, `#dispatch` (matching waiters with idle resources and starting creates), the life cycle
// of one resource (create -> idle -> borrowed -> back or destroyed), leak handling, and the
// background work (keeping `min` warm, retiring idle and over-age resources, closing).
//
// Accounting: every resource that exists or is being made or unmade occupies one of `max` slots:
//   size = idle + borrowed + validating + creating + destroying  <=  max.

import { EventEmitter } from 'node:events';
import {
  checkBoolean,
  checkClock,
  checkFunction,
  checkInteger,
  checkKnownKeys,
  checkObject,
  checkOneOf,
  checkSignal,
  checkString,
  rangeError,
  systemClock,
} from '@bulwark/kernel';
import { channels } from './channels.js';
import { checkDuration, checkLimit, checkPriority } from './check-options.js';
import { type Clock, scheduleUnref } from './clock.js';
import { BORROWED, DESTROYED, Entry, EntryList, IDLE, VALIDATING } from './entry.js';
import { CreateTimeoutError, PoolClosedError, PoolTimeoutError, QueueFullError } from './errors.js';
import { formatSite, LeakDetector, type LeakStacks } from './leak-detector.js';
import { Lease, type LeaseOwner } from './lease.js';
import { type Waiter, WaiterQueue } from './waiter-queue.js';

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
  /** Older than this, a resource is retired when idle or when it comes back. Default `Infinity`. */
  maxLifetimeMs?: number;
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

const POOL_KEYS: ReadonlySet<string> = new Set([
  'create',
  'destroy',
  'validate',
  'validateTimeoutMs',
  'max',
  'min',
  'acquireTimeoutMs',
  'createTimeoutMs',
  'destroyTimeoutMs',
  'idleTimeoutMs',
  'maxLifetimeMs',
  'maxWaiting',
  'fifo',
  'leakDetectionMs',
  'leakStacks',
  'createRetryDelayMs',
  'reapIntervalMs',
  'name',
  'clock',
]);

/** Options of one `acquire`. */
export interface AcquireOptions {
  /** Abort the wait; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Higher is served first; equal priorities are first come, first served. Default 0. */
  priority?: number;
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
  /** Acquires turned away with {@link QueueFullError} (`maxWaiting` reached) since the pool was made. */
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

/**
 * Make a resource pool. Options are checked here; bad ones throw `TypeError`/`RangeError`, and an
 * unknown option key a `TypeError` naming the nearest valid one.
 */
export function createPool<T>(options: PoolOptions<T>): Pool<T> {
  return new ResourcePool(options);
}

const INFINITY = Number.POSITIVE_INFINITY;
const LEAK_STACKS: readonly LeakStacks[] = ['always', 'after-first-leak', 'never'];
const optionalDuration = (name: string, value: unknown, fallback: number, min = 1): number =>
  value === undefined || value === INFINITY ? fallback : checkDuration(name, value, min);

class ResourcePool<T> extends EventEmitter<PoolEvents<T>> implements Pool<T>, LeaseOwner<T> {
  readonly #create: PoolOptions<T>['create'];
  readonly #destroy: PoolOptions<T>['destroy'];
  readonly #validate: PoolOptions<T>['validate'];
  readonly #max: number;
  readonly #min: number;
  readonly #createTimeoutMs: number;
  readonly #validateTimeoutMs: number;
  readonly #destroyTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #maxLifetimeMs: number;
  readonly #maxWaiting: number;
  readonly #fifo: boolean;
  readonly #createRetryDelayMs: number | undefined;
  readonly #reapIntervalMs: number;
  readonly #name: string;
  readonly #clock: Clock;

  readonly #waiters: WaiterQueue<Lease<T>>;
  readonly #idle = new EntryList<T>();
  /** Every resource that exists (idle, borrowed, validating), so close() can find them all. */
  readonly #entries = new Set<Entry<T>>();
  readonly #leaks: LeakDetector<T> | undefined;

  #borrowed = 0;
  #validating = 0;
  #creating = 0;
  #destroying = 0;
  #created = 0;
  #destroyed = 0;
  #timeouts = 0;
  #rejected = 0;
  #leakCount = 0;

  #lastCreateError: unknown = undefined;
  /** Set while creates pause after a failure (`createRetryDelayMs`). */
  #createPause: unknown = undefined;
  /** Set while a retry of the `min` warm-up is scheduled. */
  #warmRetry: unknown = undefined;
  #reaper: unknown = undefined;
  #closed = false;
  #drained: Promise<void> | undefined = undefined;
  #resolveDrained: (() => void) | undefined = undefined;
  #drainTimer: unknown = undefined;

  constructor(options: PoolOptions<T>) {
    super();
    checkObject('options', options);
    checkKnownKeys(options, POOL_KEYS, 'createPool(options)');
    checkFunction('create', options.create);
    checkFunction('destroy', options.destroy);
    if (options.validate !== undefined) checkFunction('validate', options.validate);
    this.#create = options.create;
    this.#destroy = options.destroy;
    this.#validate = options.validate;
    this.#max = checkInteger('max', options.max ?? 10, 1);
    this.#min = checkInteger('min', options.min ?? 0, 0);
    if (this.#min > this.#max) rangeError('min', `<= max (${this.#max})`, this.#min);
    const acquireTimeoutMs = checkDuration(
      'acquireTimeoutMs',
      options.acquireTimeoutMs ?? 30_000,
      1,
    );
    this.#createTimeoutMs = checkDuration('createTimeoutMs', options.createTimeoutMs ?? 30_000, 1);
    this.#validateTimeoutMs = checkDuration(
      'validateTimeoutMs',
      options.validateTimeoutMs ?? 30_000,
      1,
    );
    this.#destroyTimeoutMs = checkDuration(
      'destroyTimeoutMs',
      options.destroyTimeoutMs ?? 30_000,
      1,
    );
    this.#idleTimeoutMs = optionalDuration('idleTimeoutMs', options.idleTimeoutMs, INFINITY);
    this.#maxLifetimeMs = optionalDuration('maxLifetimeMs', options.maxLifetimeMs, INFINITY);
    this.#maxWaiting = checkLimit('maxWaiting', options.maxWaiting ?? INFINITY, 0);
    this.#fifo = checkBoolean('fifo', options.fifo ?? false);
    this.#createRetryDelayMs =
      options.createRetryDelayMs === undefined
        ? undefined
        : checkDuration('createRetryDelayMs', options.createRetryDelayMs, 0);
    this.#reapIntervalMs = checkDuration('reapIntervalMs', options.reapIntervalMs ?? 1000, 1);
    this.#name = checkString('name', options.name ?? 'default');
    const clock = checkClock<Clock>('clock', options.clock ?? systemClock, true);
    this.#clock = clock;
    this.#waiters = new WaiterQueue<Lease<T>>(clock, acquireTimeoutMs, (waiter) =>
      this.#timedOut(waiter),
    );
    // Checked even with leak detection off, so a misspelt value never passes silently.
    const stacks = checkOneOf('leakStacks', options.leakStacks ?? 'after-first-leak', LEAK_STACKS);
    if (options.leakDetectionMs !== undefined) {
      const threshold = checkDuration('leakDetectionMs', options.leakDetectionMs, 1);
      this.#leaks = new LeakDetector<T>(
        clock,
        threshold,
        stacks,
        (entry, heldMs) => this.#reportLeak('held-too-long', entry, heldMs),
        (entry) => this.#collected(entry),
      );
    }
    if (this.#idleTimeoutMs !== INFINITY || this.#maxLifetimeMs !== INFINITY) this.#scheduleReap();
    this.#ensureMin();
  }

  // ---- borrowing -------------------------------------------------------------------------

  acquire(options?: AcquireOptions): Promise<Lease<T>> {
    if (this.#closed) return Promise.reject(new PoolClosedError());
    let signal: AbortSignal | undefined;
    let priority = 0;
    if (options !== undefined) {
      try {
        signal = checkSignal('signal', options.signal);
        priority = checkPriority(options.priority);
      } catch (error) {
        return Promise.reject(error);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    const leaks = this.#leaks;
    const site = leaks?.captureStacks ? leaks.captureSite(this.acquire) : undefined;
    // Fast path: nobody is waiting and a resource is idle (and needs no validation): lend it.
    if (this.#waiters.queued === 0 && this.#idle.size > 0 && this.#validate === undefined) {
      return Promise.resolve(this.#lend(this.#takeIdle(), site));
    }
    // The limit is on callers left waiting for someone else's resource: while a slot is free,
    // a caller waits only for its own create (so even `maxWaiting: 0` can fill the pool).
    if (this.#waiters.pending >= this.#maxWaiting && this.#size() >= this.#max) {
      this.#rejected++;
      return Promise.reject(new QueueFullError(this.#maxWaiting, `pool "${this.#name}"`));
    }
    const promise = this.#waiters.enqueue(priority, signal, site);
    this.#dispatch();
    return promise;
  }

  async use<R>(
    fn: (resource: T, lease: Lease<T>) => R | Promise<R>,
    options?: AcquireOptions,
  ): Promise<R> {
    const lease = await this.acquire(options);
    try {
      return await fn(lease.value, lease);
    } finally {
      if (!lease.released) lease.release();
    }
  }

  /** Serve waiters from idle resources, then start creates for those still uncovered. */
  #dispatch(): void {
    for (let waiter = this.#waiters.peek(); waiter && this.#idle.size > 0; ) {
      this.#hand(this.#takeIdle(), waiter);
      waiter = this.#waiters.peek();
    }
    while (
      !this.#closed &&
      this.#createPause === undefined &&
      this.#creating < this.#waiters.queued &&
      this.#size() < this.#max
    ) {
      this.#startCreate();
    }
  }

  #hand(entry: Entry<T>, waiter: Waiter<Lease<T>>): void {
    if (this.#validate === undefined || entry.fresh) {
      this.#waiters.settle(waiter, this.#lend(entry, waiter.site));
      return;
    }
    // The waiter leaves the line while its resource is checked, but its timeout keeps running.
    this.#waiters.unqueue(waiter);
    entry.state = VALIDATING;
    this.#validating++;
    const validate = this.#validate;
    // The first of the answer, the timeout and close()'s cut decides; the others change nothing.
    const finish = (ok: boolean): void => {
      if (entry.cutValidation === undefined) return;
      entry.cutValidation = undefined;
      this.#clock.clearTimeout(timer);
      this.#validated(entry, waiter, ok);
    };
    entry.cutValidation = () => finish(false);
    const timer = scheduleUnref(this.#clock, entry.cutValidation, this.#validateTimeoutMs);
    Promise.resolve()
      .then(() => validate(entry.resource))
      .then(
        (ok) => finish(ok === true),
        () => finish(false),
      );
  }

  #validated(entry: Entry<T>, waiter: Waiter<Lease<T>>, ok: boolean): void {
    this.#validating--;
    if (!ok) {
      this.#retire(entry);
      this.#waiters.requeue(waiter);
      this.#dispatch();
    } else if (waiter.settled) {
      this.#putBack(entry); // the caller timed out or aborted meanwhile
    } else {
      this.#waiters.settle(waiter, this.#lend(entry, waiter.site));
    }
  }

  #lend(entry: Entry<T>, site: object | undefined): Lease<T> {
    entry.state = BORROWED;
    entry.fresh = false;
    this.#borrowed++;
    const lease = new Lease<T>(this, entry);
    if (this.#leaks !== undefined) this.#leaks.watch(entry, lease, site);
    return lease;
  }

  #takeIdle(): Entry<T> {
    const entry = (this.#fifo ? this.#idle.head : this.#idle.tail)!;
    this.#idle.unlink(entry);
    return entry;
  }

  /** @internal Called by `Lease.release()`. */
  returnEntry(entry: Entry<T>): void {
    if (entry.state !== BORROWED) return; // destroyed by close() or reclaimed meanwhile
    this.#borrowed--;
    if (this.#leaks !== undefined) this.#leaks.unwatch(entry);
    this.#putBack(entry);
  }

  /** @internal Called by `Lease.destroy()`. */
  destroyEntry(entry: Entry<T>): Promise<void> {
    if (entry.state !== BORROWED) return Promise.resolve();
    this.#borrowed--;
    if (this.#leaks !== undefined) this.#leaks.unwatch(entry);
    return this.#retire(entry);
  }

  /** A resource is free again: give it to the next waiter, or retire it, or let it idle. */
  #putBack(entry: Entry<T>): void {
    if (
      this.#closed ||
      (this.#maxLifetimeMs !== INFINITY &&
        this.#clock.now() - entry.createdAt >= this.#maxLifetimeMs)
    ) {
      this.#retire(entry);
      return;
    }
    const waiter = this.#waiters.peek();
    if (waiter !== undefined) {
      this.#hand(entry, waiter);
      return;
    }
    entry.state = IDLE;
    if (this.#idleTimeoutMs !== INFINITY) entry.idleSince = this.#clock.now();
    this.#idle.push(entry);
  }

  #timedOut(waiter: Waiter<Lease<T>>): Error {
    this.#timeouts++;
    const waitedMs = Math.round(this.#clock.now() - waiter.enqueuedAt);
    if (channels.timeout.hasSubscribers) channels.timeout.publish({ name: this.#name, waitedMs });
    const cause = this.#lastCreateError;
    return new PoolTimeoutError(waitedMs, cause === undefined ? undefined : { cause });
  }

  // ---- making and unmaking resources -----------------------------------------------------

  #size(): number {
    return this.#idle.size + this.#borrowed + this.#validating + this.#creating + this.#destroying;
  }

  #startCreate(): void {
    this.#creating++;
    const controller = new AbortController();
    let settled = false;
    const timer = scheduleUnref(
      this.#clock,
      () => {
        if (settled) return;
        settled = true;
        const error = new CreateTimeoutError(this.#createTimeoutMs);
        controller.abort(error);
        this.#creating--;
        this.#createFailed(error);
      },
      this.#createTimeoutMs,
    );
    let attempt: Promise<T>;
    try {
      attempt = Promise.resolve(this.#create({ signal: controller.signal }));
    } catch (error) {
      attempt = Promise.reject(error);
    }
    attempt.then(
      (resource) => {
        if (settled) {
          // It arrived after its timeout; its slot was already given up.
          this.#destroyLate(resource);
          return;
        }
        settled = true;
        this.#clock.clearTimeout(timer);
        this.#creating--;
        this.#created++;
        this.#lastCreateError = undefined;
        const entry = new Entry(resource, this.#clock.now());
        this.#entries.add(entry);
        this.#putBack(entry);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        this.#clock.clearTimeout(timer);
        this.#creating--;
        this.#createFailed(error);
      },
    );
  }

  #createFailed(error: unknown): void {
    this.#lastCreateError = error;
    this.emit('createError', error);
    if (channels.createError.hasSubscribers) {
      channels.createError.publish({ name: this.#name, error });
    }
    if (this.#closed) {
      this.#checkDrained();
      return;
    }
    if (this.#createRetryDelayMs === undefined) {
      // One failed create answers one caller: the next in line gets the error, so a create
      // that always fails empties the line instead of leaving anyone pending.
      const waiter = this.#waiters.peek();
      if (waiter !== undefined) this.#waiters.fail(waiter, error);
      this.#dispatch();
      if (this.#size() < this.#min) this.#retryWarmLater(this.#reapIntervalMs);
    } else if (this.#createPause === undefined) {
      this.#createPause = scheduleUnref(
        this.#clock,
        () => {
          this.#createPause = undefined;
          this.#dispatch();
          this.#ensureMin();
        },
        this.#createRetryDelayMs,
      );
    }
  }

  #retryWarmLater(delayMs: number): void {
    if (this.#warmRetry !== undefined || this.#closed) return;
    this.#warmRetry = scheduleUnref(
      this.#clock,
      () => {
        this.#warmRetry = undefined;
        this.#ensureMin();
      },
      delayMs,
    );
  }

  #ensureMin(): void {
    while (
      !this.#closed &&
      this.#createPause === undefined &&
      this.#warmRetry === undefined &&
      this.#size() < this.#min
    ) {
      this.#startCreate();
    }
  }

  /** Destroy a resource the pool holds. Resolves when done; never rejects. */
  #retire(entry: Entry<T>): Promise<void> {
    entry.state = DESTROYED;
    this.#entries.delete(entry);
    this.#destroying++;
    return new Promise<void>((resolve) => {
      let settled = false;
      const finish = (failed: boolean, error?: unknown): void => {
        if (settled) return;
        settled = true;
        this.#clock.clearTimeout(timer);
        this.#destroying--;
        this.#destroyed++;
        if (failed) this.#destroyFailed(error, entry.resource);
        resolve();
        this.#slotFreed();
      };
      const timer = scheduleUnref(
        this.#clock,
        () => finish(true, new Error(`destroy did not settle within ${this.#destroyTimeoutMs} ms`)),
        this.#destroyTimeoutMs,
      );
      try {
        Promise.resolve(this.#destroy(entry.resource)).then(
          () => finish(false),
          (error: unknown) => finish(true, error),
        );
      } catch (error) {
        finish(true, error);
      }
    });
  }

  #destroyLate(resource: T): void {
    try {
      Promise.resolve(this.#destroy(resource)).catch((error: unknown) =>
        this.#destroyFailed(error, resource),
      );
    } catch (error) {
      this.#destroyFailed(error, resource);
    }
  }

  #destroyFailed(error: unknown, resource: T): void {
    this.emit('destroyError', error, resource);
    if (channels.destroyError.hasSubscribers) {
      channels.destroyError.publish({ name: this.#name, error });
    }
  }

  #slotFreed(): void {
    if (this.#closed) {
      this.#checkDrained();
      return;
    }
    this.#dispatch();
    this.#ensureMin();
  }

  // ---- leaks -------------------------------------------------------------------------------

  #reportLeak(kind: LeakReport<T>['kind'], entry: Entry<T>, heldMs: number): void {
    if (!entry.leakReported || kind === 'held-too-long') this.#leakCount++;
    this.#leaks!.leakSeen();
    const report: LeakReport<T> = {
      kind,
      name: this.#name,
      resource: entry.resource,
      heldMs,
      stack: formatSite(entry.site),
    };
    this.emit('leak', report);
    if (channels.leak.hasSubscribers) channels.leak.publish({ name: this.#name, report });
  }

  /** A lease was garbage-collected unreleased: report it and reclaim its slot. */
  #collected(entry: Entry<T>): void {
    if (entry.state !== BORROWED) return;
    this.#leaks!.forget(entry);
    this.#reportLeak('collected', entry, this.#clock.now() - entry.borrowedAt);
    entry.site = undefined;
    this.#borrowed--;
    this.#retire(entry);
  }

  // ---- background work and shutdown --------------------------------------------------------

  #scheduleReap(): void {
    this.#reaper = scheduleUnref(this.#clock, () => this.#reap(), this.#reapIntervalMs);
  }

  /** Retire over-age resources, and idle ones past `idleTimeoutMs` while above `min`. */
  #reap(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    let live = this.#size() - this.#destroying;
    for (let entry = this.#idle.head; entry !== undefined; ) {
      const next = entry.next;
      const overAge = now - entry.createdAt >= this.#maxLifetimeMs;
      const idleTooLong = live > this.#min && now - entry.idleSince >= this.#idleTimeoutMs;
      if (overAge || idleTooLong) {
        this.#idle.unlink(entry);
        this.#retire(entry);
        live--;
      }
      entry = next;
    }
    this.#ensureMin();
    this.#scheduleReap();
  }

  async clear(): Promise<void> {
    const retiring: Promise<void>[] = [];
    for (let entry = this.#idle.head; entry !== undefined; entry = this.#idle.head) {
      this.#idle.unlink(entry);
      retiring.push(this.#retire(entry));
    }
    await Promise.all(retiring);
  }

  close(timeoutMs = 30_000): Promise<void> {
    if (this.#drained !== undefined) return this.#drained;
    checkDuration('timeoutMs', timeoutMs, 0);
    this.#closed = true;
    for (const timer of [this.#reaper, this.#createPause, this.#warmRetry]) {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
    }
    this.#drained = new Promise<void>((resolve) => {
      this.#resolveDrained = resolve;
    });
    this.#waiters.failAll(() => new PoolClosedError());
    for (let entry = this.#idle.head; entry !== undefined; entry = this.#idle.head) {
      this.#idle.unlink(entry);
      this.#retire(entry);
    }
    // Creates and destroys end by their own timeouts; borrowed leases and checks still running
    // get `timeoutMs`, then their resources are destroyed.
    if (this.#borrowed > 0 || this.#validating > 0) {
      this.#drainTimer = scheduleUnref(this.#clock, () => this.#forceDestroyBorrowed(), timeoutMs);
    }
    this.#checkDrained();
    return this.#drained;
  }

  drain(timeoutMs?: number): Promise<void> {
    return this.close(timeoutMs);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #forceDestroyBorrowed(): void {
    this.#drainTimer = undefined;
    for (const entry of this.#entries) {
      if (entry.state === VALIDATING) entry.cutValidation?.();
      if (entry.state !== BORROWED) continue;
      this.#borrowed--;
      if (this.#leaks !== undefined) this.#leaks.unwatch(entry);
      this.#retire(entry);
    }
  }

  #checkDrained(): void {
    if (this.#resolveDrained === undefined || this.#size() > 0) return;
    if (this.#drainTimer !== undefined) this.#clock.clearTimeout(this.#drainTimer);
    this.#leaks?.stop();
    const resolve = this.#resolveDrained;
    this.#resolveDrained = undefined;
    resolve();
  }

  stats(): PoolStats {
    return {
      name: this.#name,
      size: this.#size(),
      available: this.#idle.size,
      borrowed: this.#borrowed,
      waiting: this.#waiters.pending,
      creating: this.#creating,
      validating: this.#validating,
      destroying: this.#destroying,
      created: this.#created,
      destroyed: this.#destroyed,
      timeouts: this.#timeouts,
      rejected: this.#rejected,
      leaks: this.#leakCount,
      max: this.#max,
      min: this.#min,
    };
  }
}
