import { describe, expect, it } from 'vitest';
import { HillClimber } from '../src/hill-climber.js';

// A sample of 2,000 requests at capacity 1,000: the starvation bar is 4 hits.
const REQUESTS = 2_000;

describe('HillClimber', () => {
  it('grows the window when its entries earn more hits each than main’s', () => {
    // Window 100 entries with 200 hits (2 each) vs main 900 with 900 (1 each): 0.3 × log 2.
    expect(new HillClimber(1000).adjustment(REQUESTS, 200, 900, 100)).toBe(
      Math.trunc(0.3 * Math.log(2) * 1000),
    );
  });

  it('shrinks the window when main’s entries earn more, by a step proportional to the log ratio', () => {
    // Window 500 with 250 hits (0.5 each) vs main 500 with 500 (1 each): -0.3 × log 2.
    expect(new HillClimber(1000).adjustment(REQUESTS, 250, 500, 500)).toBe(
      Math.trunc(-0.3 * Math.log(2) * 1000),
    );
  });

  it('barely moves when both regions earn the same per entry', () => {
    expect(new HillClimber(1000).adjustment(REQUESTS, 100, 900, 100)).toBe(0);
  });

  it('moves at most 30% of the capacity in one sample', () => {
    expect(new HillClimber(1000).adjustment(REQUESTS, 1000, 10, 500)).toBe(300);
    expect(new HillClimber(1000).adjustment(REQUESTS, 10, 1000, 500)).toBe(-300);
  });

  it('never shrinks the window below 1% of the capacity, and lifts it there', () => {
    const climber = new HillClimber(1000);
    expect(climber.adjustment(REQUESTS, 0, 900, 50)).toBe(-40);
    expect(climber.adjustment(REQUESTS, 0, 900, 10)).toBe(0);
    expect(climber.adjustment(REQUESTS, 0, 900, 4)).toBe(6);
  });

  it('moves nothing on a sample where neither region earns enough hits to measure (a scan)', () => {
    const climber = new HillClimber(1000);
    expect(climber.adjustment(REQUESTS, 3, 3, 10)).toBe(0);
    expect(climber.adjustment(REQUESTS, 0, 0, 900)).toBe(0);
    // The bar grows with the sample: 1 per 1,024 requests.
    expect(climber.adjustment(20_480, 19, 19, 10)).toBe(0);
    expect(climber.adjustment(20_480, 20, 19, 10)).toBeGreaterThan(0);
  });

  it('does not let a few hits on a tiny main region pull a busy window down', () => {
    // Window 995 entries with 950 hits; main has 5 entries and 2 hits: main counts as 10 entries.
    expect(new HillClimber(1000).adjustment(REQUESTS, 950, 2, 995)).toBe(4);
    // 6 hits (above the bar of 4) on them: still 10 entries, 0.6 each, below 0.95.
    expect(new HillClimber(1000).adjustment(REQUESTS, 950, 6, 995)).toBe(4);
  });

  it('keeps the window between 1 entry and capacity − 1', () => {
    expect(new HillClimber(1000).adjustment(REQUESTS, 950, 2, 999)).toBe(0);
    expect(new HillClimber(1000).adjustment(REQUESTS, 0, 900, 1)).toBe(9);
    expect(new HillClimber(2).adjustment(REQUESTS, 0, 900, 1)).toBe(0);
  });

  it('never gives room to a region starved of hits, one hit in a 1-entry window included', () => {
    // Window 1 entry, 1 hit (density 1) vs main 99 entries, 49 hits (about 0.5): no growth.
    expect(new HillClimber(100).adjustment(200, 1, 49, 1)).toBe(0);
    // Main starved beside a busier window: the window may still grow...
    expect(new HillClimber(100).adjustment(200, 50, 3, 50)).toBeGreaterThan(0);
    // ...but a starved main never takes room from a window earning less per entry.
    expect(new HillClimber(100).adjustment(200, 5, 3, 90)).toBe(0);
  });

  it('measures a starved region as earning a share of the bar, so the ratio stays finite', () => {
    // Main earns nothing: its density is 0.5 hits (1/8 of the bar of 4) over 900 entries.
    expect(new HillClimber(1000).adjustment(REQUESTS, 100, 0, 100)).toBe(300);
  });

  it('keeps a step after which the hit rate held, and undoes one after which it fell', () => {
    const climber = new HillClimber(1000);
    // Window 100 with 200 hits vs main 900 with 900: +207 at a hit rate of 55%.
    expect(climber.adjustment(REQUESTS, 200, 900, 100)).toBe(207);
    // The next sample at 307 entries: 54% (within 2σ ≈ 3.1 points of noise) keeps it, and the
    // densities still favour the window: it grows on, the step growing by half (capped at full).
    expect(climber.adjustment(REQUESTS, 400, 680, 307)).toBeGreaterThan(0);
    // The hit rate then falls 10 points: the step is undone, exactly.
    const undo = new HillClimber(1000);
    const step = undo.adjustment(REQUESTS, 200, 900, 100);
    expect(undo.adjustment(REQUESTS, 300, 600, 100 + step)).toBe(-step);
  });

  it('after an undone step, waits 2, 4, 8 ... samples before moving that way again', () => {
    const climber = new HillClimber(1000);
    const waited: number[] = [];
    for (let round = 0; round < 3; round++) {
      // A sample that asks to grow, at a hit rate of 55%; then, after the step, 45%.
      let samples = 0;
      while (climber.adjustment(REQUESTS, 200, 900, 100) === 0) samples++;
      waited.push(samples);
      expect(climber.adjustment(REQUESTS, 200, 700, 300)).toBeLessThan(0);
    }
    expect(waited).toEqual([0, 2, 4]);
    // Shrinking was never tried, so it does not wait.
    expect(climber.adjustment(REQUESTS, 100, 1000, 100)).toBeLessThan(0);
  });

  it('halves its step on each reversal, so that it settles instead of swinging', () => {
    const climber = new HillClimber(1000);
    // Lopsided samples that alternate sides at a steady hit rate (no step is undone).
    const up = climber.adjustment(REQUESTS, 900, 100, 300);
    const down = climber.adjustment(REQUESTS, 100, 900, 300 + up);
    const up2 = climber.adjustment(REQUESTS, 900, 100, 300 + up + down);
    expect(up).toBe(300);
    expect(down).toBe(-150);
    expect(up2).toBe(75);
  });

  it('restarts with full steps and no waits after reset()', () => {
    const climber = new HillClimber(1000);
    const step = climber.adjustment(REQUESTS, 200, 900, 100);
    climber.adjustment(REQUESTS, 200, 700, 100 + step); // undone: growing waits
    expect(climber.adjustment(REQUESTS, 200, 900, 100)).toBe(0);
    climber.reset();
    expect(climber.adjustment(REQUESTS, 200, 900, 100)).toBe(step);
  });

  describe('the probe out of the corner (a starved main beside a window of most of the cache)', () => {
    // Window 999 of 1,000 with 900 hits, main 1 entry with 0: the density rule cannot move.
    const corner = (climber: HillClimber, windowSize = 999, hits = 900) =>
      climber.adjustment(REQUESTS, hits, 0, windowSize);

    it('after two samples in the corner, walks toward main by 5%, 10%, 20%, then 30% while the hit rate holds', () => {
      const climber = new HillClimber(1000);
      expect(corner(climber)).toBe(0);
      expect(corner(climber)).toBe(-50);
      // Each next sample at least at the corner's mean hit rate (45%): the walk goes on.
      const steps: number[] = [];
      let window = 949;
      for (let i = 0; i < 5; i++) {
        const step = climber.adjustment(REQUESTS, 500, 400, window);
        steps.push(step);
        window += step;
      }
      // 949 → 849 → 649 → 349 → 49 → the floor (10): the density rule takes over from there.
      expect(steps).toEqual([-100, -200, -300, -300, -39]);
      expect(climber.adjustment(REQUESTS, 5, 900, 10)).toBe(0);
    });

    it('gives the window back all it walked when a sample falls below the corner’s mean', () => {
      const climber = new HillClimber(1000);
      corner(climber, 999, 900);
      expect(corner(climber, 999, 920)).toBe(-50); // the corner's mean: 45.5%
      expect(climber.adjustment(REQUESTS, 880, 30, 949)).toBe(-100); // 45.5%: holds
      expect(climber.adjustment(REQUESTS, 850, 50, 849)).toBe(150); // 45%: back to 999
    });

    it('waits 2, 16, 128, then 1,024 corner samples between probes', () => {
      const climber = new HillClimber(1000);
      const waits: number[] = [];
      for (let probe = 0; probe < 5; probe++) {
        let samples = 1;
        while (corner(climber) === 0) samples++;
        waits.push(samples);
        expect(climber.adjustment(REQUESTS, 800, 0, 949)).toBe(50); // fell: undone
      }
      expect(waits).toEqual([2, 16, 128, 1024, 1024]);
    });

    it('starts the waits over once the window is at or below half the cache, and on reset()', () => {
      const climber = new HillClimber(1000);
      corner(climber);
      corner(climber);
      climber.adjustment(REQUESTS, 800, 0, 949); // undone: the next probe waits 16 samples
      climber.adjustment(REQUESTS, 500, 500, 500); // a sample with the window at half the cache
      expect(corner(climber)).toBe(0);
      expect(corner(climber)).toBe(-50);
      climber.reset();
      expect(corner(climber)).toBe(0);
      expect(corner(climber)).toBe(-50);
      // reset() also ends a walk under way: the density rule, not the walk (-100), answers the
      // next sample, giving the window its 50 entries back.
      climber.reset();
      expect(climber.adjustment(REQUESTS, 900, 0, 949)).toBe(50);
    });

    it('never probes where main earns its bar of hits, or the window holds half the cache or less', () => {
      const busyMain = new HillClimber(1000);
      const smallWindow = new HillClimber(1000);
      for (let i = 0; i < 50; i++) {
        expect(busyMain.adjustment(REQUESTS, 995, 4, 999)).toBe(0);
        expect(smallWindow.adjustment(REQUESTS, 950, 0, 500)).toBeGreaterThanOrEqual(0);
      }
    });
  });

  it('moves at least one entry at a tiny capacity', () => {
    expect(new HillClimber(4).adjustment(REQUESTS, 100, 1, 1)).toBeGreaterThanOrEqual(1);
  });
});
