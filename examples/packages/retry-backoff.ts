// retry: a flaky call succeeds on its third attempt, with full-jitter backoff between attempts;
// a shared retry budget keeps a fleet of callers from tripling the load on a service that is down.
//   npx tsx examples/packages/retry-backoff.ts
import { RetryBudget, RetryBudgetExhaustedError, retry } from '@bulwark/retry';

let attempts = 0;
const flaky = async () => {
  attempts++;
  if (attempts < 3) throw new Error(`attempt ${attempts} failed`);
  return 'ok';
};
const result = await retry(flaky, {
  attempts: 5,
  backoff: { strategy: 'full-jitter', baseMs: 10, maxDelayMs: 100 },
  onRetry: ({ attempt, delayMs }) => console.log(`  retry ${attempt} in ${Math.round(delayMs)} ms`),
});
console.log(`${result} after ${attempts} attempts`);

// When everything fails, the budget (10% of first attempts, no floor) soon refuses retries.
const budget = new RetryBudget({ ratio: 0.1, minRetriesPerSecond: 0 });
let refused = 0;
for (let i = 0; i < 50; i++) {
  await retry(
    async () => {
      throw new Error('down');
    },
    { attempts: 3, budget, backoff: { strategy: 'constant', baseMs: 0 } },
  ).catch((error) => {
    if (error instanceof RetryBudgetExhaustedError) refused++;
  });
}
const stats = budget.stats();
console.log(
  `50 failing calls: ${stats.totalRetries} retries made, where 100 would be without a budget;`,
);
console.log(`${refused} calls ended when the budget refused them a retry`);
