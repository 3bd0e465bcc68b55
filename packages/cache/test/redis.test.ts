// Two tiers on the shared Redis, standalone and the 3-master cluster: three cache instances with
// separate L1s stand for three processes (a test with real child processes is in
// redis-processes.test.ts).
import { setTimeout as delay } from 'node:timers/promises';
import {
  connectCluster,
  connectStandalone,
  describeRedis,
  uniquePrefix,
} from '@bulwark/test-utils';
import type { Cluster } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { LoaderContext } from '../src/index.js';
import {
  createRedisCache,
  type RedisCache,
  type RedisCacheOptions,
  type Serializer,
} from '../src/redis.js';
import { type Client, eventually, gatedLoader } from './redis-helpers.js';

describeRedis('two tiers on Redis', () => {
  const clients: Client[] = [];
  const caches: RedisCache<unknown>[] = [];
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });

  for (const kind of ['standalone', 'cluster'] as const) {
    describe(kind, () => {
      const connect = (): Client => {
        const client = kind === 'standalone' ? connectStandalone() : connectCluster();
        clients.push(client);
        return client;
      };
      const shared = connect();

      // `count` instances sharing one prefix, each with its own L1 (and its own connection).
      async function instances<V = string>(
        count: number,
        options: Partial<RedisCacheOptions<V>> = {},
      ): Promise<{ prefix: string; caches: RedisCache<V>[] }> {
        const prefix = options.prefix ?? uniquePrefix('cache');
        const made = Array.from({ length: count }, () =>
          createRedisCache<V>({
            redis: connect(),
            prefix,
            ttlMs: 60_000,
            earlyRefresh: false,
            ...options,
          }),
        );
        caches.push(...(made as RedisCache<unknown>[]));
        await Promise.all(made.map((cache) => cache.ready()));
        return { prefix, caches: made };
      }

      it('1,000 concurrent gets of one key across three instances call the loader once', async () => {
        const {
          caches: [a, b, c],
        } = await instances(3);
        let release!: () => void;
        const { loader, state } = gatedLoader(new Promise<void>((r) => (release = r)));
        const gets = Array.from({ length: 1_000 }, (_, i) =>
          [a!, b!, c!][i % 3]!.get('hot', loader),
        );
        // Let every instance's lookup reach Redis and find the lease taken before the load ends.
        await eventually(
          () =>
            state.calls === 1 &&
            a!.stats().misses + b!.stats().misses + c!.stats().misses === 1_000,
        );
        await eventually(async () => {
          const waits = [a!, b!, c!].reduce((sum, x) => sum + x.stats().remoteWaits, 0);
          return waits === 2;
        });
        release();
        const values = await Promise.all(gets);
        expect(new Set(values)).toEqual(new Set(['value-1']));
        expect(state.calls).toBe(1);
        const stats = [a!, b!, c!].map((x) => x.stats());
        expect(stats.reduce((sum, s) => sum + s.loads, 0)).toBe(1);
        expect(stats.reduce((sum, s) => sum + s.coalesced, 0)).toBe(1_000 - 3);
        for (const s of stats) expect(s).toMatchObject({ storeErrors: 0, healthy: true });
        // Every L1 holds it now: no more Redis or loader calls.
        expect(await b!.get('hot', loader)).toBe('value-1');
        expect(b!.stats().hits).toBe(1);
      });

      it('a set on one instance evicts the others’ L1 copy; they read the new value from Redis', async () => {
        const {
          caches: [a, b, c],
        } = await instances(3);
        const { loader, state } = gatedLoader();
        for (const x of [a!, b!, c!]) expect(await x.get('k', loader)).toBe('value-1');
        await a!.set('k', 'written by a');
        await eventually(() => b!.peek('k') === undefined && c!.peek('k') === undefined);
        expect(await b!.get('k', loader)).toBe('written by a');
        expect(await c!.get('k', loader)).toBe('written by a');
        expect(state.calls).toBe(1);
        expect(b!.stats().l2Hits).toBe(2);
      });

      it('once the server clock is known, an L2 hit is one plain GET (no script)', async () => {
        const client = connect();
        const counts = { get: 0, evalsha: 0 };
        for (const name of ['get', 'evalsha'] as const) {
          const original = (client[name] as (...args: unknown[]) => Promise<unknown>).bind(client);
          Object.assign(client, {
            [name]: (...args: unknown[]) => {
              counts[name]++;
              return original(...args);
            },
          });
        }
        const {
          prefix,
          caches: [a],
        } = await instances(1);
        const b = createRedisCache<string>({ redis: client, prefix, ttlMs: 60_000 });
        caches.push(b as RedisCache<unknown>);
        await b.ready();
        let n = 0;
        // The first reads go through the script while the server's clock is being read.
        await eventually(async () => {
          const key = `k${n++}`;
          await a!.set(key, 'v');
          const scripts = counts.evalsha;
          const gets = counts.get;
          expect(await b.get(key, () => 'never')).toBe('v');
          return counts.evalsha === scripts && counts.get === gets + 1;
        });
        expect(b.stats().l2Hits).toBe(n);
      });

      it('a delete on one instance is seen by the others', async () => {
        const {
          caches: [a, b, c],
        } = await instances(3);
        const { loader, state } = gatedLoader();
        for (const x of [a!, b!, c!]) await x.get('k', loader);
        expect(await a!.delete('k')).toBe(true);
        await eventually(() => b!.peek('k') === undefined && c!.peek('k') === undefined);
        expect(await c!.get('k', loader)).toBe('value-2');
        expect(state.calls).toBe(2);
      });

      it('deleteByTag on one instance removes the tagged entries everywhere', async () => {
        const {
          prefix,
          caches: [a, b, c],
        } = await instances(3);
        const tagged = (context: LoaderContext<string>) => {
          context.setTags(['team:7']);
          return `member ${context.key}`;
        };
        for (const key of ['u1', 'u2', 'u3']) {
          await a!.get(key, tagged);
          await b!.get(key, tagged); // from Redis, tags and all
          await c!.get(key, tagged);
        }
        await a!.get('other', () => 'untagged');
        expect(b!.stats().l2Hits).toBe(3);
        await c!.deleteByTag('team:7');
        await eventually(() =>
          [a!, b!].every((x) => ['u1', 'u2', 'u3'].every((key) => x.peek(key) === undefined)),
        );
        expect(a!.peek('other')).toBe('untagged');
        let reloads = 0;
        expect(
          await b!.get('u2', () => {
            reloads++;
            return 'reloaded';
          }),
        ).toBe('reloaded');
        expect(reloads).toBe(1);
        expect(await shared.exists(`${prefix}tag:{team:7}`)).toBe(0);
      });

      it('a load whose lease was lost cannot overwrite newer data (fencing token)', async () => {
        const {
          caches: [a, b, c],
        } = await instances(3);
        let release!: (value: string) => void;
        const slow = () => new Promise<string>((r) => (release = r));
        const loading = a!.get('k', slow);
        await eventually(() => release !== undefined);
        await b!.set('k', 'newer, from b'); // moves the fence on
        release('older, from a');
        expect(await loading).toBe('older, from a');
        expect(a!.stats().fencedWrites).toBe(1);
        expect(a!.peek('k')).toBeUndefined();
        expect(await c!.get('k', () => 'never')).toBe('newer, from b');
        expect(await a!.get('k', () => 'never')).toBe('newer, from b');
      });

      it('a lease left by a dead process is taken over once it expires', async () => {
        const {
          prefix,
          caches: [b],
        } = await instances(1, { leasePollMs: 20 });
        // As a crashed loader leaves it: a lease with a token nobody will release, 150 ms to live.
        await shared.set(`${prefix}{k}:lease`, 'dead-process:1', 'PX', 150);
        const { loader, state } = gatedLoader();
        expect(await b!.get('k', loader)).toBe('value-1');
        expect(state.calls).toBe(1);
        expect(b!.stats()).toMatchObject({ remoteWaits: 1, loads: 1 });
      });

      it('waiters are woken by the loader’s message, not only by polling', async () => {
        // A poll interval far beyond the test's reach: only the pub/sub message can wake b.
        const {
          caches: [a, b],
        } = await instances(2, { leasePollMs: 60_000 });
        let release!: () => void;
        const { loader, state } = gatedLoader(new Promise<void>((r) => (release = r)));
        const first = a!.get('k', loader);
        await eventually(() => state.calls === 1); // a holds the lease
        const second = b!.get('k', loader);
        await eventually(() => b!.stats().remoteWaits === 1);
        release();
        expect(await Promise.all([first, second])).toEqual(['value-1', 'value-1']);
      });

      it('a loader error is not written to Redis and frees the lease for the next try', async () => {
        const {
          caches: [a, b],
        } = await instances(2);
        await expect(
          a!.get('k', () => {
            throw new Error('db down');
          }),
        ).rejects.toThrow('db down');
        const { loader, state } = gatedLoader();
        expect(await b!.get('k', loader)).toBe('value-1');
        expect(state.calls).toBe(1);
      });

      it('serves a value from Redis stale while one refresh runs (stale-while-revalidate)', async () => {
        const {
          caches: [a, b],
        } = await instances(2, {
          ttlMs: 30,
          staleWhileRevalidateMs: 60_000,
        });
        await a!.set('k', 'old');
        await delay(40); // Redis' own clock must pass the 30 ms TTL
        let calls = 0;
        const refresh = async () => {
          calls++;
          return 'new';
        };
        expect(await b!.get('k', refresh)).toBe('old');
        await eventually(() => b!.peek('k') === 'new');
        expect(calls).toBe(1);
        expect(b!.stats()).toMatchObject({ staleHits: 1, l2Hits: 1 });
      });

      it('an XFetch refresh reloads even though Redis still holds the same fresh value', async () => {
        // A tiny draw refreshes as soon as the expiry is within reach of any draw, 36.7·δ: with
        // δ >= 10 ms that is 367 ms, beyond the 300 ms TTL, so the next hit refreshes.
        const {
          caches: [a],
        } = await instances(1, {
          ttlMs: 300,
          earlyRefresh: { beta: 1 },
          random: () => 1e-300,
        });
        let calls = 0;
        const loader = async () => {
          calls++;
          await delay(10);
          return `v${calls}`;
        };
        expect(await a!.get('k', loader)).toBe('v1');
        expect(await a!.get('k', loader)).toBe('v1');
        await eventually(() => a!.peek('k') === 'v2');
        expect(a!.stats().earlyRefreshes).toBe(1);
      });

      it('round-trips values through the serializers: json, v8 and a custom one', async () => {
        const {
          caches: [a, b],
        } = await instances<unknown>(2);
        const json = { n: 1, s: 'x', list: [1, 'two', null], nested: { ok: true } };
        await a!.set('json', json);
        await a!.set('nothing', undefined);
        expect(await b!.get('json', () => 'never')).toEqual(json);
        expect(await b!.get('nothing', () => 'never')).toBeUndefined();

        const {
          caches: [c, d],
        } = await instances<unknown>(2, { serializer: 'v8' });
        const rich = {
          when: new Date(1_700_000_000_000),
          map: new Map([['a', 1]]),
          set: new Set([1, 2]),
          bytes: Buffer.from([0, 1, 254, 255]),
          big: 2n ** 70n,
        };
        await c!.set('rich', rich);
        const back = (await d!.get('rich', () => 'never')) as typeof rich;
        expect(back.when).toEqual(rich.when);
        expect(back.map).toEqual(rich.map);
        expect(back.set).toEqual(rich.set);
        expect(Buffer.from(back.bytes)).toEqual(rich.bytes);
        expect(back.big).toBe(rich.big);

        const upper: Serializer<unknown> = {
          serialize: (v) => String(v).toUpperCase(),
          deserialize: (text) => `<${text}>`,
        };
        const {
          caches: [e, f],
        } = await instances<unknown>(2, { serializer: upper });
        await e!.set('k', 'abc');
        expect(await f!.get('k', () => 'never')).toBe('<ABC>');
      });

      it('a value the serializer refuses stays in memory, reported, and the caller never sees it fail', async () => {
        const {
          caches: [a, b],
        } = await instances<unknown>(2);
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        expect(await a!.get('k', () => cyclic)).toBe(cyclic);
        const { loader } = gatedLoader();
        expect(await b!.get('k', loader)).toBe('value-1');
      });

      if (kind === 'cluster')
        it('invalidations travel on a sharded channel (SSUBSCRIBE) on the cluster', async () => {
          const { prefix } = await instances(1);
          const nodes = (shared as Cluster).nodes('master');
          const channels = await Promise.all(
            nodes.map((node) => node.call('PUBSUB', 'SHARDCHANNELS') as Promise<string[]>),
          );
          expect(channels.flat()).toContain(`${prefix}invalidate`);
        });
    });
  }
});
