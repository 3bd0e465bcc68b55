import { describe, expect, it } from 'vitest';
import { HillClimber } from '../src/hill-climber.js';

describe('HillClimber', () => {
  it('first shrinks the window by 6.25% of the capacity', () => {
    expect(new HillClimber(1000).adjustment(0.5)).toBe(-62);
  });

  it('keeps its direction and pace while the hit rate rises, turns back half as far when it falls', () => {
    const climber = new HillClimber(1000);
    climber.adjustment(0.3); // restart (change 0.3 >= 0.05): full step, shrinking
    expect(climber.adjustment(0.31)).toBe(-62); // better: same direction, full step
    expect(climber.adjustment(0.3)).toBe(62); // worse: turn back
    expect(climber.adjustment(0.29)).toBe(-31); // worse again: back, half as far
    expect(climber.adjustment(0.295)).toBe(-15); // better: on, no faster than the last step
    expect(climber.adjustment(0.296)).toBe(-16); // better: 5% faster
  });

  it('restarts at the full step when the hit rate jumps by 5 points or more', () => {
    const climber = new HillClimber(1000);
    climber.adjustment(0.3);
    for (let i = 0; i < 20; i++) climber.adjustment(i % 2 === 0 ? 0.29 : 0.3); // zigzag: steps halve
    expect(Math.abs(climber.adjustment(0.29))).toBeLessThan(1);
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
