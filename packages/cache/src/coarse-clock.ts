import { systemClock } from '@bulwark/kernel';

// Reading the system clock costs 50–100 ns on some machines, as much as all the rest of a cache
// hit. So the hit path of a cache on the default clock reads this instead: the system clock, read
// at most once per millisecond (a 1 ms timer drops the reading), as lru-cache's ttlResolution
// does. While the event loop is blocked the reading stays put, so a value may be served fresh for
// as long past its expiry as the block lasts. Loads, timers and an injected clock read exactly.

let reading: number | undefined;
const forget = (): void => {
  reading = undefined;
};

/** The system clock, to within a millisecond (or the length of a blocked event loop turn). */
export function coarseNow(): number {
  if (reading === undefined) {
    reading = systemClock.now();
    setTimeout(forget, 1).unref();
  }
  return reading;
}
