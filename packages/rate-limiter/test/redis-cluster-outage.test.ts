// A Cluster of the test's own loses a master mid-run (killed through the harness): calls whose
// keys it owned are answered by onStoreError, nothing rejects, and once the node is back (same
// port and nodes.conf) decisions come from Redis again. Waits on real state, never fixed sleeps.
import { describeRedis, flushMicrotasks, RedisCluster, uniquePrefix } from '@bulwark/test-utils';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fixedWindow } from '../src/index.js';
import { RedisRateLimiter } from '../src/redis.js';

describeRedis('a Cluster master stopped mid-run', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    cluster = await RedisCluster.start(3);
    client = new Cluster(cluster.addresses, {
      enableOfflineQueue: false,
      clusterRetryStrategy: () => 50,
      retryDelayOnClusterDown: 50,
      retryDelayOnFailover: 50,
      redisOptions: { maxRetriesPerRequest: 1 },
    });
    client.on('error', () => {});
    client.on('node error', () => {});
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.dispose();
    process.off('unhandledRejection', onUnhandled);
  });

  it('onStoreError answers for the lost slots, and Redis decides again once the node is back', async () => {
    // A marker decision, so store failures are told apart from Redis' own answers.
    const MARK = 4242;
    const limiter = new RedisRateLimiter(fixedWindow({ limit: 1000, windowMs: 60_000 }), {
      redis: client,
      prefix: uniquePrefix('cluster-outage'),
      onStoreError: () => ({
        allowed: false,
        limit: 1000,
        remaining: 0,
        resetMs: MARK,
        retryAfterMs: MARK,
      }),
    });
    const keys = Array.from({ length: 12 }, (_, i) => `user-${i}`);
    for (const key of keys) expect((await limiter.consume(key)).allowed).toBe(true);

    const victim = cluster.nodes[0]!;
    await victim.kill();
    // Poll the limiter itself until the outage shows (the client notices the lost node).
    let during = await Promise.all(keys.map((key) => limiter.consume(key)));
    while (during.every((d) => d.retryAfterMs !== MARK)) {
      await flushMicrotasks(); // yield to I/O: failures can be answered without any
      during = await Promise.all(keys.map((key) => limiter.consume(key)));
    }
    const failed = during.filter((d) => !d.allowed && d.retryAfterMs === MARK);
    expect(failed.length).toBeGreaterThan(0);
    expect(limiter.stats().storeErrors).toBeGreaterThan(0);

    await victim.restart();
    await cluster.waitUntilOk();
    // Until the client has reconnected, calls keep failing closed; then Redis answers again.
    let after = await Promise.all(keys.map((key) => limiter.consume(key)));
    while (after.some((d) => d.retryAfterMs === MARK)) {
      await flushMicrotasks();
      after = await Promise.all(keys.map((key) => limiter.consume(key)));
    }
    for (const d of after) expect(d.allowed).toBe(true);
    expect(limiter.stats().healthy).toBe(true);
    expect(unhandled).toEqual([]);
  }, 60_000);
});
