import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { FakeClock } from '@bulwark/test-utils';
import { describe, expect, it } from 'vitest';
import {
  CacheClosedError,
  createCache,
  isBulwarkError,
  type LoaderContext,
  TimeoutError,
} from '../src/index.js';
import { countingLoader, deferred, fakeCache, flushMicrotasks } from './helpers.js';

describe('createCache: read-through', () => {
  it('loads a miss once for all concurrent callers, then serves hits from memory', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 1_000 });
    const { loader, state } = countingLoader(clock, 5);
    const callers = Array.from({ length: 100 }, () => cache.get('k', loader));
    await clock.advanceAsync(5);
    expect(await Promise.all(callers)).toEqual(Array(100).fill('value-1'));
    expect(await cache.get('k', loader)).toBe('value-1');
    expect(state.calls).toBe(1);
    expect(cache.stats()).toMatchObject({
      name: 'default',
      hits: 1,
      misses: 100,
      loads: 1,
      coalesced: 99,
      size: 1,
    });
  });

  it('reloads after ttlMs', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 1_000 });
    const { loader, state } = countingLoader(clock);
    expect(await cache.get('k', loader)).toBe('value-1');
    clock.advance(999);
    expect(await cache.get('k', loader)).toBe('value-1');
    clock.advance(1);
    expect(await cache.get('k', loader)).toBe('value-2');
    expect(state.calls).toBe(2);
  });

  it('the loader gets key, signal, the stale value, and may set its own TTL and tags', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 1_000, staleIfErrorMs: 1_000 });
    const seen: LoaderContext<string>[] = [];
    const loader = (context: LoaderContext<string>) => {
      seen.push(context);
      context.setTtl(50);
      context.setTags(['users']);
      return `v${seen.length}`;
    };
    expect(await cache.get('user:1', loader)).toBe('v1');
    expect(seen[0]).toMatchObject({ key: 'user:1', stale: undefined });
    expect(seen[0]?.signal.aborted).toBe(false);
    clock.advance(50);
    expect(await cache.get('user:1', loader)).toBe('v2');
    expect(seen[1]?.stale).toBe('v1');
    await cache.deleteByTag('users');
    expect(cache.peek('user:1')).toBeUndefined();
    expect(() => seen[0]?.setTtl(0)).toThrow(RangeError);
    expect(() => seen[0]?.setTtl(0)).toThrow('setTtl(ms) must be a number > 0, got 0');
    expect(() => seen[0]?.setTags(['ok', ''])).toThrow(TypeError);
  });

  it('per-call ttlMs and tags apply to the value that call loads', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 1_000 });
    const { loader, state } = countingLoader(clock);
    await cache.get('a', loader, { ttlMs: 10, tags: ['t'] });
    await cache.get('b', loader, { tags: ['t', 'u'] });
    await cache.get('c', loader, { tags: ['u'] });
    clock.advance(10);
    expect(cache.peek('a')).toBeUndefined();
    expect(cache.peek('b')).toBe('value-2');
    await cache.deleteByTag('t');
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('c')).toBe('value-3');
    expect(state.calls).toBe(3);
  });
});

describe('stale-while-revalidate', () => {
  it('serves the stale value at once while exactly one refresh runs', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 100, staleWhileRevalidateMs: 1_000 });
    const { loader, state } = countingLoader(clock, 10);
    const first = cache.get('k', loader);
    await clock.advanceAsync(10);
    expect(await first).toBe('value-1');
    clock.advance(100);
    const stale = await Promise.all(Array.from({ length: 5 }, () => cache.get('k', loader)));
    expect(stale).toEqual(Array(5).fill('value-1'));
    expect(state.calls).toBe(2);
    await clock.advanceAsync(10);
    expect(await cache.get('k', loader)).toBe('value-2');
    expect(state.contexts[1]?.stale).toBe('value-1');
    expect(cache.stats()).toMatchObject({ staleHits: 5, loads: 2, hits: 1 });
  });

  it('past the window, a get waits for the load', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 100, staleWhileRevalidateMs: 50 });
    const { loader } = countingLoader(clock);
    await cache.get('k', loader);
    clock.advance(150);
    expect(await cache.get('k', loader)).toBe('value-2');
  });

  it('a refresh that fails keeps the stale value and reports only in stats', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 100, staleWhileRevalidateMs: 1_000 });
    const { loader, state } = countingLoader(clock);
    await cache.get('k', loader);
    clock.advance(100);
    state.fail = new Error('db down');
    expect(await cache.get('k', loader)).toBe('value-1');
    await flushMicrotasks();
    expect(cache.stats()).toMatchObject({ loaderErrors: 1, staleHits: 1 });
    expect(cache.peek('k')).toBe('value-1');
  });
});

describe('stale-if-error', () => {
  it('serves stale when the loader throws within the window, the error past it or with nothing stale', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 100, staleIfErrorMs: 1_000 });
    const { loader, state } = countingLoader(clock);
    state.fail = new Error('first load fails');
    await expect(cache.get('k', loader)).rejects.toThrow('first load fails');
    state.fail = undefined;
    await cache.get('k', loader);
    clock.advance(500);
    state.fail = new Error('db down');
    expect(await cache.get('k', loader)).toBe('value-2');
    clock.advance(600);
    await expect(cache.get('k', loader)).rejects.toThrow('db down');
    expect(cache.stats()).toMatchObject({ staleHits: 1, loaderErrors: 3, loads: 4 });
  });

  it('errors are not cached by default: the next get calls the loader again', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 100 });
    const { loader, state } = countingLoader(clock);
    state.fail = new Error('nope');
    await expect(cache.get('k', loader)).rejects.toThrow('nope');
    await expect(cache.get('k', loader)).rejects.toThrow('nope');
    expect(state.calls).toBe(2);
    expect(cache.stats().size).toBe(0);
  });
});

describe('negativeTtlMs', () => {
  it('caches an error and a not-found (undefined) for negativeTtlMs', async () => {
    const { cache, clock } = fakeCache<string | undefined>({ ttlMs: 10_000, negativeTtlMs: 100 });
    const error = new Error('not allowed');
    let calls = 0;
    const failing = () => {
      calls++;
      throw error;
    };
    await expect(cache.get('e', failing)).rejects.toBe(error);
    await expect(cache.get('e', failing)).rejects.toBe(error);
    expect(calls).toBe(1);
    clock.advance(100);
    await expect(cache.get('e', failing)).rejects.toBe(error);
    expect(calls).toBe(2);

    let lookups = 0;
    const missing = () => {
      lookups++;
      return undefined;
    };
    expect(await cache.get('m', missing)).toBeUndefined();
    expect(await cache.get('m', missing)).toBeUndefined();
    expect(lookups).toBe(1);
    clock.advance(100);
    await cache.get('m', missing);
    expect(lookups).toBe(2);
  });
});

describe('jitter', () => {
  it('spreads each TTL within [ttlMs·(1 − jitter), ttlMs]', async () => {
    for (const draw of [0, 0.5, 0.999_999]) {
      const { cache, clock } = fakeCache({ ttlMs: 1_000, jitter: 0.2, random: () => draw });
      await cache.set('k', 'v');
      const ttl = 1_000 * (1 - 0.2 * draw);
      clock.advance(Math.ceil(ttl) - 1);
      expect(cache.peek('k')).toBe('v');
      clock.advance(1);
      expect(cache.peek('k')).toBeUndefined();
      expect(ttl).toBeGreaterThanOrEqual(800);
      expect(ttl).toBeLessThanOrEqual(1_000);
    }
  });
});

describe('XFetch early refresh', () => {
  it('a hit near expiry refreshes in the background; the caller gets the current value', async () => {
    const clock = new FakeClock(0);
    let draw = 0.999;
    const cache = createCache<string>({ clock, ttlMs: 1_000, random: () => draw });
    const { loader, state } = countingLoader(clock, 20);
    const first = cache.get('k', loader);
    await clock.advanceAsync(20);
    await first;
    // δ = 20 ms: a draw of 0.999 gives 20·0.001 = 0.02 ms ahead, so nothing yet.
    clock.advance(900);
    expect(await cache.get('k', loader)).toBe('value-1');
    expect(state.calls).toBe(1);
    // A draw of e^-5 reaches 100 ms ahead: 80 ms before expiry, it refreshes.
    draw = Math.exp(-5);
    clock.advance(20);
    expect(await cache.get('k', loader)).toBe('value-1');
    expect(state.calls).toBe(2);
    expect(await cache.get('k', loader)).toBe('value-1'); // refresh in flight: no second one
    expect(state.calls).toBe(2);
    await clock.advanceAsync(20);
    expect(await cache.get('k', loader)).toBe('value-2');
    expect(cache.stats()).toMatchObject({ earlyRefreshes: 1, loads: 2, misses: 1 });
  });

  it('values that were set (δ = 0) never refresh early', async () => {
    const clock = new FakeClock(0);
    const cache = createCache<string>({ clock, ttlMs: 1_000, random: () => 1e-300 });
    await cache.set('k', 'v');
    clock.advance(999);
    let calls = 0;
    expect(
      await cache.get('k', () => {
        calls++;
        return 'w';
      }),
    ).toBe('v');
    expect(calls).toBe(0);
  });
});

describe('timeouts', () => {
  it('softTimeoutMs: with a stale value, the caller gets it after the soft timeout and the load finishes in the background', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 100, staleIfErrorMs: 10_000, softTimeoutMs: 50 });
    const { loader, state } = countingLoader(clock, 200);
    const first = cache.get('k', loader);
    await clock.advanceAsync(200);
    await first;
    clock.advance(100);
    const controller = new AbortController();
    const slow = cache.get('k', loader, { signal: controller.signal });
    await clock.advanceAsync(50);
    expect(await slow).toBe('value-1');
    controller.abort(); // after the soft timeout: the load keeps going
    expect(state.contexts[1]?.signal.aborted).toBe(false);
    await clock.advanceAsync(150);
    expect(cache.peek('k')).toBe('value-2');
    expect(cache.stats()).toMatchObject({ staleHits: 1, loads: 2 });
  });

  it('softTimeoutMs: without a stale value the caller waits for the load', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 100, softTimeoutMs: 50 });
    const { loader } = countingLoader(clock, 200);
    const p = cache.get('k', loader);
    let done = false;
    p.then(() => {
      done = true;
    });
    await clock.advanceAsync(100);
    expect(done).toBe(false);
    await clock.advanceAsync(100);
    expect(await p).toBe('value-1');
  });

  it('hardTimeoutMs: callers reject with TimeoutError and the loader signal aborts with it', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 100, hardTimeoutMs: 300 });
    let signal: AbortSignal | undefined;
    const hanging = (context: LoaderContext<string>) => {
      signal = context.signal;
      return new Promise<string>(() => {});
    };
    const callers = [cache.get('k', hanging), cache.get('k', hanging)].map((caller) =>
      caller.catch((e: unknown) => e),
    );
    await clock.advanceAsync(300);
    for (const caller of callers) {
      const error = await caller;
      expect(error).toBeInstanceOf(TimeoutError);
      expect(isBulwarkError(error, 'BULWARK_CACHE_TIMEOUT')).toBe(true);
      expect(error).toMatchObject({ key: 'k', timeoutMs: 300 });
    }
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(TimeoutError);
    expect(cache.stats()).toMatchObject({ timeouts: 1, loaderErrors: 1 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('hardTimeoutMs with a stale value within staleIfErrorMs serves it', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 100, hardTimeoutMs: 300, staleIfErrorMs: 1_000 });
    await cache.set('k', 'old');
    clock.advance(100);
    const p = cache.get('k', () => new Promise<string>(() => {}));
    await clock.advanceAsync(300);
    expect(await p).toBe('old');
  });
});

describe('cancellation', () => {
  it('the first caller aborting does not abort the others; the load aborts when the last leaves', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 100 });
    const { loader, state } = countingLoader(clock, 100);
    const a = new AbortController();
    const b = new AbortController();
    const pa = cache.get('k', loader, { signal: a.signal });
    const pb = cache.get('k', loader, { signal: b.signal });
    a.abort(new Error('a left'));
    await expect(pa).rejects.toThrow('a left');
    expect(state.contexts[0]?.signal.aborted).toBe(false);
    await clock.advanceAsync(100);
    expect(await pb).toBe('value-1');

    clock.advance(100);
    const c = new AbortController();
    const pc = cache.get('k', loader, { signal: c.signal });
    c.abort(new Error('c left'));
    await expect(pc).rejects.toThrow('c left');
    expect(state.contexts[1]?.signal.aborted).toBe(true);
  });

  it('a caller that aborts is never answered with stale data, even within staleIfErrorMs', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 100, staleIfErrorMs: 1_000 });
    await cache.set('k', 'old');
    clock.advance(100);
    const controller = new AbortController();
    const p = cache.get('k', () => new Promise<string>(() => {}), { signal: controller.signal });
    controller.abort('gone');
    await expect(p).rejects.toBe('gone');
  });
});

describe('writes and invalidation', () => {
  it('set, peek, delete, clear', async () => {
    const { cache } = fakeCache({ ttlMs: 100 });
    await cache.set('a', 'A');
    await cache.set('b', 'B', { ttlMs: 5, tags: ['x'] });
    expect(cache.peek('a')).toBe('A');
    expect(await cache.delete('a')).toBe(true);
    expect(await cache.delete('a')).toBe(false);
    expect(cache.peek('a')).toBeUndefined();
    await cache.clear();
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.stats().size).toBe(0);
  });

  it('a load that started before a set or delete does not overwrite it', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 1_000 });
    const gate = deferred<string>();
    const p = cache.get('k', () => gate.promise);
    await cache.set('k', 'newer');
    gate.resolve('older');
    expect(await p).toBe('older');
    expect(cache.peek('k')).toBe('newer');

    const gate2 = deferred<string>();
    const q = cache.get('j', () => gate2.promise);
    await cache.delete('j');
    gate2.resolve('loaded before the delete');
    await q;
    expect(cache.peek('j')).toBeUndefined();
    clock.advance(1);
  });

  it('delete forgets the load in flight: the next get starts a new one', async () => {
    const { cache } = fakeCache({ ttlMs: 1_000 });
    const gates = [deferred<string>(), deferred<string>()];
    let calls = 0;
    const loader = () => gates[calls++]!.promise;
    const first = cache.get('k', loader);
    await cache.delete('k');
    const second = cache.get('k', loader);
    gates[0]!.resolve('one');
    gates[1]!.resolve('two');
    expect(await first).toBe('one');
    expect(await second).toBe('two');
    expect(cache.peek('k')).toBe('two');
  });
});

describe('wrap', () => {
  it('caches a function by the key its arguments map to', async () => {
    const { cache } = fakeCache({ ttlMs: 1_000 });
    let calls = 0;
    const double = cache.wrap(
      async (n: number) => {
        calls++;
        return String(n * 2);
      },
      (n) => `double:${n}`,
    );
    expect(await Promise.all([double(2), double(2), double(3)])).toEqual(['4', '4', '6']);
    expect(await double(2)).toBe('4');
    expect(calls).toBe(2);
  });
});

describe('memory bounds', () => {
  it('holds at most max entries, with lru, lfu and w-tinylfu', async () => {
    for (const eviction of ['lru', 'lfu', 'w-tinylfu'] as const) {
      const { cache } = fakeCache({ max: 100, eviction });
      for (let i = 0; i < 1_000; i++) await cache.get(`k${i}`, () => `v${i}`);
      expect(cache.stats().size).toBeLessThanOrEqual(100);
    }
  });

  it('maxSize bounds the weight given by sizeOf', async () => {
    const { cache } = fakeCache({ maxSize: 100, sizeOf: (v: string) => v.length });
    for (let i = 0; i < 100; i++) await cache.set(`k${i}`, 'x'.repeat(10));
    expect(cache.stats().size).toBeLessThanOrEqual(10);
  });

  it('tags of evicted entries leave the index', async () => {
    const { cache } = fakeCache({ max: 10, eviction: 'lru' });
    for (let i = 0; i < 100; i++) await cache.set(`k${i}`, 'v', { tags: ['all'] });
    await cache.deleteByTag('all');
    expect(cache.stats().size).toBe(0);
  });

  it('prune() drops entries past their last window', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 10, staleIfErrorMs: 10 });
    await cache.set('a', 'A');
    clock.advance(15);
    expect(cache.prune()).toBe(0);
    clock.advance(5);
    expect(cache.prune()).toBe(1);
  });
});

describe('events and close', () => {
  it('publishes load, stale, early-refresh, timeout and invalidate messages carrying name', async () => {
    const messages: [string, Record<string, unknown>][] = [];
    const names = ['load', 'stale', 'early-refresh', 'timeout', 'invalidate'];
    const handlers = names.map((event) => {
      const handler = (message: unknown) =>
        messages.push([event, message as Record<string, unknown>]);
      subscribe(`bulwark:cache:${event}`, handler);
      return handler;
    });
    try {
      const clock = new FakeClock(0);
      const cache = createCache<string>({
        name: 'users',
        clock,
        ttlMs: 100,
        staleWhileRevalidateMs: 100,
        hardTimeoutMs: 1_000,
        random: () => Math.exp(-40),
      });
      const slow = cache.get(
        'k',
        () => new Promise<string>((r) => clock.setTimeout(() => r('v'), 10)),
      );
      await clock.advanceAsync(10);
      await slow;
      await cache.get('k', () => 'early'); // XFetch with a tiny draw: refresh at once
      clock.advance(150);
      await cache.get('k', () => 'w');
      const hanging = cache.get('h', () => new Promise<string>(() => {})).catch(() => {});
      await clock.advanceAsync(1_000);
      await hanging;
      await cache.delete('k');
      await cache.close();
      const events = new Set(messages.map(([event]) => event));
      for (const name of names) expect(events).toContain(name);
      for (const [, message] of messages) expect(Object.keys(message)[0]).toBe('name');
      for (const [, message] of messages) expect(message.name).toBe('users');
    } finally {
      names.forEach((event, i) => {
        unsubscribe(`bulwark:cache:${event}`, handlers[i]!);
      });
    }
  });

  it('close() waits for background refreshes; a miss after close rejects', async () => {
    const { cache, clock } = fakeCache({ ttlMs: 10, staleWhileRevalidateMs: 100 });
    const { loader, state } = countingLoader(clock, 50);
    await cache.set('k', 'v');
    clock.advance(10);
    expect(await cache.get('k', loader)).toBe('v');
    let closed = false;
    const closing = cache.close().then(() => {
      closed = true;
    });
    await flushMicrotasks();
    expect(closed).toBe(false);
    await clock.advanceAsync(50);
    await closing;
    expect(state.calls).toBe(1);
    const error = await cache.get('other', loader).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheClosedError);
    expect(isBulwarkError(error, 'BULWARK_CACHE_CLOSED')).toBe(true);
    await cache[Symbol.asyncDispose]();
  });
});
