// The hill climber that sizes W-TinyLFU's window, after Caffeine and "Adaptive Software Cache
// Management" (Einziger, Eytan, Friedman, Manes; Middleware 2018).
//
// Recency-heavy traffic wants a large window (new keys get time to earn their hits); frequency-
// heavy traffic wants a small one (main holds the proven keys). Which one a workload is can only
// be seen by trying: every sample of requests, the climber compares the hit rate with the
// previous sample's. If it went up, the last move was good and the next one goes the same way;
// if it went down, the next one goes back, half as far, so the split settles; a large change
// in hit rate (the workload moved) restarts the steps at full size.

/** A change in hit rate, between two samples, this large restarts the climb at full step. */
const RESTART_THRESHOLD = 0.05;
/** The full step: this fraction of the capacity. */
const STEP_FRACTION = 0.0625;
/**
 * While the hit rate keeps rising, each step is this much larger than the last (up to the full
 * step); when it falls, the climber turns back with a step this much smaller. Caffeine decays
 * every step by 0.98 instead. On the traces of bench/hit-ratio.ts that walks the window away
 * from its best size on static Zipf traffic (sample-to-sample noise flips the direction at
 * random and the steps stay large), yet climbs too slowly on a news feed; halving on each turn
 * settles the first, keeping the pace while the hit rate rises serves the second.
 */
const SPEED_UP = 1.05;
const SLOW_DOWN = 0.5;

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
    if (Math.abs(change) >= RESTART_THRESHOLD) this.step = Math.sign(amount) * this.fullStep;
    else if (change >= 0)
      this.step = Math.sign(amount) * Math.min(this.fullStep, SPEED_UP * Math.abs(amount));
    else this.step = SLOW_DOWN * amount;
    return Math.trunc(amount);
  }

  /** Forgets the previous sample and restarts the steps (after `clear()`). */
  reset(): void {
    this.previousRate = 0;
    this.step = -this.fullStep;
  }
}
