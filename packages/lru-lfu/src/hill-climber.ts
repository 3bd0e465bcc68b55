// The climber that sizes W-TinyLFU's window, after Caffeine and "Adaptive Software Cache
// Management" (Einziger, Eytan, Friedman, Manes; Middleware 2018).
//
// Recency-heavy traffic wants a large window (new keys get time to earn their hits); frequency-
// heavy traffic wants a small one (main holds the proven keys). Which one a workload is shows in
// where its hits land: every sample of requests, the climber compares the hits per entry of the
// window with those of the main region, and moves room toward the region that earns more, by a
// step proportional to the log of the ratio (a lopsided sample moves far, a balanced one barely).
//
// Both densities come from the same sample, so a workload's ups and downs from one sample to the
// next do not mislead it. A first version compared each sample's hit rate with the previous
// one's (Caffeine's rule for small caches): on a news feed that noise made it wander and spend a
// fifth of the trace finding the large window, 3.8 points below LRU. Caffeine uses this density
// rule above 4,096 entries, guarded by probes and audits for the corners where a region is too
// small to measure; here three simpler guards stand in for them (see `adjustment`).

/** The step per unit of log density ratio, as a fraction of the capacity. */
const GAIN = 0.3;
/** The largest step, as a fraction of the capacity (as Caffeine). */
const MAX_STEP = 0.3;
/**
 * The smallest window and the smallest main region the densities are computed over, as a
 * fraction of the capacity: below it, a region's density rests on a handful of hits.
 */
const FLOOR = 0.01;
/** A region with fewer hits than this, per 1,024 requests (at least 4), is starved. */
const STARVATION_SHIFT = 10;
const MIN_STARVATION_HITS = 4;
/** The share of the starvation bar a starved region is assumed to earn, so its density is defined. */
const STARVED_SHARE = 0.125;

/**
 * Decides, once per sample of requests, by how many entries the window should grow (> 0) or
 * shrink (< 0), from the hits the sample's requests found in the window and in main.
 */
export class HillClimber {
  private readonly capacity: number;
  private readonly floor: number;

  /** @param capacity the cache's capacity (the window and main share it). */
  constructor(capacity: number) {
    this.capacity = capacity;
    this.floor = Math.max(1, Math.floor(FLOOR * capacity));
  }

  /**
   * The window's change in entries, for a sample of `requests` of which `windowHits` hit an entry
   * of the window and `mainHits` one of main, while the window had room for `windowSize`.
   *
   * Three guards: a sample in which neither region earns enough hits to measure (a scan, a cold
   * start) moves nothing; a region starved of hits never gains room (one hit in a 1-entry window
   * is not a density); and each region counts as at least `FLOOR` of the capacity, so that two
   * hits on the last entry of a 1-entry main region do not outweigh a window full of hits.
   */
  adjustment(requests: number, windowHits: number, mainHits: number, windowSize: number): number {
    const bar = Math.max(MIN_STARVATION_HITS, requests >> STARVATION_SHIFT);
    if (windowHits < bar && mainHits < bar) return 0;
    const windowRoom = Math.max(this.floor, windowSize);
    const mainRoom = Math.max(this.floor, this.capacity - windowSize);
    const starved = STARVED_SHARE * bar;
    const windowDensity = Math.max(windowHits, starved) / windowRoom;
    const mainDensity = Math.max(mainHits, starved) / mainRoom;
    const error = Math.log(windowDensity / mainDensity);
    let step = Math.sign(error) * Math.min(MAX_STEP, GAIN * Math.abs(error)) * this.capacity;
    // A starved region may lose room but never win it: its few hits are not evidence.
    if ((step > 0 && windowHits < bar) || (step < 0 && mainHits < bar)) step = 0;
    // Never below the floor; a window under it (the initial 1%) is lifted to it.
    step = Math.max(step, this.floor - windowSize);
    return Math.trunc(step);
  }

  /** Restarts from nothing (after `clear()`): the climber keeps no state between samples. */
  reset(): void {}
}
