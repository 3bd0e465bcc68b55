// `npm run demo` from the repository root: runs the demo once and prints what each part did.
import { runDemo } from './demo.js';

const summary = await runDemo();
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log('responses by status:', summary.statuses);
console.log(
  '  200 served, 429 refused by the per-client token bucket, 503 while a shard was cut off',
);
for (const shard of summary.shards) {
  console.log(
    `shard ${shard.name} (${shard.origin}): ${shard.requests} requests reached it, ${shard.duringOutage} while it was down`,
  );
}
console.log(`breakers opened ${summary.breakerOpens} times; now:`, summary.breakerStates);
console.log(`retries made by the undici interceptor: ${summary.retries}`);
console.log(`W-TinyLFU cache hit ratio: ${pct(summary.cacheHitRatio)}`);
console.log('database pool:', summary.pool);
