import { describe, expect, it } from 'vitest';
import { FakeClock } from '../src/index.js';

describe('FakeClock', () => {
  it('moves only when advanced and fires timers in due order', () => {
    const clock = new FakeClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 100);
    expect(clock.now()).toBe(1_000);
    clock.advance(150);
    expect(fired).toEqual(['a@1100', 'c@1100']);
    expect(clock.now()).toBe(1_150);
    clock.advance(1_000);
    expect(fired).toEqual(['a@1100', 'c@1100', 'b@1200']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('clears timers and repeats intervals', () => {
    const clock = new FakeClock();
    let ticks = 0;
    const interval = clock.setInterval(() => ticks++, 10);
    const cleared = clock.setTimeout(() => (ticks += 100), 5);
    clock.clearTimeout(cleared);
    clock.advance(35);
    expect(ticks).toBe(3);
    clock.clearInterval(interval);
    clock.advance(100);
    expect(ticks).toBe(3);
  });

  it('drives an async timer-based function without sleeping', async () => {
    const clock = new FakeClock();
    const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    const attempts: number[] = [];
    const retrying = (async () => {
      for (let i = 0; i < 4; i++) {
        attempts.push(clock.now());
        await sleep(100 * 2 ** i);
      }
      return 'done';
    })();
    await clock.advanceAsync(10_000);
    await expect(retrying).resolves.toBe('done');
    expect(attempts).toEqual([0, 100, 300, 700]);
  });

  it('rejects a negative advance', () => {
    expect(() => new FakeClock().advance(-1)).toThrow(RangeError);
  });
});
