/**
 * A clock that tests move by hand. `now()` changes only when the test calls `advance`, and timers
 * scheduled on the clock fire, in order of due time, as the clock passes them. It has the shape
 * the Bulwark packages accept as their `clock` option, so code under test never sleeps.
 */

/** The handle `FakeClock.setTimeout` returns; `unref`/`ref` exist so code written for Node timers runs unchanged. */
export interface FakeTimer {
  readonly id: number;
  unref(): FakeTimer;
  ref(): FakeTimer;
  hasRef(): boolean;
}

interface Scheduled {
  timer: FakeTimer;
  dueAt: number;
  // Insertion order breaks ties between timers due at the same instant, as Node does.
  seq: number;
  callback: () => void;
  intervalMs: number | undefined;
}

export class FakeClock {
  #now: number;
  #seq = 0;
  readonly #scheduled = new Map<number, Scheduled>();

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  /** Milliseconds on the fake time line. Bound, so `{ now: clock.now }` works. */
  readonly now = (): number => this.#now;

  readonly setTimeout = (callback: () => void, ms = 0): FakeTimer =>
    this.#schedule(callback, ms, undefined);

  readonly setInterval = (callback: () => void, ms = 0): FakeTimer =>
    this.#schedule(callback, ms, Math.max(1, ms));

  readonly clearTimeout = (handle: unknown): void => {
    if (handle && typeof handle === 'object' && 'id' in handle) {
      this.#scheduled.delete((handle as FakeTimer).id);
    }
  };

  readonly clearInterval = this.clearTimeout;

  /** How many timers are waiting to fire. */
  get pendingTimers(): number {
    return this.#scheduled.size;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way, synchronously. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance(ms): ms must be >= 0, got ${ms}`);
    const target = this.#now + ms;
    for (let next = this.#nextDue(target); next; next = this.#nextDue(target)) {
      this.#now = next.dueAt;
      this.#fire(next);
    }
    this.#now = target;
  }

  /**
   * Like `advance`, but lets promise callbacks run after each timer fires, so async code that
   * awaits between timers (a retry loop, a pool waiter) progresses as it would in real time.
   */
  async advanceAsync(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advanceAsync(ms): ms must be >= 0, got ${ms}`);
    const target = this.#now + ms;
    await flushMicrotasks();
    for (let next = this.#nextDue(target); next; next = this.#nextDue(target)) {
      this.#now = next.dueAt;
      this.#fire(next);
      await flushMicrotasks();
    }
    this.#now = target;
  }

  /** Jump straight to the time the next timer is due and fire it; false when none is pending. */
  async runNext(): Promise<boolean> {
    const next = this.#nextDue(Number.POSITIVE_INFINITY);
    if (!next) return false;
    await this.advanceAsync(next.dueAt - this.#now);
    return true;
  }

  #schedule(callback: () => void, ms: number, intervalMs: number | undefined): FakeTimer {
    const id = ++this.#seq;
    let referenced = true;
    const timer: FakeTimer = {
      id,
      unref() {
        referenced = false;
        return timer;
      },
      ref() {
        referenced = true;
        return timer;
      },
      hasRef: () => referenced,
    };
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#scheduled.set(id, { timer, dueAt: this.#now + delay, seq: id, callback, intervalMs });
    return timer;
  }

  #nextDue(limit: number): Scheduled | undefined {
    let best: Scheduled | undefined;
    for (const entry of this.#scheduled.values()) {
      if (entry.dueAt > limit) continue;
      if (!best || entry.dueAt < best.dueAt || (entry.dueAt === best.dueAt && entry.seq < best.seq))
        best = entry;
    }
    return best;
  }

  #fire(entry: Scheduled): void {
    if (entry.intervalMs === undefined) {
      this.#scheduled.delete(entry.timer.id);
    } else {
      entry.dueAt += entry.intervalMs;
      entry.seq = ++this.#seq;
    }
    entry.callback();
  }
}

/** Resolve after every queued promise callback has run (one macrotask turn, no wall-clock wait). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
