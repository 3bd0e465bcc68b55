// circuit-breaker: a dependency starts failing; after 5 calls at a 100% failure rate the circuit
// opens and calls are refused at once (no waiting on a dead service); after `openMs` one probe
// goes through; the dependency is back, the probe succeeds and the circuit closes.
//   npx tsx examples/packages/circuit-breaker-states.ts
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokenCircuitError, CircuitBreaker } from '@bulwark/circuit-breaker';

let healthy = false;
const breaker = new CircuitBreaker({
  name: 'inventory',
  window: { calls: 10 },
  minimumCalls: 5,
  failureRateThreshold: 0.5,
  openMs: 100,
  onStateChange: ({ from, to }) => console.log(`  ${from} -> ${to}`),
});
const callInventory = async () => {
  if (!healthy) throw new Error('503 from inventory');
  return 'stock: 7';
};

for (let i = 1; i <= 8; i++) {
  try {
    await breaker.execute(callInventory);
  } catch (error) {
    console.log(
      `call ${i}: ${error instanceof BrokenCircuitError ? 'refused at once (open)' : 'failed'}`,
    );
  }
}
healthy = true;
const waitMs = Math.round(breaker.stats().retryAfterMs);
console.log(`inventory is back; the circuit stays open for ${waitMs} ms more`);
await sleep(waitMs + 20);
console.log(`probe: ${await breaker.execute(callInventory)}; state: ${breaker.state}`);
await breaker.close();
