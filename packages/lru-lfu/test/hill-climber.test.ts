import { describe, expect, it } from 'vitest';
import { HillClimber } from '../src/hill-climber.js';

describe('HillClimber', () => {
  it('first shrinks the window by 6.25% of the capacity', () => {
    expect(new HillClimber(1000).adjustment(0.5)).toBe(-62);
  });

  it('keeps its direction while the hit rate rises, and turns back when it falls', () => {
    const climber = new HillClimber(1000);
    climber.adjustment(0.3); // restart (change 0.3 >= 0.05): full step, shrinking
    const a = climber.adjustment(0.31); // better: same direction
    expect(a).toBeLessThan(0);
    const b = climber.adjustment(0.3); // worse: turn back
    expect(b).toBeGreaterThan(0);
    expect(Math.abs(b)).toBeLessThan(Math.abs(a)); // and the steps shrink
  });

  it('restarts at the full step when the hit rate jumps by 5 points or more', () => {
    const climber = new HillClimber(1000);
    climber.adjustment(0.3);
    for (let i = 0; i < 30; i++) climber.adjustment(0.3); // steps decay toward 0
    expect(Math.abs(climber.adjustment(0.3))).toBeLessThan(5);
    climber.adjustment(0.5); // a jump: the next step is full again
    expect(Math.abs(climber.adjustment(0.5))).toBe(62);
  });

  it('moves at least one entry per step for a tiny capacity', () => {
    expect(new HillClimber(4).adjustment(0.2)).toBe(-1);
  });

  it('reset() forgets the previous sample and the step', () => {
    const climber = new HillClimber(1000);
    climber.adjustment(0.4);
    climber.adjustment(0.3);
    climber.reset();
    expect(climber.adjustment(0.2)).toBe(-62);
  });
});
