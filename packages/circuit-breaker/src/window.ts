import { BucketedWindow } from '@bulwark/kernel';

/**
 * What the breaker needs from a sliding window of call outcomes: counts of calls, failures and
 * slow calls currently inside it. `now` is only read by the time-based window.
 */
export interface OutcomeWindow {
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
  /** Add one outcome finished at `now`. */
  record(failed: boolean, slow: boolean, now: number): void;
  /** Drop what has slid out of the window by `now`. */
  slideTo(now: number): void;
  /** Empty the window. */
  reset(): void;
}

const FAILED = 1;
const SLOW = 2;

/**
 * The last `size` outcomes, in a ring buffer of bit flags. Counts are kept incrementally: adding
 * an outcome to a full ring subtracts the one it overwrites, so every operation is O(1).
 */
export class CountWindow implements OutcomeWindow {
  calls = 0;
  failures = 0;
  slowCalls = 0;
  readonly #ring: Uint8Array;
  #next = 0;

  constructor(size: number) {
    this.#ring = new Uint8Array(size);
  }

  record(failed: boolean, slow: boolean, _now: number): void {
    const ring = this.#ring;
    if (this.calls === ring.length) {
      const old = ring[this.#next]!;
      if (old & FAILED) this.failures--;
      if (old & SLOW) this.slowCalls--;
    } else {
      this.calls++;
    }
    ring[this.#next] = (failed ? FAILED : 0) | (slow ? SLOW : 0);
    if (failed) this.failures++;
    if (slow) this.slowCalls++;
    this.#next = this.#next + 1 === ring.length ? 0 : this.#next + 1;
  }

  slideTo(_now: number): void {}

  reset(): void {
    this.calls = 0;
    this.failures = 0;
    this.slowCalls = 0;
    this.#next = 0;
  }
}

// The time window's counters, one field each in the kernel's bucketed window.
const CALLS = 0;
const FAILURES = 1;
const SLOW_CALLS = 2;

/**
 * The outcomes of the last `ms` milliseconds, in `buckets` buckets: the kernel's
 * {@link BucketedWindow} with three counters. A call belongs to the bucket its finish time falls in.
 */
export class TimeWindow implements OutcomeWindow {
  readonly #window: BucketedWindow;

  constructor(ms: number, buckets: number) {
    this.#window = new BucketedWindow(ms, buckets, 3);
  }

  get calls(): number {
    return this.#window.total(CALLS);
  }

  get failures(): number {
    return this.#window.total(FAILURES);
  }

  get slowCalls(): number {
    return this.#window.total(SLOW_CALLS);
  }

  record(failed: boolean, slow: boolean, now: number): void {
    const window = this.#window;
    window.add(CALLS, 1, now);
    if (failed) window.add(FAILURES, 1, now);
    if (slow) window.add(SLOW_CALLS, 1, now);
  }

  slideTo(now: number): void {
    this.#window.slideTo(now);
  }

  reset(): void {
    this.#window.reset();
  }
}
