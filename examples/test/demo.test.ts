import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo.js';

// The demo end to end on loopback. Waits between attempts are 0 ms and breakers stay open for
// an hour, so nothing depends on how fast the machine is: a shard that goes down is cut off by
// its breaker and stays cut off until the run ends.
describe('demo', () => {
  it('serves, refuses the greedy client, and cuts off the shard that went down', async () => {
    const requests = 600;
    const summary = await runDemo({
      requests,
      seed: 7,
      paceMs: 0,
      openMs: 3_600_000,
      backoff: { strategy: 'constant', baseMs: 0 },
      perClient: { capacity: 60, refillPerSecond: 0.001 },
    });
    const { 200: ok = 0, 429: limited = 0, 503: unavailable = 0 } = summary.statuses;
    expect(ok + limited + unavailable).toBe(requests);
    // Client 0 sends every fourth request (150) and may burst 60, so 90 are refused; the nine
    // others send 50 each, within their burst. (The refill, 1 per 1000 s, adds nothing here.)
    expect(limited).toBe(150 - 60);
    // The failing shard's breaker opened and stayed open; the others stayed closed.
    expect(summary.breakerOpens).toBe(1);
    const states = Object.values(summary.breakerStates);
    expect(states.filter((s) => s === 'open')).toHaveLength(1);
    expect(states.filter((s) => s === 'closed').length).toBeGreaterThanOrEqual(1);
    // While down, the shard saw only the calls it took to trip its breaker (5 calls, each tried
    // at most 3 times), not every request for its products.
    const down = summary.shards[1]!;
    expect(down.duringOutage).toBeGreaterThan(0);
    expect(down.duringOutage).toBeLessThanOrEqual(5 * 3 + 8 * 3);
    expect(unavailable).toBeGreaterThan(0);
    expect(summary.cacheHitRatio).toBeGreaterThan(0);
    expect(summary.pool.leaks).toBe(0);
  });
});
