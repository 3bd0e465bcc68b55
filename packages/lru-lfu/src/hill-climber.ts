// The hill climber that sizes W-TinyLFU's window, after Caffeine and "Adaptive Software Cache
// Management" (Einziger, Eytan, Friedman, Manes; Middleware 2018).
//
// Recency-heavy traffic wants a large window (new keys get time to earn their hits); frequency-
// heavy traffic wants a small one (main holds the proven keys). Which one a workload is can only
// be seen by trying: every sample of requests, the climber compares the hit rate with the
// previous sample's. If it went up, the last move was good and the next one goes the same way;
// if it went down, the next one goes back. Steps shrink geometrically so the split settles, and
// a large change in hit rate (the workload moved) restarts them at full size.

/** A change in hit rate, between two samples, this large restarts the climb at full step. */
const RESTART_THRESHOLD = 0.05;
/** The full step: this fraction of the capacity. */
const STEP_FRACTION = 0.0625;
/**
 * Each step is this fraction of the one before, while the hit rate changes little. Caffeine uses
 * 0.98; with samples of 20 × capacity gets, 0.9 settles sooner on the traces of
 * bench/hit-ratio.ts, where sample-to-sample noise otherwise walks the window away from its best
 * size on static Zipf traffic.
 */
const STEP_DECAY = 0.9;

/**
 * Decides, once per sample of requests, by how many entries the window should grow (> 0) or
 * shrink (< 0).
 */
export class HillClimber {
  private readonly fullStep: number;
  private step: number;
  private previousRate = 0;

  /** @param capacity the cache's capacity (the window and main share it). */
  constructor(capacity: number) {
    this.fullStep = Math.max(1, STEP_FRACTION * capacity);
    // The first move shrinks the window: most workloads favour frequency.
    this.step = -this.fullStep;
  }

  /** The hit rate of the sample just ended (0..1) in; the window's change in entries out. */
  adjustment(hitRate: number): number {
    const change = hitRate - this.previousRate;
    this.previousRate = hitRate;
    const amount = change >= 0 ? this.step : -this.step;
    this.step =
      Math.abs(change) >= RESTART_THRESHOLD
        ? Math.sign(amount) * this.fullStep
        : STEP_DECAY * amount;
    return Math.trunc(amount);
  }

  /** Forgets the previous sample and restarts the steps (after `clear()`). */
  reset(): void {
    this.previousRate = 0;
    this.step = -this.fullStep;
  }
}
