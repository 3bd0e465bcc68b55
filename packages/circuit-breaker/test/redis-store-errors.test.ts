import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { FakeClock } from '@bulwark/test-utils';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { StateChange } from '../src/index.js';
import { RedisCircuitBreaker, type RedisCircuitBreakerOptions } from '../src/redis.js';
import { CLOSE, READ, TRIP } from '../src/redis-scripts.js';

// A stand-in for ioredis whose answers the test scripts, to reach store states a real server
// gives only by chance (a write lost while the record survives).
class ScriptedRedis {
  down = false;
  record: [string, number, number, number] = ['none', 0, 0, 0];
  calls: string[] = [];
  readonly #names = new Map([
    [READ.sha, 'read'],
    [TRIP.sha, 'trip'],
    [CLOSE.sha, 'close'],
  ]);

  evalsha(sha: string): Promise<unknown> {
    const name = this.#names.get(sha) ?? 'other';
    this.calls.push(name);
    if (this.down) return Promise.reject(new Error('connection refused'));
    if (name === 'trip') this.record = ['open', 60_000, this.record[2] + 1, this.record[3] + 1];
    if (name === 'close') this.record = ['closed', 0, 0, this.record[3] + 1];
    return Promise.resolve([...this.record]);
  }

  eval(): Promise<unknown> {
    return Promise.reject(new Error('not used'));
  }
}

function make(options: Partial<RedisCircuitBreakerOptions> = {}) {
  const redis = new ScriptedRedis();
  const clock = new FakeClock(0);
  const changes: string[] = [];
  const breaker = new RedisCircuitBreaker({
    redis: redis as unknown as Redis,
    name: 'svc',
    window: { calls: 1 },
    minimumCalls: 1,
    syncIntervalMs: 0,
    clock,
    onStateChange: (c: StateChange) => changes.push(`${c.to}:${c.reason}`),
    ...options,
  });
  return { redis, breaker, clock, changes };
}

describe('store errors (scripted store)', () => {
  it('publishes a reopen by halfOpenMaxMs like a failed probe', async () => {
    const { redis, breaker, clock, changes } = make({ halfOpenMaxMs: 1_000 });
    breaker.open();
    await breaker.flush();
    clock.advance(60_000);
    void breaker.execute(() => new Promise(() => {})); // a probe that never settles
    clock.advance(1_000);
    expect(breaker.state).toBe('open');
    await breaker.flush();
    expect(redis.calls).toEqual(['trip', 'trip']);
    expect(redis.record.slice(0, 3)).toEqual(['open', 60_000, 2]);
    expect(changes).toEqual(['open:manual', 'half-open:open-elapsed', 'open:probe-timeout']);
  });

  it('fail-open by default: publishes the error and keeps the local state', async () => {
    const { redis, breaker } = make();
    const messages: unknown[] = [];
    const listener = (m: unknown) => messages.push(m);
    subscribe('bulwark:circuit-breaker:store-error', listener);
    try {
      redis.down = true;
      await breaker.sync();
      expect(breaker.state).toBe('closed');
      await expect(breaker.execute(() => 1)).resolves.toBe(1);
      expect(messages).toEqual([{ name: 'svc', error: expect.any(Error), decision: 'fail-open' }]);
    } finally {
      unsubscribe('bulwark:circuit-breaker:store-error', listener);
    }
  });

  it('sends again a trip that never reached the store, instead of adopting a stale closed', async () => {
    const { redis, breaker, changes } = make();
    redis.record = ['closed', 0, 0, 3];
    redis.down = true;
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    await breaker.flush();
    expect(breaker.state).toBe('open');
    redis.down = false;
    await breaker.sync();
    await breaker.flush();
    expect(redis.calls).toEqual(['trip', 'read', 'trip']);
    expect(redis.record[0]).toBe('open');
    expect(breaker.state).toBe('open');
    expect(changes).toEqual(['open:failure-rate']);
  });

  it('forgets an unsent trip once the store shows the circuit open, so a later close is adopted', async () => {
    const { redis, breaker, changes } = make();
    redis.down = true;
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    await breaker.flush();
    expect(breaker.state).toBe('open');
    // The store comes back already open (another instance tripped, or the write landed late).
    redis.down = false;
    redis.record = ['open', 60_000, 1, 4];
    await breaker.sync();
    await breaker.flush();
    // Then another instance closes the shared circuit: this one takes the close, not re-trip it.
    redis.record = ['closed', 0, 0, 5];
    await breaker.sync();
    await breaker.flush();
    expect(redis.calls).toEqual(['trip', 'read', 'read']);
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['open:failure-rate', 'closed:remote']);
  });

  it('fail-closed isolates; a manual close during the outage sticks when the store returns', async () => {
    const decisions: unknown[] = [];
    const { redis, breaker, changes } = make({
      onStoreError: (error) => {
        decisions.push(error);
        return 'fail-closed';
      },
    });
    redis.down = true;
    await breaker.sync();
    expect(breaker.state).toBe('isolated');
    expect(decisions).toHaveLength(1);
    breaker.reset(); // the operator overrides; its publish fails, but the outage already began
    await breaker.flush();
    expect(breaker.state).toBe('closed');
    redis.down = false;
    redis.record = ['closed', 0, 0, 1];
    await breaker.sync();
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['isolated:store-error', 'closed:manual']);
  });

  it('a throwing onStoreError counts as fail-open', async () => {
    const { redis, breaker } = make({
      onStoreError: () => {
        throw new Error('bad handler');
      },
    });
    redis.down = true;
    await breaker.sync();
    expect(breaker.state).toBe('closed');
    expect(breaker.stats()).toMatchObject({ healthy: false, storeErrors: 1 });
  });
});
