import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import Opossum from 'opossum';
import { bench, describe } from 'vitest';
import { CircuitBreaker } from '../src/index.js';

// The wrapped call: an async function that resolves at once, so each breaker's own cost per call
// is what the numbers show. Every breaker stays closed for the whole run.
const resolved = async (): Promise<number> => 1;

const bulwark = new CircuitBreaker({ name: 'bench', window: { calls: 100 }, minimumCalls: 20 });
const bulwarkTimed = new CircuitBreaker({
  name: 'bench-timed',
  window: { ms: 10_000, buckets: 10 },
  minimumCalls: 20,
  slowCallMs: 1_000,
});
// cockatiel's cheapest breaker (a consecutive-failure counter, no window).
const cockatiel = circuitBreaker(handleAll, {
  halfOpenAfter: 30_000,
  breaker: new ConsecutiveBreaker(20),
});
// opossum as users get it (a 10 s timeout armed per call), and with its timeout turned off.
const opossum = new Opossum(resolved, { resetTimeout: 30_000 });
const opossumNoTimeout = new Opossum(resolved, { timeout: false, resetTimeout: 30_000 });

// Longer runs than the default: the machine is shared, and ratios need many samples.
const options = { time: 2_000, warmupTime: 500 };

describe('closed breaker around an already-resolved async function', () => {
  bench(
    'floor: direct await',
    async () => {
      await resolved();
    },
    options,
  );
  bench(
    'bulwark (count window)',
    async () => {
      await bulwark.execute(resolved);
    },
    options,
  );
  bench(
    'bulwark (time window + slow-call timing)',
    async () => {
      await bulwarkTimed.execute(resolved);
    },
    options,
  );
  bench(
    'cockatiel (ConsecutiveBreaker)',
    async () => {
      await cockatiel.execute(resolved);
    },
    options,
  );
  bench(
    'opossum (defaults: 10 s timeout)',
    async () => {
      await opossum.fire();
    },
    options,
  );
  bench(
    'opossum (timeout: false)',
    async () => {
      await opossumNoTimeout.fire();
    },
    options,
  );
});
