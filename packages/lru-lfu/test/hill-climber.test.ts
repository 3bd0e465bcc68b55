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
    const climber = new HillClimber(1000);
    expect(climber.adjustment(REQUESTS, 1000, 10, 500)).toBe(300);
    expect(climber.adjustment(REQUESTS, 10, 1000, 500)).toBe(-300);
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
    // Window 999 entries with 950 hits; main has 1 entry and 2 hits: main counts as 10 entries.
    expect(new HillClimber(1000).adjustment(REQUESTS, 950, 2, 999)).toBeGreaterThan(0);
    // 6 hits (above the bar of 4) on that entry: still 10 entries, 0.6 each, below 0.95.
    expect(new HillClimber(1000).adjustment(REQUESTS, 950, 6, 999)).toBeGreaterThan(0);
  });

  it('never gives room to a region starved of hits, one hit in a 1-entry window included', () => {
    const climber = new HillClimber(100);
    // Window 1 entry, 1 hit (density 1) vs main 99 entries, 49 hits (about 0.5): no growth.
    expect(climber.adjustment(200, 1, 49, 1)).toBe(0);
    // Main starved beside a busier window: the window may still grow...
    expect(climber.adjustment(200, 50, 3, 50)).toBeGreaterThan(0);
    // ...but a starved main never takes room from a window earning less per entry.
    expect(climber.adjustment(200, 5, 3, 90)).toBe(0);
  });

  it('measures a starved region as earning a share of the bar, so the ratio stays finite', () => {
    // Main earns nothing: its density is 0.5 hits (1/8 of the bar of 4) over 900 entries.
    expect(new HillClimber(1000).adjustment(REQUESTS, 100, 0, 100)).toBe(300);
  });

  it('moves at least one entry at a tiny capacity', () => {
    expect(new HillClimber(4).adjustment(REQUESTS, 100, 1, 1)).toBeGreaterThanOrEqual(1);
  });
});
