import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Each short example in examples/packages runs as a learner would run it (with tsx), exits by
// itself with status 0, and prints the line that shows its point.
const examples: [file: string, shows: RegExp][] = [
  ['lru-lfu-scan-resistance.ts', /W-TinyLFU\s+hit ratio/],
  ['consistent-hash-rebalance.ts', /, 0 to an old server/],
  ['pool-leak-detection.ts', /leak: a connection held for/],
  ['circuit-breaker-states.ts', /probe: stock: 7; state: closed/],
  ['retry-backoff.ts', /ok after 3 attempts/],
  ['rate-limiter-algorithms.ts', /GCRA .* allowed/],
  ['cache-stampede.ts', /1000 concurrent misses -> 1 query/],
  ['idempotency-retry.ts', /customer charged 1 time/],
];

function run(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = fileURLToPath(new URL(`../packages/${file}`, import.meta.url));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path],
      { timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('per-package examples', () => {
  it.each(examples)('%s runs and shows its point', async (file, shows) => {
    const { code, stdout, stderr } = await run(file);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(shows);
  });
});
