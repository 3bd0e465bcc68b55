// The resource pool's algorithm. Reading order: `acquire` and its fast path, `#dispatch`
// (matching waiters with idle resources and starting creates), the life cycle of one resource
// (create -> idle -> borrowed -> back, or retired), leaks, then the background work (keeping
// `min` warm, `ready()`, retiring idle and over-age resources, closing). The public types are in
// pool-types.ts, the option checks in pool-settings.ts, the timed user callbacks in
// resource-calls.ts, the waiting line in waiter-queue.ts, leak detection in leak-detector.ts.
//
// Accounting: every resource that exists or is being made or unmade occupies one of `max` slots:
//   size = idle + borrowed + validating + creating + destroying  <=  max.

import { EventEmitter } from 'node:events';
import { checkSignal } from '@bulwark/kernel';
import { channels } from './channels.js';
import { checkDuration, checkPriority } from './check-options.js';
import { type Clock, scheduleUnref } from './clock.js';
import { BORROWED, DESTROYED, Entry, EntryList, IDLE, VALIDATING } from './entry.js';
import { PoolClosedError, PoolTimeoutError, QueueFullError } from './errors.js';
import { formatSite, LeakDetector } from './leak-detector.js';
import { Lease, type LeaseOwner } from './lease.js';
import { retireAt } from './lifetime.js';
import { type PoolSettings, readSettings } from './pool-settings.js';
import type {
  AcquireOptions,
  LeakReport,
  Pool,
  PoolEvents,
  PoolOptions,
  PoolStats,
  ReadyOptions,
} from './pool-types.js';
import { ReadyWaiters } from './ready-waiters.js';
import { runCreate, runDestroy, runValidate } from './resource-calls.js';
import { type Waiter, WaiterQueue } from './waiter-queue.js';

/**
 * Make a resource pool. Options are checked here; bad ones throw `TypeError`/`RangeError`, and an
 * unknown option key a `TypeError` naming the nearest valid one.
 */
export function createPool<T>(options: PoolOptions<T>): Pool<T> {
  return new ResourcePool(options);
}

const INFINITY = Number.POSITIVE_INFINITY;

class ResourcePool<T> extends EventEmitter<PoolEvents<T>> implements Pool<T>, LeaseOwner<T> {
  readonly #settings: PoolSettings<T>;
  // The settings the hot path reads, as own fields.
  readonly #validate: PoolSettings<T>['validate'];
  readonly #max: number;
  readonly #maxWaiting: number;
  readonly #fifo: boolean;
  readonly #idleTimeoutMs: number;
  readonly #name: string;
  readonly #clock: Clock;

  readonly #waiters: WaiterQueue<Lease<T>>;
  readonly #idle = new EntryList<T>();
  /** Every resource that exists (idle, borrowed, validating), so close() can find them all. */
  readonly #entries = new Set<Entry<T>>();
  readonly #leaks: LeakDetector<T> | undefined;
  readonly #ready = new ReadyWaiters();

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
    const settings = readSettings(options);
    this.#settings = settings;
    this.#validate = settings.validate;
    this.#max = settings.max;
    this.#maxWaiting = settings.maxWaiting;
    this.#fifo = settings.fifo;
    this.#idleTimeoutMs = settings.idleTimeoutMs;
    this.#name = settings.name;
    const clock = settings.clock;
    this.#clock = clock;
    this.#waiters = new WaiterQueue<Lease<T>>(clock, settings.acquireTimeoutMs, (waiter) =>
      this.#timedOut(waiter),
    );
    if (settings.leakDetectionMs !== undefined) {
      this.#leaks = new LeakDetector<T>(
        clock,
        settings.leakDetectionMs,
        settings.leakStacks,
        (entry, heldMs) => this.#reportLeak('held-too-long', entry, heldMs),
        (entry) => this.#collected(entry),
      );
    }
    if (this.#idleTimeoutMs !== INFINITY || settings.maxLifetimeMs !== INFINITY) {
      this.#scheduleReap();
    }
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

  /** Give a free resource to a waiter: at once, or after `validate` passes it. */
  #hand(entry: Entry<T>, waiter: Waiter<Lease<T>>): void {
    const validate = this.#validate;
    if (validate === undefined || entry.fresh) {
      this.#waiters.settle(waiter, this.#lend(entry, waiter.site));
      return;
    }
    // The waiter leaves the line while its resource is checked, but its timeout keeps running.
    this.#waiters.unqueue(waiter);
    entry.state = VALIDATING;
    this.#validating++;
    entry.cutValidation = runValidate(
      validate,
      entry.resource,
      this.#clock,
      this.#settings.validateTimeoutMs,
      (ok) => {
        entry.cutValidation = undefined;
        this.#validated(entry, waiter, ok);
      },
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
    if (this.#closed || (entry.retireAt !== INFINITY && this.#clock.now() >= entry.retireAt)) {
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
    const settings = this.#settings;
    runCreate(
      settings.create,
      this.#clock,
      settings.createTimeoutMs,
      (resource) => this.#createSucceeded(resource),
      (error) => {
        this.#creating--;
        this.#createFailed(error);
      },
      (resource) => this.#destroyLate(resource),
    );
  }

  #createSucceeded(resource: T): void {
    this.#creating--;
    this.#created++;
    this.#lastCreateError = undefined;
    const settings = this.#settings;
    const now = this.#clock.now();
    const entry = new Entry(resource, now);
    entry.retireAt = retireAt(
      now,
      settings.maxLifetimeMs,
      settings.maxLifetimeJitter,
      settings.random,
    );
    this.#entries.add(entry);
    this.#putBack(entry);
    if (this.#ready.size > 0 && this.#live() >= settings.min) this.#ready.resolveAll();
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
    // `ready()` callers learn of the failure at once; the pool keeps refilling behind them.
    if (this.#ready.size > 0) this.#ready.rejectAll(error);
    const retryDelayMs = this.#settings.createRetryDelayMs;
    if (retryDelayMs === undefined) {
      // One failed create answers one caller: the next in line gets the error, so a create
      // that always fails empties the line instead of leaving anyone pending.
      const waiter = this.#waiters.peek();
      if (waiter !== undefined) this.#waiters.fail(waiter, error);
      this.#dispatch();
      if (this.#size() < this.#settings.min) this.#retryWarmLater(this.#settings.reapIntervalMs);
    } else if (this.#createPause === undefined) {
      this.#createPause = scheduleUnref(
        this.#clock,
        () => {
          this.#createPause = undefined;
          this.#dispatch();
          this.#ensureMin();
        },
        retryDelayMs,
      );
    }
  }

  /** Destroy a resource the pool holds. Resolves when done; never rejects. */
  #retire(entry: Entry<T>): Promise<void> {
    entry.state = DESTROYED;
    this.#entries.delete(entry);
    this.#destroying++;
    return new Promise<void>((resolve) => {
      runDestroy(
        this.#settings.destroy,
        entry.resource,
        this.#clock,
        this.#settings.destroyTimeoutMs,
        (failed, error) => {
          this.#destroying--;
          this.#destroyed++;
          if (failed) this.#destroyFailed(error, entry.resource);
          resolve();
          this.#slotFreed();
        },
      );
    });
  }

  /** A resource whose create had already timed out: its slot is gone, destroy it quietly. */
  #destroyLate(resource: T): void {
    runDestroy(
      this.#settings.destroy,
      resource,
      this.#clock,
      this.#settings.destroyTimeoutMs,
      (failed, error) => {
        if (failed) this.#destroyFailed(error, resource);
      },
    );
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

  // ---- keeping `min` warm, and ready() ------------------------------------------------------

  /** Resources that exist now: made, and not being destroyed. */
  #live(): number {
    return this.#idle.size + this.#borrowed + this.#validating;
  }

  #ensureMin(): void {
    while (
      !this.#closed &&
      this.#createPause === undefined &&
      this.#warmRetry === undefined &&
      this.#size() < this.#settings.min
    ) {
      this.#startCreate();
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

  ready(options?: ReadyOptions): Promise<void> {
    if (this.#closed) return Promise.reject(new PoolClosedError());
    let signal: AbortSignal | undefined;
    try {
      signal = checkSignal('signal', options?.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#live() >= this.#settings.min) return Promise.resolve();
    return this.#ready.wait(signal);
  }

  // ---- retiring idle and over-age resources ------------------------------------------------

  #scheduleReap(): void {
    this.#reaper = scheduleUnref(this.#clock, () => this.#reap(), this.#settings.reapIntervalMs);
  }

  /** Retire over-age resources, and idle ones past `idleTimeoutMs` while above `min`. */
  #reap(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    const min = this.#settings.min;
    let live = this.#size() - this.#destroying;
    for (let entry = this.#idle.head; entry !== undefined; ) {
      const next = entry.next;
      const overAge = now >= entry.retireAt;
      const idleTooLong = live > min && now - entry.idleSince >= this.#idleTimeoutMs;
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

  // ---- shutdown ----------------------------------------------------------------------------

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
    if (this.#ready.size > 0) this.#ready.rejectAll(new PoolClosedError());
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
      min: this.#settings.min,
    };
  }
}
