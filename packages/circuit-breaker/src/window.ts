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

/**
 * The outcomes of the last `ms` milliseconds, in `buckets` buckets of `ms / buckets` each. A call
 * belongs to the bucket its finish time falls in (`floor(now / bucketMs)`); the window is the
 * current bucket and the `buckets - 1` before it, so a call stays counted for between
 * `ms - bucketMs` and `ms`. Sliding clears only the buckets passed over: O(1) amortised.
 */
export class TimeWindow implements OutcomeWindow {
  calls = 0;
  failures = 0;
  slowCalls = 0;
  readonly #bucketMs: number;
  readonly #calls: Uint32Array;
  readonly #failures: Uint32Array;
  readonly #slow: Uint32Array;
  // Index (floor(now / bucketMs)) of the newest bucket; older ones are behind it in the ring.
  #head = Number.NEGATIVE_INFINITY;

  constructor(ms: number, buckets: number) {
    this.#bucketMs = ms / buckets;
    this.#calls = new Uint32Array(buckets);
    this.#failures = new Uint32Array(buckets);
    this.#slow = new Uint32Array(buckets);
  }

  record(failed: boolean, slow: boolean, now: number): void {
    this.slideTo(now);
    const slot = this.#slotOf(this.#head);
    this.#calls[slot]!++;
    this.calls++;
    if (failed) {
      this.#failures[slot]!++;
      this.failures++;
    }
    if (slow) {
      this.#slow[slot]!++;
      this.slowCalls++;
    }
  }

  slideTo(now: number): void {
    const index = Math.floor(now / this.#bucketMs);
    if (index <= this.#head) return;
    const size = this.#calls.length;
    // Clear each bucket that the head passes over; past a whole ring, everything is stale.
    const steps = Math.min(index - this.#head, size);
    for (let i = 1; i <= steps; i++) this.#clear(this.#slotOf(index - steps + i));
    this.#head = index;
  }

  reset(): void {
    this.#calls.fill(0);
    this.#failures.fill(0);
    this.#slow.fill(0);
    this.calls = 0;
    this.failures = 0;
    this.slowCalls = 0;
  }

  #slotOf(index: number): number {
    const size = this.#calls.length;
    return ((index % size) + size) % size;
  }

  #clear(slot: number): void {
    this.calls -= this.#calls[slot]!;
    this.failures -= this.#failures[slot]!;
    this.slowCalls -= this.#slow[slot]!;
    this.#calls[slot] = 0;
    this.#failures[slot] = 0;
    this.#slow[slot] = 0;
  }
}
