// Leak detection: a lease held longer than `thresholdMs` is reported once; a lease collected by
// the garbage collector without being released is reported and handed to `onCollected` so the
// pool can reclaim its slot.
//
// The hot path (watch on borrow, unwatch on release) does no clock read, no timer work and no
// FinalizationRegistry call; it links the entry into a list and keeps the lease in a field.
// A timer ticks every quarter threshold while leases are out and does the rest:
//  - it registers with the FinalizationRegistry only the leases that have lived through a tick
//    (short borrows, the vast majority, never touch the registry), then drops the strong
//    reference, so from then on a lease the caller drops can be collected;
//  - it stamps new borrows with the tick's time and reports those past the threshold. A stamp is
//    never later than the real borrow, so nothing is reported early; a report comes between
//    `thresholdMs` and `thresholdMs` plus one tick after the borrow.
// Stacks: capturing one costs microseconds in V8, more than a whole borrow. With `stacks:
// 'always'` every acquire captures; with 'after-first-leak' none does until a leak is seen, and
// every acquire from then on does (leaks in real programs repeat, so later reports carry it).

import { type Clock, scheduleUnref } from './clock.js';
import { type Entry, EntryList } from './entry.js';

/** When acquire stacks are captured for leak reports. */
export type LeakStacks = 'always' | 'after-first-leak' | 'never';

export class LeakDetector<T> {
  readonly tickMs: number;
  /** Whether `acquire` should capture its stack now. */
  captureStacks: boolean;
  #lastTick = 0;
  #timer: unknown = undefined;
  #stopped = false;
  readonly #watched = new EntryList<T>();
  readonly #registry: FinalizationRegistry<Entry<T>>;
  readonly #onTimer = (): void => this.#tick();

  constructor(
    readonly clock: Clock,
    readonly thresholdMs: number,
    readonly stacks: LeakStacks,
    readonly onHeldTooLong: (entry: Entry<T>, heldMs: number) => void,
    onCollected: (entry: Entry<T>) => void,
  ) {
    this.tickMs = Math.max(1, Math.floor(thresholdMs / 4));
    this.captureStacks = stacks === 'always';
    this.#registry = new FinalizationRegistry(onCollected);
  }

  /** Record the caller's stack; V8 formats it only if a report reads it. */
  captureSite(skipAbove: (...args: never[]) => unknown): object {
    const site = {};
    Error.captureStackTrace(site, skipAbove);
    return site;
  }

  /** A leak was seen: in 'after-first-leak' mode, start capturing stacks. */
  leakSeen(): void {
    if (this.stacks === 'after-first-leak') this.captureStacks = true;
  }

  /** Start watching the lease that just borrowed `entry`. */
  watch(entry: Entry<T>, lease: object, site: object | undefined): void {
    if (this.#timer === undefined && !this.#stopped) {
      this.#lastTick = this.clock.now();
      this.#timer = scheduleUnref(this.clock, this.#onTimer, this.tickMs);
    }
    entry.borrowedAt = this.#lastTick;
    entry.site = site;
    entry.lease = lease;
    entry.leakReported = false;
    entry.watched = true;
    this.#watched.push(entry);
  }

  /** Stop watching: the lease was released or destroyed, or its entry force-destroyed. */
  unwatch(entry: Entry<T>): void {
    if (entry.watched) {
      entry.watched = false;
      this.#watched.unlink(entry);
    }
    entry.lease = undefined;
    entry.site = undefined;
    if (entry.registered) {
      entry.registered = false;
      this.#registry.unregister(entry);
    }
  }

  /** The lease of `entry` was collected; the registry has already forgotten it. */
  forget(entry: Entry<T>): void {
    if (entry.watched) {
      entry.watched = false;
      this.#watched.unlink(entry);
    }
    entry.registered = false;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    this.#timer = undefined;
    const now = this.clock.now();
    this.#lastTick = now;
    // Borrows since the last tick sit at the tail; hand them to the registry, weakly.
    for (let entry = this.#watched.tail; entry?.lease !== undefined; entry = entry.prev) {
      this.#registry.register(entry.lease, entry, entry);
      entry.registered = true;
      entry.lease = undefined;
    }
    const reportAfter = this.thresholdMs + this.tickMs;
    for (
      let oldest = this.#watched.head;
      oldest !== undefined && now - oldest.borrowedAt >= reportAfter;
      oldest = this.#watched.head
    ) {
      // Reported once: it leaves the watch list, but stays registered for the GC path.
      oldest.watched = false;
      oldest.leakReported = true;
      this.#watched.unlink(oldest);
      this.onHeldTooLong(oldest, now - oldest.borrowedAt);
    }
    if (this.#watched.size > 0 && !this.#stopped) {
      this.#timer = scheduleUnref(this.clock, this.#onTimer, this.tickMs);
    }
  }
}

/** Turn a captured site into the text a report shows: the caller's frames under a clear title. */
export function formatSite(site: object | undefined): string | undefined {
  const stack = (site as { stack?: unknown } | undefined)?.stack;
  if (typeof stack !== 'string') return undefined;
  return stack.replace(/^[^\n]*/, 'Lease acquired');
}
