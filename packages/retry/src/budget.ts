// A retry budget: across every call that shares it, retries may add at most `ratio` on top of
// first attempts within a sliding window, plus a small floor so a quiet service can still retry.
// When a dependency is down, every call fails and wants to retry; without a budget, N callers
// with 3 attempts each send 3N requests to a service that is already drowning. With a budget of
// 0.1 they send at most 1.1N (plus the floor).
//
// The window is a ring of buckets: counts older than the window fall out a bucket at a time.

import { checkCount, checkRange, describe, MAX_TIMER_MS } from './options.js';

/** Options of {@link RetryBudget}. */
export interface RetryBudgetOptions {
  /** Retries allowed per first attempt in the window (0.1 = at most 10 % extra load). Default 0.1. */
  ratio?: number;
  /** Retries allowed per second of window on top of the ratio, so low traffic can retry. Default 10. */
  minRetriesPerSecond?: number;
  /** Length of the sliding window. Default 10 000 ms. */
  windowMs?: number;
  /** Buckets the window slides by. Default 10. */
  buckets?: number;
  /** Time source (`now()` in ms). Default `Date.now`. */
  clock?: { now(): number };
}

/** A snapshot from {@link RetryBudget.stats}. */
export interface RetryBudgetStats {
  /** First attempts counted in the current window. */
  attempts: number;
  /** Retries granted in the current window. */
  retries: number;
  /** Retries the window allows in all: `ratio × attempts + minRetriesPerSecond × windowMs / 1000`. */
  allowed: number;
  /** Retries that may still be granted now: `floor(allowed − retries)`, at least 0. */
  available: number;
  /** Since construction: first attempts, retries granted, retries refused. */
  totals: { attempts: number; retries: number; rejected: number };
}

/**
 * A budget shared by every `retry` call given it (`retry(fn, { budget })`): each first attempt
 * deposits `ratio` of a retry, each retry withdraws one, within a sliding window of `windowMs`.
 * A retry the budget cannot pay for is not made: the call rejects with `RetryBudgetExhaustedError`.
 *
 * ```ts
 * const budget = new RetryBudget({ ratio: 0.1, windowMs: 10_000 });
 * await retry(callService, { attempts: 3, budget });
 * ```
 */
export class RetryBudget {
  /** The `ratio` option. */
  readonly ratio: number;
  /** The `windowMs` option. */
  readonly windowMs: number;
  readonly #floor: number;
  readonly #bucketMs: number;
  readonly #clock: { now(): number };
  readonly #attempts: Float64Array;
  readonly #retries: Float64Array;
  #bucket = 0;
  #windowAttempts = 0;
  #windowRetries = 0;
  #totalAttempts = 0;
  #totalRetries = 0;
  #rejected = 0;

  /** Throws a TypeError or RangeError naming the option when an option is invalid. */
  constructor(options: RetryBudgetOptions = {}) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    this.ratio = checkRange('ratio', options.ratio ?? 0.1, 0, 1_000);
    const perSecond = checkRange(
      'minRetriesPerSecond',
      options.minRetriesPerSecond ?? 10,
      0,
      Number.MAX_SAFE_INTEGER,
    );
    this.windowMs = checkRange('windowMs', options.windowMs ?? 10_000, 0, MAX_TIMER_MS, true);
    const buckets = checkCount('buckets', options.buckets ?? 10, 1, false);
    if (buckets > 1_000) throw new RangeError(`buckets must be an integer <= 1000, got ${buckets}`);
    const clock = options.clock ?? { now: Date.now };
    if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function')
      throw new TypeError(`clock must have now(), got ${describe(clock)}`);
    this.#clock = clock;
    this.#floor = (perSecond * this.windowMs) / 1000;
    this.#bucketMs = this.windowMs / buckets;
    this.#attempts = new Float64Array(buckets);
    this.#retries = new Float64Array(buckets);
    this.#bucket = Math.floor(clock.now() / this.#bucketMs);
  }

  /** Count one first attempt (each deposits `ratio` of a retry). `retry` calls this for you. */
  recordAttempt(): void {
    this.#slide();
    this.#attempts[this.#bucket % this.#attempts.length]!++;
    this.#windowAttempts++;
    this.#totalAttempts++;
  }

  /** Take one retry from the budget: true if granted (and counted), false if none is left. */
  tryRetry(): boolean {
    this.#slide();
    if (this.#windowRetries + 1 > this.#allowed()) {
      this.#rejected++;
      return false;
    }
    this.#retries[this.#bucket % this.#retries.length]!++;
    this.#windowRetries++;
    this.#totalRetries++;
    return true;
  }

  /** A snapshot of the window and the totals. */
  stats(): RetryBudgetStats {
    this.#slide();
    const allowed = this.#allowed();
    return {
      attempts: this.#windowAttempts,
      retries: this.#windowRetries,
      allowed,
      available: Math.max(0, Math.floor(allowed - this.#windowRetries + 1e-9)),
      totals: {
        attempts: this.#totalAttempts,
        retries: this.#totalRetries,
        rejected: this.#rejected,
      },
    };
  }

  #allowed(): number {
    // A tiny epsilon so that 0.1 × 10 attempts allows exactly 1 retry despite binary fractions.
    return this.ratio * this.#windowAttempts + this.#floor + 1e-9;
  }

  // Move the ring to the bucket of now, emptying the buckets that fell out of the window.
  #slide(): void {
    const bucket = Math.floor(this.#clock.now() / this.#bucketMs);
    if (bucket <= this.#bucket) return;
    const n = this.#attempts.length;
    const steps = Math.min(bucket - this.#bucket, n);
    for (let i = 1; i <= steps; i++) {
      const slot = (this.#bucket + i) % n;
      this.#windowAttempts -= this.#attempts[slot]!;
      this.#windowRetries -= this.#retries[slot]!;
      this.#attempts[slot] = 0;
      this.#retries[slot] = 0;
    }
    this.#bucket = bucket;
  }
}
