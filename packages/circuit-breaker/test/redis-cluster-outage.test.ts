// A Cluster of the test's own loses the master that owns the shared record, killed through the
// harness by pid: no caller sees a store error, 'fail-open' goes on as a local breaker,
// 'fail-closed' isolates, the outage shows on the store-error channel and in stats(), and once
// the node is back (same port and nodes.conf, empty) the instances agree on the shared state
// again. Waits poll real state with bounded loops (vi.waitFor), never fixed sleeps.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  describeRedis,
  ownRedisCluster,
  type RedisServer,
  uniquePrefix,
} from '@bulwark/test-utils';
import type { Cluster } from 'ioredis';
import { expect, it, vi } from 'vitest';
import { BrokenCircuitError, type StateChange } from '../src/index.js';
import { RedisCircuitBreaker, type RedisCircuitBreakerOptions } from '../src/redis.js';

const boom = () => Promise.reject(new Error('boom'));
const ok = () => Promise.resolve('ok');
const OPEN_MS = 60_000;
// Bounds for waiting on the client and the cluster to notice a change; generous for a busy box.
const WAIT = { timeout: 15_000, interval: 25 };

/** The slot ranges a node serves, from the `myself` line of its `CLUSTER NODES`. */
async function slotsOf(node: RedisServer): Promise<[number, number][]> {
  const myself = (await node.cli('cluster', 'nodes'))
    .split('\n')
    .find((line) => line.includes('myself'));
  if (!myself) throw new Error(`no myself line in CLUSTER NODES of port ${node.port}`);
  return myself
    .split(' ')
    .slice(8)
    .filter((part) => /^\d+(-\d+)?$/.test(part))
    .map((part) => {
      const [from, to = from] = part.split('-').map(Number) as [number, number?];
      return [from, to ?? from];
    });
}

/** A breaker name whose key `<prefix>{<name>}` hashes to a slot `node` serves. */
async function nameOn(node: RedisServer, prefix: string, base: string): Promise<string> {
  const ranges = await slotsOf(node);
  for (let i = 0; i < 1000; i++) {
    const name = `${base}-${i}`;
    const slot = Number(await node.cli('cluster', 'keyslot', `${prefix}{${name}}`));
    if (ranges.some(([from, to]) => slot >= from && slot <= to)) return name;
  }
  throw new Error(`no name found on port ${node.port}`);
}

describeRedis('a Cluster master owning the shared record is killed mid-run', () => {
  // Its clients notice a dead node quickly: no offline queue (a command to a lost node fails
  // instead of waiting), one retry per request, short cluster retry delays.
  const own = ownRedisCluster(3);

  it('fail-open goes on locally, fail-closed isolates, and both converge once the node is back', async () => {
    const victim = own.cluster.nodes[1]!;
    const prefix = uniquePrefix('cb-cluster');
    const name = await nameOn(victim, prefix, 'payments');
    const [one, two] = [await own.connect(), await own.connect()];

    const storeErrors: { name: string; decision: string }[] = [];
    const onStoreError = (message: unknown) => {
      const { name, decision } = message as { name: string; decision: string };
      storeErrors.push({ name, decision });
    };
    subscribe('bulwark:circuit-breaker:store-error', onStoreError);
    const changes: Record<string, string[]> = { a: [], b: [], c: [] };
    // Real clock and timers: storeTimeoutMs bounds any call the client would leave hanging.
    const make = (
      id: 'a' | 'b' | 'c',
      redis: Cluster,
      options: Partial<RedisCircuitBreakerOptions>,
    ) =>
      new RedisCircuitBreaker({
        redis,
        prefix,
        name,
        window: { calls: 2 },
        minimumCalls: 2,
        openMs: OPEN_MS,
        syncIntervalMs: 0,
        storeTimeoutMs: 500,
        onStateChange: (c: StateChange) => changes[id]!.push(`${c.to}:${c.reason}`),
        ...options,
      });
    const a = make('a', one, { onStoreError: 'fail-open' });
    const b = make('b', two, { onStoreError: 'fail-open' });
    const c = make('c', two, { onStoreError: 'fail-closed' });
    const all = [a, b, c];

    try {
      for (const breaker of all) {
        await breaker.sync();
        expect(breaker.stats().healthy).toBe(true);
        await expect(breaker.execute(ok)).resolves.toBe('ok');
      }

      await victim.kill();
      expect(victim.running).toBe(false);

      // Each instance sees the outage on its next store call, once its client notices.
      for (const breaker of all) {
        await vi.waitFor(async () => {
          await breaker.sync();
          expect(breaker.stats().healthy).toBe(false);
        }, WAIT);
      }

      // fail-closed: isolated, once, with reason store-error; calls rejected by the breaker.
      expect(c.state).toBe('isolated');
      expect(changes.c).toEqual(['isolated:store-error']);
      const rejected = await c.execute(ok).catch((e: unknown) => e);
      expect(rejected).toBeInstanceOf(BrokenCircuitError);
      expect(rejected).toMatchObject({ state: 'isolated' });

      // fail-open: a local breaker. Calls flow, and its own failures trip it (unpublishable).
      expect(a.state).toBe('closed');
      expect(b.state).toBe('closed');
      await expect(a.execute(ok)).resolves.toBe('ok');
      // The window holds 2 calls; failures reach the failure rate within 2 calls.
      for (let i = 0; i < 2 && a.state === 'closed'; i++)
        await expect(a.execute(boom)).rejects.toThrow('boom');
      await a.flush();
      expect(a.state).toBe('open');
      expect(changes.a).toEqual(['open:failure-rate']);
      await expect(a.execute(ok)).rejects.toMatchObject({ state: 'open' });
      // b cannot learn of a's trip while the record is unreachable: it keeps letting calls through.
      await b.sync();
      expect(b.state).toBe('closed');
      await expect(b.execute(ok)).resolves.toBe('ok');

      // The outage was reported: on the channel, with each instance's decision, and in stats().
      for (const breaker of all) expect(breaker.stats().storeErrors).toBeGreaterThan(0);
      expect(storeErrors.every((e) => e.name === name)).toBe(true);
      const decisions = new Set(storeErrors.map((e) => e.decision));
      expect(decisions).toEqual(new Set(['fail-open', 'fail-closed']));
      const reported = storeErrors.length;
      expect(reported).toBe(all.reduce((n, br) => n + br.stats().storeErrors, 0));

      // Back on the same port with its nodes.conf, but empty (no persistence).
      await victim.restart();
      await own.cluster.waitUntilOk();

      // a's trip never reached the store; on its first answer a writes it back.
      await vi.waitFor(async () => {
        await a.sync();
        await a.flush();
        expect(a.stats().healthy).toBe(true);
      }, WAIT);
      expect(a.state).toBe('open');

      // The others take the shared open, for (about) the time a has left.
      for (const breaker of [b, c]) {
        await vi.waitFor(async () => {
          await breaker.sync();
          expect(breaker.stats().healthy).toBe(true);
          expect(breaker.state).toBe('open');
        }, WAIT);
        expect(breaker.stats().retryAfterMs).toBeGreaterThan(OPEN_MS - 15_000);
        await expect(breaker.execute(ok)).rejects.toMatchObject({ state: 'open' });
      }
      expect(changes.b).toEqual(['open:remote']);
      expect(changes.c).toEqual(['isolated:store-error', 'open:remote']);
      const versions = new Set(all.map((br) => br.stats().version));
      expect(versions.size).toBe(1);

      // And the shared state works both ways again: a manual close on b reaches everyone.
      b.reset();
      await b.flush();
      for (const breaker of [a, c]) {
        await breaker.sync();
        expect(breaker.state).toBe('closed');
      }
      expect(own.unhandled).toEqual([]);
    } finally {
      unsubscribe('bulwark:circuit-breaker:store-error', onStoreError);
      for (const breaker of all) await breaker.close();
      await Promise.all(all.map((breaker) => breaker.flush()));
    }
  }, 60_000);
});
