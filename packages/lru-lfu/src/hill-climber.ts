// The climber that sizes W-TinyLFU's window, after Caffeine and "Adaptive Software Cache
// Management" (Einziger, Eytan, Friedman, Manes; Middleware 2018): hill climbing on the sampled
// hit rate, with the gradient estimated from where the sample's hits landed.
//
// Recency-heavy traffic wants a large window (new keys get time to earn their hits); frequency-
// heavy traffic wants a small one (main holds the proven keys). Every sample of requests:
//
// 1. Judge the last step. The sample's hit rate is compared with that of the sample before the
//    step; a step that lost more than the noise of two samples (2σ of the difference of two
//    binomial rates) is undone, and that direction waits 2, 4, ... 64 samples before it may be
//    tried again (a step that holds clears the wait).
// 2. Estimate the gradient. The hits per entry of the window and of main in the same sample say
//    which region earns more from its room; the step is proportional to the log of the ratio (a
//    lopsided sample moves far, a balanced one barely). Both densities come from one sample, so
//    the workload's ups and downs from one sample to the next do not steer it (comparing each
//    sample's hit rate with the previous one's alone made a first version wander on a news feed,
//    3.8 points below LRU).
// 3. Size the step. Each reversal of direction halves the step (to 1/64), each step in the same
//    direction grows it by half (to full): at 10,000 entries on Zipf 0.99 the full step swung the
//    window between 3% and 33% every sample, and the churn cost 2.5 points against either
//    position; the halving settles it where the densities balance.
//
// Three guards stand in for Caffeine's probes and audits where a region is too small to measure
// (see `densityStep`). One corner the densities cannot leave: a main region starved of hits beside
// a window of almost the whole cache (the popular keys live in the window, so its density stays
// high however much a smaller window would earn). There a probe walks the window toward main for
// as long as the hit rate holds and gives it all back when the rate falls, with waits that grow
// 8-fold between probes (see `probe`).

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
/** A step is undone when the hit rate fell by more than this many standard deviations of noise. */
const UNDO_SIGMAS = 2;
/** Undone steps in a row after which the wait stops doubling (2^6 = 64 samples). */
const MAX_FAILURES = 6;
/** The step's scale: halved on a reversal, down to `MIN_SCALE`; × `GROWTH` otherwise, up to 1. */
const MIN_SCALE = 1 / 64;
const GROWTH = 1.5;
/**
 * The probe out of the corner (see `probe`): its first step, as a fraction of the capacity,
 * doubling with each step that holds, up to `MAX_STEP`.
 */
const PROBE_STEP = 0.05;
/** Corner samples before the first probe; each probe multiplies the wait, up to the most. */
const FIRST_PROBE_WAIT = 2;
const PROBE_BACKOFF = 8;
const MAX_PROBE_WAIT = 1024;

const SHRINK = 0;
const GROW = 1;

/**
 * Decides, once per sample of requests, by how many entries the window should grow (> 0) or
 * shrink (< 0), from the hits the sample's requests found in the window and in main.
 */
export class HillClimber {
  private readonly capacity: number;
  private readonly floor: number;
  /** The last step taken, in entries, until the next sample judges it (0: none). */
  private lastStep = 0;
  /** The hit rate of the sample before `lastStep`. */
  private rateBefore = 0;
  /** The direction of the last step (-1: none yet), and its scale (1: full density step). */
  private direction = -1;
  private scale = 1;
  /** Per direction: steps undone in a row, and samples left before that direction may move. */
  private readonly failures = [0, 0];
  private readonly waits = [0, 0];
  /** Corner samples since the last probe, the sum of their hit rates, and the wait for the next. */
  private cornered = 0;
  private cornerRates = 0;
  private probeWait = FIRST_PROBE_WAIT;
  /** While a probe walks: the window it started from (0: none), its steps, the rate to hold. */
  private probeFrom = 0;
  private probeSteps = 0;
  private probeBaseline = 0;

  /** @param capacity the cache's capacity (the window and main share it). */
  constructor(capacity: number) {
    this.capacity = capacity;
    this.floor = Math.max(1, Math.floor(FLOOR * capacity));
  }

  /**
   * The window's change in entries, for a sample of `requests` of which `windowHits` hit an entry
   * of the window and `mainHits` one of main, while the window had room for `windowSize`. The
   * window it leads to has 1 to capacity − 1 entries.
   */
  adjustment(requests: number, windowHits: number, mainHits: number, windowSize: number): number {
    const rate = (windowHits + mainHits) / requests;
    if (this.probeFrom !== 0) return this.probeOn(rate, windowSize);
    if (windowSize <= this.capacity / 2) this.probeWait = FIRST_PROBE_WAIT;
    if (this.lastStep !== 0) {
      const undo = this.judge(rate, requests);
      if (undo !== 0) return undo;
    }
    const step = this.densityStep(requests, windowHits, mainHits, windowSize);
    if (step === 0) return this.probe(requests, mainHits, windowSize, rate);
    const direction = step > 0 ? GROW : SHRINK;
    const liftsToFloor = windowSize < this.floor && direction === GROW;
    if (this.waits[direction]! > 0 && !liftsToFloor) {
      this.waits[direction]!--;
      return 0;
    }
    this.lastStep = step;
    this.rateBefore = rate;
    return step;
  }

  /** Restarts from nothing (after `clear()`). */
  reset(): void {
    this.lastStep = 0;
    this.direction = -1;
    this.scale = 1;
    this.failures.fill(0);
    this.waits.fill(0);
    this.cornered = 0;
    this.cornerRates = 0;
    this.probeWait = FIRST_PROBE_WAIT;
    this.probeFrom = 0;
  }

  /**
   * The way out of the corner the density rule cannot leave: main starved of hits while the
   * window holds most of the cache. Main's few entries earn nothing there, and the window's
   * average density stays high because the popular keys live in it, so its density says nothing
   * of what a smaller window would earn. After `probeWait` samples in the corner, a probe walks
   * the window toward main (5%, 10%, 20%, then 30% of the capacity per sample) for as long as
   * each sample's hit rate holds the corner's mean, down to the floor, where the density rule
   * takes over; the first sample below that mean ends the walk and gives the window back all it
   * walked. Each probe makes the next wait 8 times longer (2, 16, 128, then 1,024 samples), so
   * where the corner is right (a news feed) probes grow rare; a sample with the window at or
   * below half the cache starts the waits over.
   */
  private probe(requests: number, mainHits: number, windowSize: number, rate: number): number {
    const bar = Math.max(MIN_STARVATION_HITS, requests >> STARVATION_SHIFT);
    if (mainHits >= bar || windowSize <= this.capacity / 2) {
      this.cornered = 0;
      this.cornerRates = 0;
      return 0;
    }
    this.cornerRates += rate;
    if (++this.cornered < this.probeWait) return 0;
    this.probeFrom = windowSize;
    this.probeSteps = 0;
    this.probeBaseline = this.cornerRates / this.cornered;
    this.cornered = 0;
    this.cornerRates = 0;
    this.probeWait = Math.min(MAX_PROBE_WAIT, this.probeWait * PROBE_BACKOFF);
    return this.probeStep(windowSize);
  }

  /** A sample during a probe: the next step if the hit rate held, else all the way back. */
  private probeOn(rate: number, windowSize: number): number {
    if (rate < this.probeBaseline) {
      const back = this.probeFrom - windowSize;
      this.probeFrom = 0;
      return back;
    }
    if (windowSize <= this.floor) {
      this.probeFrom = 0;
      return 0;
    }
    return this.probeStep(windowSize);
  }

  private probeStep(windowSize: number): number {
    const share = Math.min(MAX_STEP, PROBE_STEP * 2 ** this.probeSteps++);
    const step = -Math.max(1, Math.trunc(share * this.capacity));
    return this.clamp(step, windowSize, this.floor - windowSize);
  }

  /** Keeps the last step if the hit rate held, else returns the step that undoes it. */
  private judge(rate: number, requests: number): number {
    const step = this.lastStep;
    const direction = step > 0 ? GROW : SHRINK;
    this.lastStep = 0;
    const noise = Math.sqrt((2 * rate * (1 - rate)) / requests);
    if (rate >= this.rateBefore - UNDO_SIGMAS * noise) {
      this.failures[direction] = 0;
      return 0;
    }
    this.failures[direction] = Math.min(MAX_FAILURES, this.failures[direction]! + 1);
    this.waits[direction] = 2 ** this.failures[direction]!;
    this.reverse(direction === GROW ? SHRINK : GROW);
    return -step;
  }

  /** Halves the step on a change of direction, grows it by half otherwise. */
  private reverse(direction: number): void {
    if (this.direction === -1) this.scale = 1;
    else if (direction !== this.direction) this.scale = Math.max(MIN_SCALE, this.scale / 2);
    else this.scale = Math.min(1, this.scale * GROWTH);
    this.direction = direction;
  }

  /**
   * The step toward the region whose entries earned more hits each, with three guards: a sample
   * in which neither region earns enough hits to measure (a scan, a cold start) moves nothing; a
   * region starved of hits never gains room (one hit in a 1-entry window is not a density); and
   * each region counts as at least `FLOOR` of the capacity, so that two hits on the last entry of
   * a 1-entry main region do not outweigh a window full of hits.
   */
  private densityStep(
    requests: number,
    windowHits: number,
    mainHits: number,
    windowSize: number,
  ): number {
    const bar = Math.max(MIN_STARVATION_HITS, requests >> STARVATION_SHIFT);
    if (windowHits < bar && mainHits < bar) return 0;
    const windowRoom = Math.max(this.floor, windowSize);
    const mainRoom = Math.max(this.floor, this.capacity - windowSize);
    const starved = STARVED_SHARE * bar;
    const windowDensity = Math.max(windowHits, starved) / windowRoom;
    const mainDensity = Math.max(mainHits, starved) / mainRoom;
    const error = Math.log(windowDensity / mainDensity);
    // A starved region may lose room but never win it: its few hits are not evidence.
    if ((error > 0 && windowHits < bar) || (error < 0 && mainHits < bar) || error === 0) {
      return this.clamp(this.floor - windowSize, windowSize, 0);
    }
    this.reverse(error > 0 ? GROW : SHRINK);
    const step = Math.sign(error) * Math.min(MAX_STEP, GAIN * Math.abs(error)) * this.scale;
    return this.clamp(Math.trunc(step * this.capacity), windowSize, this.floor - windowSize);
  }

  /**
   * `step`, raised to `lift` (a window below the floor, such as the initial 1%, is lifted to
   * it), and kept inside 1 to capacity − 1 entries.
   */
  private clamp(step: number, windowSize: number, lift: number): number {
    const target = windowSize + Math.max(step, lift);
    return Math.max(1, Math.min(this.capacity - 1, target)) - windowSize;
  }
}
