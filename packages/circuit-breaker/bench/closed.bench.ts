import { ConsecutiveBreaker, circuitBreaker, handleAll, retry } from 'cockatiel';
import CircuitBreakerOpossum from 'opossum';
import { bench, describe } from 'vitest';
import { CircuitBreaker } from '../src/index.js';

// The wrapped call: an async function that resolves at once, so the breaker's own cost dominates.
const resolved = async (): Promise<number> => 1;

const bulwark = new CircuitBreaker({ name: 'bench', window: { calls: 100 }, minimumCalls: 20 });
const bulwarkTimed = new CircuitBreaker({
  name: 'bench-timed',
  window: { ms: 10_000, buckets: 10 },
  minimumCalls: 20,
  slowCallMs: 1_000,
});
const cockatiel = circuitBreaker(handleAll, {
  halfOpenAfter: 30_000,
  breaker: new ConsecutiveBreaker(20),
});
const opossum = new CircuitBreakerOpossum(resolved, { timeout: false, resetTimeout: 30_000 });
void retry;

describe('closed breaker around an already-resolved async function', () => {
  bench('floor: direct await', async () => {
    await resolved();
  });
  bench('bulwark (count window)', async () => {
    await bulwark.execute(resolved);
  });
  bench('bulwark (time window + slow-call timing)', async () => {
    await bulwarkTimed.execute(resolved);
  });
  bench('cockatiel', async () => {
    await cockatiel.execute(resolved);
  });
  bench('opossum', async () => {
    await opossum.fire();
  });
});
