import { createServer, type Server } from 'node:http';
import { closeServer, describeRedis, listen, uniquePrefix, until } from '@bulwark/test-utils';
import type { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { withIdempotency } from '../src/http.js';
import { createIdempotency, type Lease } from '../src/index.js';
import { RedisIdempotencyStore } from '../src/redis.js';
import { App, client, type Reply, writeAnswer } from './adapter-helpers.js';
import { redisClients } from './redis-helpers.js';

const KEY = { 'idempotency-key': '"order-1"' };
const request = (body = '{}') => ({
  method: 'POST',
  path: '/orders',
  headers: KEY,
  body: Buffer.from(body),
});

/** Counts the scripts sent through a client: each EVALSHA or EVAL is one round trip. */
function counting(redis: Redis | Cluster): { client: Redis | Cluster; calls: string[] } {
  const calls: string[] = [];
  const wrapped = new Proxy(redis, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name !== 'evalshaBuffer' && name !== 'evalBuffer') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { client: wrapped, calls };
}

const servers: Server[] = [];
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  return listen(server);
}

describeRedis('redis store', () => {
  const clients = redisClients();
  const post = client();
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(closeServer));
  });

  for (const kind of ['standalone', 'cluster'] as const) {
    describe(kind, () => {
      const redis = () => (kind === 'standalone' ? clients.standalone() : clients.cluster());

      it('costs one round trip before the handler and one after; a replay costs one', async () => {
        const { client: counted, calls } = counting(redis());
        const store = new RedisIdempotencyStore({
          redis: counted,
          prefix: uniquePrefix('idem-rt'),
        });
        const idempotency = createIdempotency({ store });
        // Load the scripts on every node first: a node that never saw a script costs one more
        // round trip once (NOSCRIPT, then EVAL).
        for (let i = 0; i < 30; i++) {
          const warm = await idempotency.begin({
            ...request(),
            headers: { 'idempotency-key': `w${i}` },
          });
          await idempotency.record(warm as Lease, {
            status: 201,
            headers: [],
            body: Buffer.from('ok'),
          });
        }
        calls.length = 0;
        const first = (await idempotency.begin(request())) as Lease;
        expect(first.action).toBe('execute');
        expect(calls).toEqual(['evalshaBuffer']); // the claim
        await idempotency.record(first, { status: 201, headers: [], body: Buffer.from('ok') });
        expect(calls).toEqual(['evalshaBuffer', 'evalshaBuffer']); // and the complete
        calls.length = 0;
        const replay = await idempotency.begin(request());
        expect(replay).toMatchObject({ action: 'respond', outcome: 'replay' });
        expect(calls).toEqual(['evalshaBuffer']);
      });

      it('a key and prefix land in one hash tagged by the key', async () => {
        const prefix = uniquePrefix('idem-key');
        const store = new RedisIdempotencyStore({ redis: redis(), prefix });
        expect(store.redisKey('3:bob:k')).toBe(`${prefix}{3:bob:k}`);
        const claim = await store.claim('3:bob:k', 'fp', 1000, 5000);
        expect(claim.state).toBe('claimed');
        expect(await redis().hget(store.redisKey('3:bob:k'), 'state')).toBe('run');
        const ttl = await redis().pttl(store.redisKey('3:bob:k'));
        expect(ttl).toBeGreaterThan(4000);
        expect(ttl).toBeLessThanOrEqual(5000);
      });

      it('after a real expiry the counter restarts above every earlier token', async () => {
        const store = new RedisIdempotencyStore({
          redis: redis(),
          prefix: uniquePrefix('idem-exp'),
        });
        const tokens: number[] = [];
        for (let i = 0; i < 5; i++) {
          const claim = await store.claim('k', 'fp', 30, 30);
          if (claim.state === 'claimed') tokens.push(claim.token);
          await store.release('k', tokens.at(-1) as number);
        }
        await until(
          async () => (await redis().exists(store.redisKey('k'))) === 0,
          'the record to expire',
        );
        const after = await store.claim('k', 'fp', 1000, 1000);
        expect(after.state).toBe('claimed');
        expect((after as { token: number }).token).toBeGreaterThan(Math.max(...tokens));
        expect(
          await store.complete(
            'k',
            tokens.at(-1) as number,
            { status: 200, headers: [], body: Buffer.alloc(0) },
            1000,
          ),
        ).toBe(false);
      });

      it('a zombie whose lease was taken over cannot overwrite the newer record', async () => {
        const prefix = uniquePrefix('idem-zombie');
        const app = new App();
        const stats: Array<() => { fenced: number }> = [];
        const urls: string[] = [];
        for (let i = 0; i < 2; i++) {
          const handler = withIdempotency(
            async (req, res) =>
              writeAnswer(await app.answer(req.url ?? '/', req.body ?? Buffer.alloc(0)), res),
            { store: new RedisIdempotencyStore({ redis: redis(), prefix }), lockTtlMs: 100 },
          );
          stats.push(() => handler.idempotency.stats());
          urls.push(await serve((req, res) => void handler(req, res)));
        }
        const resume = app.hold(); // the first request pauses inside its handler...
        const zombie = post(urls[0] as string, '/payments', KEY);
        await until(() => app.calls === 1);
        let retry: Reply | undefined; // ...past its lease: a retry on the other instance runs
        await until(async () => {
          if (app.calls === 1) retry = await post(urls[1] as string, '/payments', KEY);
          return app.calls === 2;
        }, 'the lease to expire');
        resume();
        const [late] = await Promise.all([zombie]);
        retry = retry?.status === 201 ? retry : undefined;
        expect(late.status).toBe(201); // the zombie's client still gets its response...
        await until(() => stats[0]?.().fenced === 1, 'the zombie to be fenced');
        const replay = await post(urls[0] as string, '/payments', KEY);
        expect(replay.headers['idempotent-replayed']).toBe('true');
        expect(JSON.parse(replay.body.toString()).call).toBe(2); // ...but the record is the retry's
        expect(app.calls).toBe(2);
      });

      it('500 concurrent identical POSTs across 3 instances run the handler once', async () => {
        const prefix = uniquePrefix('idem-500');
        const app = new App();
        const urls: string[] = [];
        for (let i = 0; i < 3; i++) {
          const handler = withIdempotency(
            async (req, res) =>
              writeAnswer(await app.answer(req.url ?? '/', req.body ?? Buffer.alloc(0)), res),
            { store: new RedisIdempotencyStore({ redis: redis(), prefix }) },
          );
          urls.push(await serve((req, res) => void handler(req, res)));
        }
        const resume = app.hold();
        let answered = 0;
        const replies = Array.from({ length: 500 }, (_, i) =>
          post(urls[i % 3] as string, '/payments', KEY).then((reply) => {
            if (++answered === 250) resume(); // half come back 409, the rest may see the replay
            return reply;
          }),
        );
        const all = await Promise.all(replies);
        expect(app.calls).toBe(1);
        const original = all.find(
          (r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined,
        );
        expect(original).toBeDefined();
        for (const reply of all) {
          if (reply.status === 409) continue;
          expect(reply.status).toBe(201);
          expect(reply.body.equals(original?.body as Buffer)).toBe(true);
        }
        expect(
          all.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined),
        ).toHaveLength(1);
      });
    });
  }
});
