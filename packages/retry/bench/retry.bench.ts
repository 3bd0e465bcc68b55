// The built package, as users get it (`npm run bench` builds first). Bundled, its internal calls
// are plain function calls; run from src, the test transform turns each cross-module call into a
// getter call, which taxes retry()'s option checks and not what users run.
import { retry, retryPolicy, timeoutPolicy, wrap } from '@bulwark/retry';
import {
  retry as cockatielRetry,
  timeout as cockatielTimeout,
  wrap as cockatielWrap,
  handleAll,
  TimeoutStrategy,
} from 'cockatiel';
import { bench, describe } from 'vitest';

// The wrapped call: an async function that resolves at once, so each policy's own cost per call
// is what the numbers show. The first attempt always succeeds. One bench op is CALLS sequential
// calls, so the harness's own overhead per op does not dominate.
const CALLS = 1_000;
const resolved = async (): Promise<number> => 1;

const options = { time: 1_500, warmupTime: 300 };

const ours = retryPolicy({ attempts: 3 });
const oursOptions = { attempts: 3 };
const theirs = cockatielRetry(handleAll, { maxAttempts: 2 });

describe('retry, first attempt succeeds (1000 calls per op)', () => {
  bench(
    'floor: direct await',
    async () => {
      for (let i = 0; i < CALLS; i++) await resolved();
    },
    options,
  );
  bench(
    'bulwark retryPolicy().execute',
    async () => {
      for (let i = 0; i < CALLS; i++) await ours.execute(resolved);
    },
    options,
  );
  bench(
    'bulwark retry(fn, options)',
    async () => {
      for (let i = 0; i < CALLS; i++) await retry(resolved, oursOptions);
    },
    options,
  );
  bench(
    'cockatiel retry(handleAll).execute',
    async () => {
      for (let i = 0; i < CALLS; i++) await theirs.execute(resolved);
    },
    options,
  );
});

const oursWithTimeout = wrap(retryPolicy({ attempts: 3 }), timeoutPolicy(10_000));
const theirsWithTimeout = cockatielWrap(
  cockatielRetry(handleAll, { maxAttempts: 2 }),
  cockatielTimeout(10_000, TimeoutStrategy.Cooperative),
);

describe('retry around a 10 s timeout, first attempt succeeds (1000 calls per op)', () => {
  bench(
    'floor: direct await',
    async () => {
      for (let i = 0; i < CALLS; i++) await resolved();
    },
    options,
  );
  bench(
    'bulwark wrap(retryPolicy, timeoutPolicy)',
    async () => {
      for (let i = 0; i < CALLS; i++) await oursWithTimeout.execute(resolved);
    },
    options,
  );
  bench(
    'cockatiel wrap(retry, timeout)',
    async () => {
      for (let i = 0; i < CALLS; i++) await theirsWithTimeout.execute(resolved);
    },
    options,
  );
});
