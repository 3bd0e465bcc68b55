// The line of callers waiting for a resource or a permit, shared by the pool and the semaphore.
//
// Each waiter sits on two intrusive lists at once:
//  - the service order: higher `priority` first, first-come first-served within a priority;
//  - the deadline order: the order of arrival. Every waiter of one queue waits the same
//    `timeoutMs`, so arrival order is deadline order and ONE timer, armed for the oldest
//    waiter, enforces every timeout. No per-waiter timer is created or cleared.
// Reading the clock costs about as much as the rest of an enqueue, so only a waiter that finds
// the line empty reads it. One that joins a line gets stamped by the next tick of the timer,
// which ticks at least every `tickMs` while anyone waits. A stamp is never earlier than the
// arrival, so no one times out early; under contention a timeout comes at most `tickMs` late.
// A waiter leaves the service order when it is handed something (and may come back, say after
// a resource failed validation) but stays on the deadline list until it settles, so its clock
// keeps running. Every waiter settles exactly once: handed a value, timed out, aborted, or
// rejected by its owner.

import { type Clock, scheduleUnref } from './clock.js';
import { PoolTimeoutError } from './errors.js';

/** One pending `acquire`. Also the abort listener (`handleEvent`), so aborting needs no closure. */
export class Waiter<T> {
  resolve!: (value: T) => void;
  reject!: (reason: unknown) => void;
  /** Service-order links; `queued` says whether the waiter is on that list. */
  prev: Waiter<T> | undefined = undefined;
  next: Waiter<T> | undefined = undefined;
  queued = false;
  /** Deadline-order links. */
  older: Waiter<T> | undefined = undefined;
  newer: Waiter<T> | undefined = undefined;
  settled = false;

  constructor(
    readonly owner: WaiterQueue<T>,
    readonly priority: number,
    /** Arrival number: breaks ties within a priority, first come first served. */
    readonly seq: number,
    /** When it joined the line (or a little later, see above); -1 until stamped. */
    public enqueuedAt: number,
    readonly signal: AbortSignal | undefined,
    /** Whatever the owner wants to carry along (the pool keeps the acquire stack here). */
    readonly site: object | undefined,
  ) {}

  handleEvent(): void {
    if (this.settled) return;
    this.owner.fail(this, this.signal!.reason);
  }
}

export class WaiterQueue<T> {
  #head: Waiter<T> | undefined = undefined;
  #tail: Waiter<T> | undefined = undefined;
  #oldest: Waiter<T> | undefined = undefined;
  #newest: Waiter<T> | undefined = undefined;
  #queued = 0;
  #pending = 0;
  #seq = 0;
  #timer: unknown = undefined;
  readonly #onTimer = (): void => this.#expire();
  readonly #timed: boolean;
  /** The longest the timer waits between ticks while anyone waits. */
  readonly tickMs: number;

  constructor(
    readonly clock: Clock,
    /** How long each waiter may wait; `Infinity` for no limit. */
    readonly timeoutMs: number,
    /** Called when a waiter times out, just before it is rejected; returns the error to use. */
    readonly timeoutError: (waiter: Waiter<T>) => Error = (waiter) =>
      new PoolTimeoutError(Math.round(clock.now() - waiter.enqueuedAt)),
  ) {
    this.#timed = timeoutMs !== Number.POSITIVE_INFINITY;
    this.tickMs = Math.max(1, Math.min(Math.floor(timeoutMs / 8), 250));
  }

  /** Waiters in the service order (not counting those handed something and not yet settled). */
  get queued(): number {
    return this.#queued;
  }

  /** Waiters not yet settled. */
  get pending(): number {
    return this.#pending;
  }

  /** The next waiter to serve, or undefined. */
  peek(): Waiter<T> | undefined {
    return this.#head;
  }

  /** Add a caller; the promise settles through `settle`, `fail`, its timeout or its signal. */
  enqueue(priority: number, signal: AbortSignal | undefined, site: object | undefined): Promise<T> {
    const waiter = new Waiter<T>(this, priority, ++this.#seq, -1, signal, site);
    const promise = new Promise<T>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    this.#pending++;
    this.#insertByPriority(waiter);
    const newest = this.#newest;
    waiter.older = newest;
    if (newest) newest.newer = waiter;
    else this.#oldest = waiter;
    this.#newest = waiter;
    if (this.#timed) {
      if (newest === undefined) waiter.enqueuedAt = this.clock.now();
      if (this.#timer === undefined) {
        this.#timer = scheduleUnref(
          this.clock,
          this.#onTimer,
          Math.min(this.tickMs, this.timeoutMs),
        );
      }
    }
    if (signal) signal.addEventListener('abort', waiter);
    return promise;
  }

  /** Take the waiter off the service order (it keeps its deadline), e.g. while validating. */
  unqueue(waiter: Waiter<T>): void {
    if (!waiter.queued) return;
    const { prev, next } = waiter;
    if (prev) prev.next = next;
    else this.#head = next;
    if (next) next.prev = prev;
    else this.#tail = prev;
    waiter.prev = waiter.next = undefined;
    waiter.queued = false;
    this.#queued--;
  }

  /** Put a waiter that was taken off back in line, at its original place. */
  requeue(waiter: Waiter<T>): void {
    if (waiter.settled || waiter.queued) return;
    this.#insertByPriority(waiter);
  }

  /** Resolve a waiter with a value. */
  settle(waiter: Waiter<T>, value: T): void {
    this.#remove(waiter);
    waiter.resolve(value);
  }

  /** Reject a waiter. */
  fail(waiter: Waiter<T>, reason: unknown): void {
    if (waiter.settled) return;
    this.#remove(waiter);
    waiter.reject(reason);
  }

  /** Reject every pending waiter (the owner is closing). */
  failAll(reason: () => unknown): void {
    for (let waiter = this.#oldest; waiter; waiter = this.#oldest) this.fail(waiter, reason());
  }

  #insertByPriority(waiter: Waiter<T>): void {
    // Walk back from the tail past every waiter that should be served after this one: those of
    // lower priority, and, of equal priority, those that arrived later. With one priority in
    // use this stops at once, so the common case is O(1).
    let before = this.#tail;
    while (
      before &&
      (before.priority < waiter.priority ||
        (before.priority === waiter.priority && before.seq > waiter.seq))
    ) {
      before = before.prev;
    }
    const after = before ? before.next : this.#head;
    waiter.prev = before;
    waiter.next = after;
    if (before) before.next = waiter;
    else this.#head = waiter;
    if (after) after.prev = waiter;
    else this.#tail = waiter;
    waiter.queued = true;
    this.#queued++;
  }

  #remove(waiter: Waiter<T>): void {
    this.unqueue(waiter);
    const { older, newer } = waiter;
    if (older) older.newer = newer;
    else this.#oldest = newer;
    if (newer) newer.older = older;
    else this.#newest = older;
    waiter.older = waiter.newer = undefined;
    waiter.settled = true;
    this.#pending--;
    if (waiter.signal) waiter.signal.removeEventListener('abort', waiter);
  }

  #expire(): void {
    this.#timer = undefined;
    const now = this.clock.now();
    // Stamp the arrivals since the last tick: the newest end of the line, back to a stamped one.
    for (let waiter = this.#newest; waiter !== undefined && waiter.enqueuedAt < 0; ) {
      waiter.enqueuedAt = now;
      waiter = waiter.older;
    }
    let oldest = this.#oldest;
    while (oldest && oldest.enqueuedAt + this.timeoutMs <= now) {
      this.fail(oldest, this.timeoutError(oldest));
      oldest = this.#oldest;
    }
    // Waiters behind the oldest arrived later, so their deadlines are later too.
    if (oldest) {
      const untilDeadline = oldest.enqueuedAt + this.timeoutMs - now;
      this.#timer = scheduleUnref(this.clock, this.#onTimer, Math.min(this.tickMs, untilDeadline));
    }
  }
}
