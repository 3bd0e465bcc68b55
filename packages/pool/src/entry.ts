// One pooled resource and the pool's bookkeeping about it. An entry is on at most one intrusive
// list at a time (`prev`/`next`): the idle list while idle, the leak watch list while borrowed
// with leak detection on. It never references the lease that borrows it, so a lease the caller
// drops can be garbage-collected and reported.

export const IDLE = 0;
export const BORROWED = 1;
export const VALIDATING = 2;
export const DESTROYED = 3;
export type EntryState = typeof IDLE | typeof BORROWED | typeof VALIDATING | typeof DESTROYED;

export class Entry<T> {
  state: EntryState = IDLE;
  /** Not lent yet: fresh from `create`, so not validated (a validate that always fails must not spin). */
  fresh = true;
  prev: Entry<T> | undefined = undefined;
  next: Entry<T> | undefined = undefined;
  /** When it is to retire (see lifetime.ts); `Infinity` when lifetimes are unlimited. */
  retireAt = Number.POSITIVE_INFINITY;
  /** When it last went back to the idle list (only kept when `idleTimeoutMs` is set). */
  idleSince = 0;
  /** Leak detection: when the current lease began, where it was acquired, and whether reported. */
  borrowedAt = 0;
  site: object | undefined = undefined;
  /** The lease, held strongly only until the leak detector's next tick hands it to the registry. */
  lease: object | undefined = undefined;
  /** While `validate` runs: ends the check now as failed (its timeout, or close()'s). */
  cutValidation: (() => void) | undefined = undefined;
  watched = false;
  registered = false;
  leakReported = false;

  constructor(
    readonly resource: T,
    readonly createdAt: number,
  ) {}
}

/** A doubly linked list threaded through the entries themselves: O(1) push, pop, unlink. */
export class EntryList<T> {
  head: Entry<T> | undefined = undefined;
  tail: Entry<T> | undefined = undefined;
  size = 0;

  push(entry: Entry<T>): void {
    const tail = this.tail;
    entry.prev = tail;
    entry.next = undefined;
    if (tail) tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    this.size++;
  }

  unlink(entry: Entry<T>): void {
    const { prev, next } = entry;
    if (prev) prev.next = next;
    else this.head = next;
    if (next) next.prev = prev;
    else this.tail = prev;
    entry.prev = entry.next = undefined;
    this.size--;
  }
}
