import { FakeClock } from '@bulwark/test-utils';
import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../src/index.js';
import { DOWN, StoreGuard, type StorePolicy, StoreTimeoutError } from '../src/redis/store-guard.js';

describe('StoreGuard', () => {
  it('a failure starts the cooldown: Redis is not asked until it ends', async () => {
    const clock = new FakeClock(0);
    const errors: [string, unknown][] = [];
    const guard = new StoreGuard(clock, 1_000, 5_000, undefined, (op, e) => errors.push([op, e]));
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error('ECONNREFUSED'));
    };
    expect(await guard.run('get', failing)).toBe(DOWN);
    expect(guard.healthy).toBe(false);
    expect(guard.coolingDown).toBe(true);
    expect(await guard.run('get', failing)).toBe(DOWN);
    expect(calls).toBe(1);
    clock.advance(5_000);
    expect(await guard.run('get', async () => 'ok')).toBe('ok');
    expect(guard.healthy).toBe(true);
    expect(guard.storeErrors).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[0]).toBe('get');
  });

  it('a call that does not answer within the timeout counts as failed', async () => {
    const clock = new FakeClock(0);
    const errors: unknown[] = [];
    const guard = new StoreGuard(clock, 1_000, 0, undefined, (_op, e) => errors.push(e));
    const answer = guard.run('lookup', () => new Promise<string>(() => {}));
    await clock.advanceAsync(1_000);
    expect(await answer).toBe(DOWN);
    expect(errors[0]).toBeInstanceOf(StoreTimeoutError);
    expect(isBulwarkError(errors[0], 'BULWARK_CACHE_STORE_TIMEOUT')).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('calls in flight time out each at its own deadline; answered ones never do', async () => {
    const clock = new FakeClock(0);
    const errors: string[] = [];
    const guard = new StoreGuard(clock, 1_000, 0, undefined, (op) => errors.push(op));
    let answerSecond!: (value: string) => void;
    const first = guard.run('get', () => new Promise<string>(() => {}));
    clock.advance(300);
    const second = guard.run(
      'get',
      () => new Promise<string>((resolve) => (answerSecond = resolve)),
    );
    clock.advance(300);
    const third = guard.run('lookup', () => new Promise<string>(() => {}));
    answerSecond('value');
    expect(await second).toBe('value');
    await clock.advanceAsync(400); // t = 1,000: the first is due
    expect(await first).toBe(DOWN);
    expect(errors).toEqual(['get']);
    await clock.advanceAsync(599);
    expect(errors).toEqual(['get']);
    await clock.advanceAsync(1); // t = 1,600: the third is due
    expect(await third).toBe(DOWN);
    expect(errors).toEqual(['get', 'lookup']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a synchronous throw is a failure too, never a rejection', async () => {
    const guard = new StoreGuard(new FakeClock(0), 1_000, 0, undefined, () => {});
    expect(
      await guard.run('get', () => {
        throw new Error('sync');
      }),
    ).toBe(DOWN);
  });

  it('with a policy, every call goes through execute and no cooldown applies', async () => {
    const clock = new FakeClock(0);
    let executions = 0;
    let open = false;
    const policy: StorePolicy = {
      execute(fn) {
        executions++;
        if (open) return Promise.reject(new Error('circuit open'));
        return Promise.resolve(fn({ signal: new AbortController().signal }));
      },
    };
    const guard = new StoreGuard(clock, 1_000, 5_000, policy, () => {});
    expect(await guard.run('get', async () => 1)).toBe(1);
    open = true;
    expect(await guard.run('get', async () => 2)).toBe(DOWN);
    open = false;
    expect(await guard.run('get', async () => 3)).toBe(3);
    expect(executions).toBe(3);
    expect(guard.storeErrors).toBe(1);
  });
});
