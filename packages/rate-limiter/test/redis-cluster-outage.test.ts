// A Cluster of the test's own loses a master mid-run (killed through the harness): calls whose
// keys it owned are answered by onStoreError, nothing rejects, and once the node is back (same
// port and nodes.conf) decisions come from Redis again. Waits on real state, never fixed sleeps.
import { describeRedis, ownRedisCluster, until } from '@bulwark/test-utils';
import type { Cluster } from 'ioredis';
import { beforeAll, expect, it } from 'vitest';
import type { Decision } from '../src/types.js';
import { MARK, markingLimiter } from './redis-helpers.js';

// Generous: a loaded machine may take long to notice the node gone and back.
const OUTAGE_LIMIT_MS = 30_000;

describeRedis('a Cluster master stopped mid-run', () => {
  const own = ownRedisCluster(3);
  let client: Cluster;
  beforeAll(async () => {
    client = await own.connect();
  }, 60_000);

  it('onStoreError answers for the lost slots, and Redis decides again once the node is back', async () => {
    // Store failures answer with a marker decision, told apart from Redis' own answers.
    const limiter = markingLimiter(client, 'cluster-outage');
    const keys = Array.from({ length: 12 }, (_, i) => `user-${i}`);
    for (const key of keys) expect((await limiter.consume(key)).allowed).toBe(true);

    const consumeAll = () => Promise.all(keys.map((key) => limiter.consume(key)));

    const victim = own.cluster.nodes[0]!;
    await victim.kill();
    // Poll the limiter itself until the outage shows (the client notices the lost node).
    let during: Decision[] = [];
    await until(
      async () => {
        during = await consumeAll();
        return during.some((d) => d.retryAfterMs === MARK);
      },
      'the outage to show',
      OUTAGE_LIMIT_MS,
    );
    const failed = during.filter((d) => !d.allowed && d.retryAfterMs === MARK);
    expect(failed.length).toBeGreaterThan(0);
    expect(limiter.stats().storeErrors).toBeGreaterThan(0);

    await victim.restart();
    await own.cluster.waitUntilOk();
    // Until the client has reconnected, calls keep failing closed; then Redis answers again.
    let after: Decision[] = [];
    await until(
      async () => {
        after = await consumeAll();
        return after.every((d) => d.retryAfterMs !== MARK);
      },
      'Redis to answer again',
      OUTAGE_LIMIT_MS,
    );
    for (const d of after) expect(d.allowed).toBe(true);
    expect(limiter.stats().healthy).toBe(true);
    expect(own.unhandled).toEqual([]);
  }, 60_000);
});
