/**
 * The leaky bucket as a queue: instead of dropping what does not fit, `schedule` makes each
 * request wait for its slot in a steady outflow of `leakPerSecond` units per second per key.
 */

import {
  checkClock,
  checkInteger,
  checkKnownKeys,
  checkObject,
  checkSignal,
  checkString,
  QueueFullError,
  systemClock,
  type TimerClock,
  typeError,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import { leakyBucket } from '../algorithms/specs.js';
import { channels, type QueueFullEvent } from '../channels.js';
import { ShaperClosedError } from '../errors.js';
import type { LeakyBucketSpec } from '../types.js';
import { badCost, badKey } from '../validate.js';

/** Options of {@link LeakyBucketShaper}. All are optional. */
export interface LeakyBucketShaperOptions {
  /** Time and timers. Default the kernel's `systemClock` (monotonic ms, the global timers). */
  clock?: TimerClock;
  /**
   * Most units allowed to wait per key; a request past it is rejected with `QueueFullError`.
   * Integer >= 1, default `capacity`.
   */
  maxWaiting?: number;
  /** Name in errors and events. Default `'default'`. */
  name?: string;
}

/** Options of {@link LeakyBucketShaper.schedule}. */
export interface ScheduleOptions {
  /** Aborting removes the request from the queue and rejects it with `signal.reason`. */
  signal?: AbortSignal;
  /** Units the request takes from the outflow. Integer in `[1, maxWaiting]`, default 1. */
  cost?: number;
}

/**
 * The checked arguments of a `schedule` call, shared by the memory and the Redis shaper.
 * @throws TypeError / RangeError for a bad key, options object, cost or signal.
 * @internal
 */
export function scheduleArgs(
  key: unknown,
  opts: unknown,
  maxWaiting: number,
): { signal: AbortSignal | undefined; cost: number } {
  if (typeof key !== 'string' || key.length === 0) badKey(key);
  checkKnownKeys(
    checkObject('schedule options', opts),
    SCHEDULE_OPTIONS,
    'schedule(key, options)',
    VOCABULARY_RENAMES,
  );
  const { signal, cost = 1 } = opts as ScheduleOptions;
  if (!(Number.isInteger(cost) && cost >= 1 && cost <= maxWaiting))
    badCost(cost, maxWaiting, 'maxWaiting');
  return { signal: checkSignal('signal', signal), cost };
}

const SCHEDULE_OPTIONS: ReadonlySet<string> = new Set(['signal', 'cost']);
const OPTIONS: ReadonlySet<string> = new Set(['clock', 'maxWaiting', 'name']);

/** A snapshot from {@link LeakyBucketShaper.stats}. */
export interface LeakyBucketShaperStats {
  /** The shaper's name. */
  name: string;
  /** Keys with state (waiting requests, or an outflow slot still in the future). */
  keys: number;
  /** Requests waiting, over all keys. */
  waiting: number;
  /** Units waiting, over all keys. */
  waitingUnits: number;
  /** Requests released (resolved). */
  released: number;
  /** Requests rejected with {@link QueueFullError}. */
  rejected: number;
  /** Requests rejected by their abort signal or by `close()`. */
  aborted: number;
}

interface Waiter {
  cost: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  prev: Waiter | undefined;
  next: Waiter | undefined;
}

interface KeyQueue {
  key: string;
  /** When the next unit may leave (ms, fractional). */
  nextAt: number;
  head: Waiter | undefined;
  tail: Waiter | undefined;
  /** Units waiting. */
  queued: number;
  timer: unknown;
}

/**
 * Leaky bucket as a shaper. Each key has an outflow of `leakPerSecond` units per second: a request
 * of `cost` occupies the outflow for `cost * 1000 / leakPerSecond` ms. `schedule` resolves when
 * the request's slot comes: at once when the key's outflow is free and nobody waits, else when
 * every request ahead of it (FIFO per key) has had its slot. At most `maxWaiting` units wait per key;
 * a request that would go past it is rejected with {@link QueueFullError} (it is not queued).
 * An aborted request leaves the queue, and those behind it move up.
 *
 * Slots are computed in fractional ms and timers are set to the next whole ms, so consecutive
 * releases of one key are at least `cost * 1000 / leakPerSecond - 1` ms apart and never drift.
 */
export class LeakyBucketShaper implements Disposable, AsyncDisposable {
  /** The spec this shaper runs. */
  readonly spec: LeakyBucketSpec;
  /** The name in errors and events. */
  readonly name: string;

  readonly #clock: TimerClock;
  readonly #maxWaiting: number;
  readonly #msPerUnit: number;
  readonly #keys = new Map<string, KeyQueue>();
  #sweepAt = 1024;
  #waiting = 0;
  #waitingUnits = 0;
  #released = 0;
  #rejected = 0;
  #aborted = 0;
  #closed = false;

  /**
   * @param spec A spec from `leakyBucket({ capacity, leakPerSecond })`.
   * @throws TypeError / RangeError naming a bad option.
   */
  constructor(spec: LeakyBucketSpec, opts: LeakyBucketShaperOptions = {}) {
    if (spec?.kind !== 'leaky-bucket')
      typeError('spec', 'a leakyBucket(...) spec', spec?.kind ?? spec);
    const o = checkObject<LeakyBucketShaperOptions>('options', opts);
    checkKnownKeys(o, OPTIONS, 'new LeakyBucketShaper(spec, options)', VOCABULARY_RENAMES);
    this.spec = leakyBucket(spec);
    this.name = checkString('name', o.name ?? 'default');
    this.#clock =
      o.clock === undefined ? systemClock : checkClock<TimerClock>('clock', o.clock, true);
    this.#maxWaiting = checkInteger('maxWaiting', o.maxWaiting ?? spec.capacity, 1);
    this.#msPerUnit = 1000 / spec.leakPerSecond;
  }

  /**
   * Waits for `key`'s next steady outflow slot.
   * @returns A promise resolving at the slot; rejecting with `QueueFullError` when `maxWaiting`
   *   units already wait, with `signal.reason` on abort, or with `ShaperClosedError` once
   *   `close()` was called (nothing is scheduled then).
   * @throws TypeError / RangeError (synchronously) for a bad key or cost.
   */
  schedule(key: string, opts: ScheduleOptions = {}): Promise<void> {
    const { signal, cost } = scheduleArgs(key, opts, this.#maxWaiting);
    if (this.#closed) return Promise.reject(new ShaperClosedError(this.name));
    if (signal?.aborted) {
      this.#aborted++;
      return Promise.reject(signal.reason);
    }
    const now = this.#clock.now();
    let q = this.#keys.get(key);
    if (q === undefined) {
      if (this.#keys.size >= this.#sweepAt) this.#sweep(now);
      q = { key, nextAt: now, head: undefined, tail: undefined, queued: 0, timer: undefined };
      this.#keys.set(key, q);
    }
    if (q.head === undefined && q.nextAt <= now) {
      q.nextAt = now + cost * this.#msPerUnit;
      this.#released++;
      return Promise.resolve();
    }
    if (q.queued + cost > this.#maxWaiting) {
      this.#rejected++;
      if (channels.queueFull.hasSubscribers) {
        const event: QueueFullEvent = { name: this.name, key, cost, waiting: q.queued };
        channels.queueFull.publish(event);
      }
      return Promise.reject(
        new QueueFullError(this.#maxWaiting, `queue of key ${JSON.stringify(key)}`),
      );
    }
    const queue = q;
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        cost,
        resolve,
        reject,
        signal,
        onAbort: undefined,
        prev: queue.tail,
        next: undefined,
      };
      if (queue.tail) queue.tail.next = w;
      else queue.head = w;
      queue.tail = w;
      queue.queued += cost;
      this.#waiting++;
      this.#waitingUnits += cost;
      if (signal) {
        w.onAbort = () => this.#abort(queue, w, signal.reason);
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      if (queue.timer === undefined) this.#arm(queue, now);
    });
  }

  /** A snapshot of counters. */
  stats(): LeakyBucketShaperStats {
    return {
      name: this.name,
      keys: this.#keys.size,
      waiting: this.#waiting,
      waitingUnits: this.#waitingUnits,
      released: this.#released,
      rejected: this.#rejected,
      aborted: this.#aborted,
    };
  }

  /**
   * Rejects every waiting request with `reason` (default a `ShaperClosedError`, code
   * `BULWARK_RATE_LIMITER_CLOSED`) and clears timers. From then on `schedule` rejects with
   * `ShaperClosedError` and arms no timer.
   */
  close(reason: unknown = new ShaperClosedError(this.name)): void {
    this.#closed = true;
    for (const q of this.#keys.values()) {
      if (q.timer !== undefined) this.#clock.clearTimeout(q.timer);
      q.timer = undefined;
      for (let w = q.head; w; w = w.next) {
        this.#detach(w);
        this.#aborted++;
        w.reject(reason);
      }
      q.head = q.tail = undefined;
      q.queued = 0;
    }
    this.#keys.clear();
    this.#waiting = 0;
    this.#waitingUnits = 0;
  }

  /** `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  #arm(q: KeyQueue, now: number): void {
    const delay = Math.max(0, Math.ceil(q.nextAt - now));
    q.timer = this.#clock.setTimeout(() => this.#release(q), delay);
  }

  #release(q: KeyQueue): void {
    q.timer = undefined;
    const now = this.#clock.now();
    // Release every waiter whose slot has come (normally exactly one).
    while (q.head !== undefined && q.nextAt <= now + 1e-9) {
      const w = q.head;
      // A timer that fires late does not let the key catch up with a burst.
      const slot = now - q.nextAt >= 1 ? now : q.nextAt;
      q.head = w.next;
      if (q.head) q.head.prev = undefined;
      else q.tail = undefined;
      q.queued -= w.cost;
      this.#waiting--;
      this.#waitingUnits -= w.cost;
      q.nextAt = slot + w.cost * this.#msPerUnit;
      this.#detach(w);
      this.#released++;
      w.resolve();
    }
    if (q.head !== undefined) this.#arm(q, now);
  }

  #abort(q: KeyQueue, w: Waiter, reason: unknown): void {
    if (w.prev) w.prev.next = w.next;
    else q.head = w.next;
    if (w.next) w.next.prev = w.prev;
    else q.tail = w.prev;
    q.queued -= w.cost;
    this.#waiting--;
    this.#waitingUnits -= w.cost;
    this.#aborted++;
    w.onAbort = undefined;
    if (q.head === undefined && q.timer !== undefined) {
      this.#clock.clearTimeout(q.timer);
      q.timer = undefined;
    }
    w.reject(reason);
  }

  #detach(w: Waiter): void {
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    w.onAbort = undefined;
  }

  // Forgets keys with nobody waiting whose outflow slot is in the past (they hold no information).
  #sweep(now: number): void {
    for (const [key, q] of this.#keys) {
      if (q.head === undefined && q.nextAt <= now) this.#keys.delete(key);
    }
    this.#sweepAt = Math.max(1024, this.#keys.size * 2);
  }
}
