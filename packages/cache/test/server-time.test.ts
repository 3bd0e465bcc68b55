import { FakeClock } from '@bulwark/test-utils';
import { expect, it } from 'vitest';
import { ServerTime } from '../src/redis/server-time.js';

it("estimates the server's clock from a TIME reading halfway through its round trip", async () => {
  const clock = new FakeClock(1_000);
  let calls = 0;
  const time = new ServerTime(clock, async () => {
    calls++;
    clock.advance(4); // a 4 ms round trip: the server read its clock 2 ms in
    return ['5', '3000']; // 5,003 ms on the server's clock
  });
  expect(time.now()).toBeUndefined(); // no reading yet; one starts
  await Promise.resolve();
  await Promise.resolve();
  // Sent at 1,000, received at 1,004: the server's 5,003 was our 1,002, so offset 4,001.
  expect(time.now()).toBe(clock.now() + 4_001);
  expect(calls).toBe(1);
  clock.advance(10_001);
  time.now(); // due again: a new reading in the background
  expect(calls).toBe(2);
});

it('keeps no estimate while Redis does not answer', async () => {
  const clock = new FakeClock(0);
  const time = new ServerTime(clock, async () => Symbol('down'));
  time.now();
  await Promise.resolve();
  expect(time.now()).toBeUndefined();
});
