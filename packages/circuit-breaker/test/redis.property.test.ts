import {
  connectCluster,
  connectStandalone,
  describeRedis,
  FakeClock,
  uniquePrefix,
} from '@bulwark/test-utils';
import fc from 'fast-check';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { RedisCircuitBreaker } from '../src/redis.js';

// Convergence: whatever each instance did on its own (calls that fail or succeed, probes after
// its own clock moved, manual open/isolate/close, syncs at any moment), two rounds of sync leave
// every instance in the state the shared record holds, with the same count of opens.

type Action =
  | { kind: 'call'; who: number; fails: boolean }
  | { kind: 'advance'; who: number; ms: number }
  | { kind: 'manual'; who: number; what: 'open' | 'close' | 'isolate' }
  | { kind: 'sync'; who: number };

const INSTANCES = 3;
const who = fc.nat(INSTANCES - 1);
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('call'), who, fails: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance'),
      who,
      ms: fc.constantFrom(1_000, 60_000, 120_000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('manual'),
      who,
      what: fc.constantFrom('open', 'close', 'isolate'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sync'), who }) },
) as fc.Arbitrary<Action>;

describeRedis('shared state converges (property)', () => {
  const clients: (Redis | Cluster)[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  for (const kind of ['standalone', 'cluster'] as const) {
    it(`${kind}: after any local histories, a sync round makes every instance agree with Redis`, async () => {
      const redis = kind === 'standalone' ? connectStandalone() : connectCluster();
      clients.push(redis);
      await fc.assert(
        fc.asyncProperty(fc.array(action, { maxLength: 40 }), async (actions) => {
          const prefix = uniquePrefix('cb-prop');
          const clocks = Array.from({ length: INSTANCES }, () => new FakeClock(0));
          const instances = clocks.map(
            (clock) =>
              new RedisCircuitBreaker({
                redis,
                prefix,
                name: 'svc',
                window: { calls: 2 },
                minimumCalls: 2,
                openMs: 60_000,
                openMsMultiplier: 2,
                maxOpenMs: 600_000,
                syncIntervalMs: 0,
                clock,
              }),
          );
          for (const a of actions) {
            const breaker = instances[a.who]!;
            if (a.kind === 'call') {
              await breaker
                .execute(() => (a.fails ? Promise.reject(new Error('x')) : 'ok'))
                .catch(() => {});
            } else if (a.kind === 'advance') {
              clocks[a.who]!.advance(a.ms);
            } else if (a.kind === 'manual') {
              breaker[a.what]();
            } else {
              await breaker.sync();
            }
          }
          for (let round = 0; round < 2; round++) {
            for (const b of instances) await b.flush();
            for (const b of instances) await b.sync();
          }
          for (const b of instances) await b.flush();
          const [state, opens] = await redis.hmget(`${prefix}{svc}`, 'state', 'opens');
          for (const b of instances) {
            expect(b.state).toBe(state ?? 'closed');
            expect(b.stats().consecutiveOpens).toBe(Number(opens ?? 0));
            expect(b.stats().healthy).toBe(true);
          }
        }),
        { numRuns: 60 },
      );
    });
  }
});
