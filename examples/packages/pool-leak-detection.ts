// pool: a pool never lends more than `max` resources, callers wait in line (bounded by
// `maxWaiting` and a timeout), and a lease held too long is reported with the stack of the
// acquire that took it: the forgotten `release()` is found in a log, not in an outage.
//   npx tsx examples/packages/pool-leak-detection.ts
import { createPool } from '@bulwark/pool';

let opened = 0;
const pool = createPool({
  create: () => ({ id: ++opened }),
  destroy: () => {},
  max: 2,
  maxWaiting: 10,
  acquireTimeoutMs: 200,
  leakDetectionMs: 50,
  leakStacks: 'always',
});
pool.on('leak', (report) => {
  console.log(`leak: a connection held for ${Math.round(report.heldMs)} ms, taken at`);
  console.log(report.stack?.split('\n').slice(1, 3).join('\n'));
});

// Two callers share the two connections; a third waits for one to come back.
const results = await Promise.all(
  [1, 2, 3].map((n) => pool.use(async (c) => `caller ${n} used connection ${c.id}`)),
);
console.log(results.join('\n'));

// A bug: a lease is taken and never released.
const forgotten = await pool.acquire();
await new Promise((resolve) => setTimeout(resolve, 80));
const { size, borrowed, leaks } = pool.stats();
console.log(`stats: ${size} connections, ${borrowed} borrowed, ${leaks} leak reported`);
forgotten.release();
await pool.close();
