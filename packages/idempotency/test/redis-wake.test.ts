// A duplicate waiting under onConcurrent: 'wait' in one process is woken by the first request's
// complete or release in another: two instances on two clients of one Redis (standalone and
// Cluster). Time is a FakeClock that never moves unless a test says so, so no poll can happen
// behind a test's back: a waiter that resolves with the clock still was woken by an announcement.
import {
  connectCluster,
  connectStandalone,
  connectToServer,
  describeRedis,
  FakeClock,
  nextEvent,
  ownRedisServer,
  uniquePrefix,
  until,
} from '@bulwark/test-utils';
import type { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createIdempotency,
  type Decision,
  type IdempotencyStore,
  type Lease,
} from '../src/index.js';
import { RedisIdempotencyStore } from '../src/redis.js';

const request = (key = 'order-1') => ({
  method: 'POST',
  path: '/orders',
  headers: { 'idempotency-key': `"${key}"` },
  body: Buffer.from('{}'),
});
const response = { status: 201, headers: [], body: Buffer.from('created') };

/** `store` with its claims counted (each is one round trip). */
function countingClaims(store: RedisIdempotencyStore): {
  store: IdempotencyStore;
  claims(): number;
} {
  let claims = 0;
  return {
    store: {
      claim: async (...args) => {
        const result = await store.claim(...args);
        claims++;
        return result;
      },
      complete: (...args) => store.complete(...args),
      release: (...args) => store.release(...args),
      onSettled: (key, listener) => store.onSettled(key, listener),
    },
    claims: () => claims,
  };
}

/** Two instances of the middleware, as two processes would have: each its own client and store. */
function twoProcesses(first: Redis | Cluster, second: Redis | Cluster, clock: FakeClock) {
  const prefix = uniquePrefix('idem-wake');
  const stores = [
    new RedisIdempotencyStore({ redis: first, prefix }),
    new RedisIdempotencyStore({ redis: second, prefix }),
  ];
  const counted = countingClaims(stores[1] as RedisIdempotencyStore);
  const options = { onConcurrent: 'wait', waitIntervalMs: 100, clock } as const;
  return {
    runner: createIdempotency({ store: stores[0] as RedisIdempotencyStore, ...options }),
    waiter: createIdempotency({ store: counted.store, ...options }),
    claims: counted.claims,
    close: () => Promise.all(stores.map((store) => store.close())),
  };
}

describeRedis('a waiting duplicate is woken across processes', () => {
  for (const kind of ['standalone', 'cluster'] as const) {
    describe(kind, () => {
      const clients: Array<Redis | Cluster> = [];
      const connect = () => {
        const client = kind === 'standalone' ? connectStandalone() : connectCluster();
        clients.push(client);
        return client;
      };
      afterEach(async () => {
        await Promise.all(clients.splice(0).map((client) => client.quit()));
      });

      it('gets the replay as soon as the first records, with no poll', async () => {
        const clock = new FakeClock();
        const { runner, waiter, claims, close } = twoProcesses(connect(), connect(), clock);
        const lease = (await runner.begin(request())) as Lease;
        expect(lease.action).toBe('execute');
        const waiting = waiter.begin(request()) as Promise<Decision>;
        // The claim that found the key running, then the look once the subscription is confirmed.
        await until(() => claims() === 2, 'the waiter to be subscribed');
        await runner.record(lease, response);
        const replay = await waiting;
        expect(replay).toMatchObject({ action: 'respond', outcome: 'replay' });
        expect(claims()).toBe(3);
        expect(clock.now()).toBe(0); // no poll interval passed: the announcement woke it
        expect(waiter.stats()).toMatchObject({ waiting: 0, replayed: 1 });
        await close();
      });

      it('runs as soon as the first releases the key', async () => {
        const clock = new FakeClock();
        const { runner, waiter, claims, close } = twoProcesses(connect(), connect(), clock);
        const lease = (await runner.begin(request())) as Lease;
        const waiting = waiter.begin(request()) as Promise<Decision>;
        await until(() => claims() === 2, 'the waiter to be subscribed');
        await runner.release(lease);
        expect(await waiting).toMatchObject({ action: 'execute' });
        expect(clock.now()).toBe(0);
        await close();
      });

      it('wakes 40 waiters on 20 keys', async () => {
        const clock = new FakeClock();
        const { runner, waiter, close } = twoProcesses(connect(), connect(), clock);
        const keys = Array.from({ length: 20 }, (_, i) => `bulk-${i}`);
        const leases = await Promise.all(keys.map((key) => runner.begin(request(key))));
        const waiting = keys.flatMap((key) => [
          waiter.begin(request(key)) as Promise<Decision>,
          waiter.begin(request(key)) as Promise<Decision>,
        ]);
        await until(() => waiter.stats().waiting === 40, 'every duplicate to wait');
        for (const lease of leases) await runner.record(lease as Lease, response);
        const answers = await Promise.all(waiting);
        expect(answers.every((a) => a.action === 'respond' && a.outcome === 'replay')).toBe(true);
        expect(clock.now()).toBe(0);
        await close();
      });
    });
  }
});

describeRedis('a waiting duplicate whose subscription is lost', () => {
  const own = ownRedisServer();
  const others: Redis[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    await own.redis.config('SET', 'maxclients', '10000');
    for (const close of closers.splice(0)) await close();
    for (const client of others.splice(0)) client.disconnect();
  });

  async function waitingPair(clock: FakeClock) {
    const second = connectToServer(own.server);
    others.push(second);
    await nextEvent(second, 'ready');
    const pair = twoProcesses(own.redis, second, clock);
    closers.push(pair.close);
    const lease = (await pair.runner.begin(request())) as Lease;
    const waiting = pair.waiter.begin(request()) as Promise<Decision>;
    await until(() => pair.claims() === 2, 'the waiter to be subscribed');
    return { ...pair, lease, waiting };
  }

  it('falls back to polling while the subscriber cannot reconnect', async () => {
    const clock = new FakeClock();
    const { runner, waiter, claims, lease, waiting, close } = await waitingPair(clock);
    // Room for no new connection, then drop the subscriber's: it cannot come back.
    const connected = Number(/connected_clients:(\d+)/.exec(await own.redis.info('clients'))?.[1]);
    await own.redis.config('SET', 'maxclients', String(connected - 1));
    expect(await own.redis.client('KILL', 'TYPE', 'pubsub')).toBe(1);
    await runner.record(lease, response); // announced to nobody
    expect(claims()).toBe(2);
    expect(waiter.stats().waiting).toBe(1);
    clock.advance(100); // the poll
    expect(await waiting).toMatchObject({ action: 'respond', outcome: 'replay' });
    expect(claims()).toBe(3);
    await close();
    expect(own.unhandled).toEqual([]);
  });

  it('holds one subscriber connection while duplicates wait, and none after', async () => {
    const clock = new FakeClock();
    const pubsubClients = async () =>
      String(await own.redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub'))
        .split('\n')
        .filter((line) => line.length > 0).length;
    const { runner, waiter, lease, waiting, close } = await waitingPair(clock);
    const other = (await runner.begin(request('order-2'))) as Lease;
    const more = [request(), request(), request('order-2')].map(
      (r) => waiter.begin(r) as Promise<Decision>,
    );
    await until(() => waiter.stats().waiting === 4, 'every duplicate to wait');
    expect(await pubsubClients()).toBe(1);
    await runner.record(lease, response);
    await Promise.all([waiting, ...more.slice(0, 2)]);
    expect(waiter.stats().waiting).toBe(1); // order-2's duplicate still waits
    expect(await pubsubClients()).toBe(1);
    await runner.release(other);
    expect(await more[2]).toMatchObject({ action: 'execute' });
    await until(async () => (await pubsubClients()) === 0, 'the subscriber to be closed');
    expect(clock.now()).toBe(0);
    await close();
  });

  it('looks again once a lost subscriber connection is back', async () => {
    const clock = new FakeClock();
    const { runner, lease, waiting, close } = await waitingPair(clock);
    expect(await own.redis.client('KILL', 'TYPE', 'pubsub')).toBe(1);
    await runner.record(lease, response); // announced to nobody: the subscriber is reconnecting
    expect(await waiting).toMatchObject({ action: 'respond', outcome: 'replay' });
    expect(clock.now()).toBe(0); // woken by the return of the subscription, not by a poll
    await close();
    expect(own.unhandled).toEqual([]);
  });
});
