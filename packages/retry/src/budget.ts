// A retry budget: across every call that shares it, retries may add at most `ratio` on top of
// first attempts within a sliding window, plus a small floor so a quiet service can still retry.
// When a dependency is down, every call fails and wants to retry; without a budget, N callers
// with 3 attempts each send 3N requests to a service that is already drowning. With a budget of
// 0.1 they send at most 1.1N (plus the floor).
//
// The window is the kernel's bucketed window: counts older than the window fall out a bucket at a
// time.

import {
  BucketedWindow,
  type Clock,
  checkClock,
  checkInteger,
  checkKnownKeys,
  checkNumber,
  checkObject,
  MAX_TIMER_MS,
  systemClock,
  VOCABULARY_RENAMES,
  withRenames,
} from '@bulwark/kernel';

/** Options of {@link RetryBudget}. */
export interface RetryBudgetOptions {
  /** Retries allowed per first attempt in the window (0.1 = at most 10 % extra load). Default 0.1. */
  ratio?: number;
  /** Retries allowed per second of window on top of the ratio, so low traffic can retry. Default 10. */
  minRetriesPerSecond?: number;
  /**
   * The sliding window: `ms` long (default 10 000), sliding by `buckets` buckets (1 to 1000,
   * default 10). The same shape as the circuit breaker's time window.
   */
  window?: { ms?: number; buckets?: number };
  /** Time source (`now()` in ms). Default the kernel's `systemClock`. */
  clock?: Clock;
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
  /** Since construction: first attempts counted. */
  totalAttempts: number;
  /** Since construction: retries granted. */
  totalRetries: number;
  /** Since construction: retries refused. */
  rejected: number;
}

const BUDGET_KEYS: ReadonlySet<string> = new Set([
  'ratio',
  'minRetriesPerSecond',
  'window',
  'clock',
]);
const WINDOW_KEYS: ReadonlySet<string> = new Set(['ms', 'buckets']);
// The budget's former flat window options, now the one window shape of every package.
const BUDGET_RENAMES = withRenames([
  ['windowMs', 'window.ms'],
  ['buckets', 'window.buckets'],
]);

// The window's two counters.
const ATTEMPTS = 0;
const RETRIES = 1;

/**
 * A budget shared by every `retry` call given it (`retry(fn, { budget })`): each first attempt
 * deposits `ratio` of a retry, each retry withdraws one, within a sliding window of `window.ms`.
 * A retry the budget cannot pay for is not made: the call rejects with `RetryBudgetExhaustedError`.
 *
 * ```ts
 * const budget = new RetryBudget({ ratio: 0.1, window: { ms: 10_000, buckets: 10 } });
 * await retry(callService, { attempts: 3, budget });
 * ```
 */
export class RetryBudget {
  /** The `ratio` option. */
  readonly ratio: number;
  /** The window's length in ms (`window.ms`). */
  readonly windowMs: number;
  readonly #floor: number;
  readonly #clock: Clock;
  readonly #window: BucketedWindow;
  #totalAttempts = 0;
  #totalRetries = 0;
  #rejected = 0;

  /**
   * Throws a TypeError or RangeError naming the option when an option is invalid, and a
   * TypeError naming an unknown option key.
   */
  constructor(options: RetryBudgetOptions = {}) {
    checkObject('options', options);
    checkKnownKeys(options, BUDGET_KEYS, 'new RetryBudget(options)', BUDGET_RENAMES);
    this.ratio = checkNumber('ratio', options.ratio ?? 0.1, 0, 1_000);
    const perSecond = checkNumber(
      'minRetriesPerSecond',
      options.minRetriesPerSecond ?? 10,
      0,
      Number.MAX_SAFE_INTEGER,
    );
    const window = checkObject<NonNullable<RetryBudgetOptions['window']>>(
      'window',
      options.window ?? {},
    );
    checkKnownKeys(window, WINDOW_KEYS, 'window', VOCABULARY_RENAMES);
    this.windowMs = checkNumber('window.ms', window.ms ?? 10_000, 0, MAX_TIMER_MS, true);
    const buckets = checkInteger('window.buckets', window.buckets ?? 10, 1, 1_000);
    this.#clock = options.clock === undefined ? systemClock : checkClock('clock', options.clock);
    this.#floor = (perSecond * this.windowMs) / 1000;
    this.#window = new BucketedWindow(this.windowMs, buckets, 2);
  }

  /** Count one first attempt (each deposits `ratio` of a retry). `retry` calls this for you. */
  recordAttempt(): void {
    this.#window.add(ATTEMPTS, 1, this.#clock.now());
    this.#totalAttempts++;
  }

  /** Take one retry from the budget: true if granted (and counted), false if none is left. */
  tryRetry(): boolean {
    const window = this.#window;
    const now = this.#clock.now();
    window.slideTo(now);
    if (window.total(RETRIES) + 1 > this.#allowed()) {
      this.#rejected++;
      return false;
    }
    window.add(RETRIES, 1, now);
    this.#totalRetries++;
    return true;
  }

  /** A flat snapshot of the window and the counts since construction. */
  stats(): RetryBudgetStats {
    this.#window.slideTo(this.#clock.now());
    const allowed = this.#allowed();
    const retries = this.#window.total(RETRIES);
    return {
      attempts: this.#window.total(ATTEMPTS),
      retries,
      allowed,
      available: Math.max(0, Math.floor(allowed - retries + 1e-9)),
      totalAttempts: this.#totalAttempts,
      totalRetries: this.#totalRetries,
      rejected: this.#rejected,
    };
  }

  #allowed(): number {
    // A tiny epsilon so that 0.1 × 10 attempts allows exactly 1 retry despite binary fractions.
    return this.ratio * this.#window.total(ATTEMPTS) + this.#floor + 1e-9;
  }
}
