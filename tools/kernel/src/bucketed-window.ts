/**
 * Counters over the last `ms` milliseconds, kept in `buckets` buckets of `ms / buckets` each: the
 * sliding time window of the circuit breaker (calls, failures, slow calls) and of the retry budget
 * (attempts, retries). An amount belongs to the bucket its time falls in (`floor(now / bucketMs)`);
 * the window is that bucket and the `buckets − 1` before it, so an amount stays counted for between
 * `ms − bucketMs` and `ms`. Sliding clears only the buckets passed over: O(1) amortised.
 *
 * `fields` counters share each bucket; a window of the breaker has three, the budget's two.
 */
export class BucketedWindow {
  /** The window's length in ms. */
  readonly ms: number;
  /** Buckets the window slides by. */
  readonly buckets: number;
  readonly #bucketMs: number;
  readonly #fields: number;
  // Bucket b's field f lives at [(b % buckets) * fields + f].
  readonly #counts: Float64Array;
  readonly #totals: Float64Array;
  // Index floor(now / bucketMs) of the newest bucket; -Infinity while empty.
  #head = Number.NEGATIVE_INFINITY;

  /** `ms` > 0 and `buckets` >= 1 are the caller's to check (with the option names it exposes). */
  constructor(ms: number, buckets: number, fields: number) {
    this.ms = ms;
    this.buckets = buckets;
    this.#bucketMs = ms / buckets;
    this.#fields = fields;
    this.#counts = new Float64Array(buckets * fields);
    this.#totals = new Float64Array(fields);
  }

  /** Adds `amount` to counter `field` at time `now`. */
  add(field: number, amount: number, now: number): void {
    this.slideTo(now);
    const head = this.#head;
    this.#counts[slot(head, this.buckets) * this.#fields + field]! += amount;
    this.#totals[field]! += amount;
  }

  /** The sum of counter `field` over the window, as of the last `add` or `slideTo`. */
  total(field: number): number {
    return this.#totals[field]!;
  }

  /** Drops what has slid out of the window by `now` (time never moves the window back). */
  slideTo(now: number): void {
    const bucket = Math.floor(now / this.#bucketMs);
    const head = this.#head;
    if (bucket <= head) return;
    const steps = head === Number.NEGATIVE_INFINITY ? 0 : Math.min(bucket - head, this.buckets);
    const fields = this.#fields;
    for (let step = 1; step <= steps; step++) {
      const base = slot(head + step, this.buckets) * fields;
      for (let f = 0; f < fields; f++) {
        this.#totals[f]! -= this.#counts[base + f]!;
        this.#counts[base + f] = 0;
      }
    }
    this.#head = bucket;
  }

  /** Empties the window. */
  reset(): void {
    this.#counts.fill(0);
    this.#totals.fill(0);
    this.#head = Number.NEGATIVE_INFINITY;
  }
}

// A bucket index's slot in the ring, also for times before 0 (a fake clock may start there).
function slot(bucket: number, buckets: number): number {
  const r = bucket % buckets;
  return r < 0 ? r + buckets : r;
}
