import { createHash } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { FakeClock, flushMicrotasks } from '@bulwark/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ClaimResult,
  createIdempotency,
  defaultFingerprint,
  type IdempotencyRequest,
  type IdempotencyStore,
  type Lease,
  MemoryIdempotencyStore,
  type RecordedResponse,
} from '../src/index.js';

const request = (body = 'a', key: string | null = '"k"', method = 'POST'): IdempotencyRequest => ({
  method,
  path: '/payments',
  headers: key === null ? {} : { 'idempotency-key': key },
  body: Buffer.from(body),
});
const response = (status = 201): RecordedResponse => ({
  status,
  headers: [['content-type', 'text/plain']],
  body: Buffer.from(`status ${status}`),
});

function lease(decision: unknown): Lease {
  expect((decision as { action: string }).action).toBe('execute');
  return decision as Lease;
}

/** A memory store whose complete and release fail while `down` is set. */
class FlakyStore implements IdempotencyStore {
  down = false;
  constructor(readonly inner: MemoryIdempotencyStore) {}
  claim(key: string, fingerprint: string, leaseMs: number, ttlMs: number): Promise<ClaimResult> {
    return Promise.resolve(this.inner.claim(key, fingerprint, leaseMs, ttlMs));
  }
  complete(key: string, token: number, r: RecordedResponse, ttlMs: number): Promise<boolean> {
    if (this.down) return Promise.reject(new Error('store down'));
    return Promise.resolve(this.inner.complete(key, token, r, ttlMs));
  }
  release(key: string, token: number): Promise<boolean> {
    if (this.down) return Promise.reject(new Error('store down'));
    return Promise.resolve(this.inner.release(key, token));
  }
}

describe('createIdempotency: options', () => {
  const store = new MemoryIdempotencyStore();

  it('refuses bad options naming them', () => {
    expect(() => createIdempotency({} as never)).toThrow(
      'store must be an object with claim(), complete() and release(), got undefined',
    );
    expect(() => createIdempotency({ store, ttl: 5 } as never)).toThrow(
      'unknown option "ttl" in createIdempotency(options); use "ttlMs" instead',
    );
    expect(() => createIdempotency({ store, failOpen: true } as never)).toThrow(
      'unknown option "failOpen" in createIdempotency(options); use "onStoreError" instead',
    );
    expect(() => new MemoryIdempotencyStore({ now: () => 0 } as never)).toThrow(
      'unknown option "now" in new MemoryIdempotencyStore(options); use "clock" instead',
    );
    expect(() => createIdempotency({ store, ttlMs: 0 })).toThrow(RangeError);
    expect(() => createIdempotency({ store, lockTtlMs: -1 })).toThrow('lockTtlMs must be');
    expect(() => createIdempotency({ store, methods: 'POST' as never })).toThrow(
      'methods must be an array of method names, got "POST"',
    );
    expect(() => createIdempotency({ store, onConcurrent: 'queue' as never })).toThrow(
      "onConcurrent must be one of 'reject', 'wait', got \"queue\"",
    );
    expect(() => createIdempotency({ store, replayHeaders: ['bad header'] })).toThrow(TypeError);
    expect(() => createIdempotency({ store, mismatchStatus: 200 })).toThrow(RangeError);
    expect(() => createIdempotency({ store, onStoreError: 'ignore' as never })).toThrow(
      "onStoreError must be 'fail-open', 'fail-closed' or a function",
    );
    expect(() => createIdempotency({ store, maxBodyBytes: 1.5 })).toThrow('maxBodyBytes');
    expect(() => createIdempotency({ store, clock: { now: () => 0 } as never })).toThrow('clock');
    expect(() => new MemoryIdempotencyStore({ maxKeys: 0 })).toThrow(RangeError);
    expect(() => new MemoryIdempotencyStore({ ttlMs: 1 } as never)).toThrow('unknown option');
  });
});

describe('createIdempotency: decisions', () => {
  const clock = new FakeClock(0);

  it('decides synchronously with the memory store', () => {
    const idempotency = createIdempotency({ store: new MemoryIdempotencyStore({ clock }) });
    const first = lease(idempotency.begin(request()));
    expect(idempotency.record(first, response())).toBeUndefined();
    const replay = idempotency.begin(request());
    expect(replay).toMatchObject({ action: 'respond', outcome: 'replay' });
    const headers = (replay as { response: RecordedResponse }).response.headers;
    expect(headers).toEqual([
      ['content-type', 'text/plain'],
      ['idempotent-replayed', 'true'],
    ]);
  });

  it('passes other methods and keyless requests through unless required', () => {
    const idempotency = createIdempotency({ store: new MemoryIdempotencyStore({ clock }) });
    expect(idempotency.begin(request('a', '"k"', 'GET'))).toEqual({ action: 'proceed' });
    expect(idempotency.begin(request('a', null))).toEqual({ action: 'proceed' });
    expect(idempotency.appliesTo('post', undefined)).toBe(false);
    expect(idempotency.appliesTo('post', 'k')).toBe(true);
    const required = createIdempotency({ store: new MemoryIdempotencyStore(), required: true });
    expect(required.begin(request('a', null))).toMatchObject({ outcome: 'key-missing' });
    expect(required.appliesTo('POST', undefined)).toBe(true);
  });

  it('uses a custom fingerprint and mismatch status', () => {
    const idempotency = createIdempotency({
      store: new MemoryIdempotencyStore({ clock }),
      fingerprint: (r) => r.path, // the body does not matter
      mismatchStatus: 409,
    });
    idempotency.record(lease(idempotency.begin(request('a'))), response());
    expect(idempotency.begin(request('b'))).toMatchObject({ outcome: 'replay' });
    const other = idempotency.begin({ ...request('a'), path: '/refunds' });
    expect(other).toMatchObject({ outcome: 'key-mismatch', response: { status: 409 } });
  });

  it('records what storeWhen allows and releases the rest', () => {
    const idempotency = createIdempotency({
      store: new MemoryIdempotencyStore({ clock }),
      storeWhen: (status) => status < 400,
    });
    idempotency.record(lease(idempotency.begin(request())), response(404));
    const again = lease(idempotency.begin(request()));
    idempotency.record(again, response(200));
    expect(idempotency.begin(request())).toMatchObject({ outcome: 'replay' });
    expect(idempotency.stats()).toMatchObject({ executed: 2, released: 1, replayed: 1 });
  });

  it('releases the key when storeWhen throws', () => {
    const idempotency = createIdempotency({
      store: new MemoryIdempotencyStore({ clock }),
      storeWhen: () => {
        throw new Error('predicate bug');
      },
    });
    expect(idempotency.record(lease(idempotency.begin(request())), response())).toBeUndefined();
    lease(idempotency.begin(request()));
    expect(idempotency.stats().released).toBe(1);
  });

  it('records or releases a lease once only', () => {
    const store = new MemoryIdempotencyStore({ clock });
    const idempotency = createIdempotency({ store });
    const first = lease(idempotency.begin(request()));
    idempotency.release(first);
    idempotency.record(first, response());
    idempotency.release(first);
    expect(idempotency.stats().released).toBe(1);
    expect(store.stats().keys).toBe(0);
  });

  it('publishes events with the instance name', () => {
    const seen: Array<[string, unknown]> = [];
    const names = ['execute', 'replay', 'conflict', 'mismatch', 'reject', 'release'];
    const listeners = names.map((event) => {
      const listener = (message: unknown) => seen.push([event, message]);
      subscribe(`bulwark:idempotency:${event}`, listener);
      return () => unsubscribe(`bulwark:idempotency:${event}`, listener);
    });
    try {
      const idempotency = createIdempotency({
        store: new MemoryIdempotencyStore({ clock }),
        name: 'payments',
      });
      const first = lease(idempotency.begin(request()));
      idempotency.begin(request());
      idempotency.begin(request('other'));
      idempotency.record(first, response());
      idempotency.begin(request());
      idempotency.begin(request('a', '""'));
      expect(seen.map(([event]) => event)).toEqual([
        'execute',
        'conflict',
        'mismatch',
        'replay',
        'reject',
      ]);
      expect(seen[0]?.[1]).toEqual({
        name: 'payments',
        key: 'k',
        method: 'POST',
        path: '/payments',
      });
      expect(seen[4]?.[1]).toEqual({
        name: 'payments',
        reason: 'malformed',
        method: 'POST',
        path: '/payments',
      });
    } finally {
      for (const off of listeners) off();
    }
  });
});

describe('createIdempotency: store failures', () => {
  let off: (() => void) | undefined;
  afterEach(() => off?.());

  it('reports a failed record, tries to release, and the lease expires after lockTtlMs', async () => {
    const clock = new FakeClock(0);
    const store = new FlakyStore(new MemoryIdempotencyStore({ clock }));
    const reported: unknown[] = [];
    const events: unknown[] = [];
    const listener = (message: unknown) => events.push(message);
    subscribe('bulwark:idempotency:store-error', listener);
    off = () => unsubscribe('bulwark:idempotency:store-error', listener);
    const idempotency = createIdempotency({
      store,
      lockTtlMs: 5_000,
      onStoreError: (error, context) => {
        reported.push([(error as Error).message, context]);
        return 'fail-open';
      },
    });
    const first = lease(await idempotency.begin(request()));
    store.down = true;
    await expect(idempotency.record(first, response())).resolves.toBeUndefined();
    expect(reported).toEqual([
      ['store down', { phase: 'complete', key: 'k', method: 'POST', path: '/payments' }],
    ]);
    expect(events).toHaveLength(1);
    expect(idempotency.stats().storeErrors).toBe(1);
    store.down = false;
    expect(await idempotency.begin(request())).toMatchObject({ outcome: 'key-in-use' });
    clock.advance(5_000);
    lease(await idempotency.begin(request())); // the lease expired: a retry runs
  });

  it('answers 503 to unsafe methods and lets idempotent ones through by default', () => {
    const broken: IdempotencyStore = {
      claim() {
        throw new Error('down');
      },
      complete: () => false,
      release: () => false,
    };
    const idempotency = createIdempotency({ store: broken, methods: ['POST', 'PUT'] });
    expect(idempotency.begin(request())).toMatchObject({
      outcome: 'store-unavailable',
      response: { status: 503 },
    });
    expect(idempotency.begin(request('a', '"k"', 'PUT'))).toEqual({ action: 'proceed' });
    const policy = createIdempotency({
      store: broken,
      onStoreError: () => {
        throw new Error('policy bug');
      },
    });
    expect(policy.begin(request())).toMatchObject({ outcome: 'store-unavailable' });
  });

  it('counts a record fenced out by a newer lease', () => {
    const clock = new FakeClock(0);
    const idempotency = createIdempotency({
      store: new MemoryIdempotencyStore({ clock }),
      lockTtlMs: 1_000,
    });
    const zombie = lease(idempotency.begin(request()));
    clock.advance(1_000);
    const fresh = lease(idempotency.begin(request()));
    idempotency.record(zombie, response(200));
    expect(idempotency.stats().fenced).toBe(1);
    idempotency.record(fresh, response(201));
    expect(idempotency.begin(request())).toMatchObject({ response: { status: 201 } });
  });

  it('memory store: evicts the oldest record beyond maxKeys', () => {
    const store = new MemoryIdempotencyStore({ maxKeys: 2 });
    store.claim('a', 'f', 1000, 1000);
    store.claim('b', 'f', 1000, 1000);
    store.claim('c', 'f', 1000, 1000);
    expect(store.stats()).toEqual({ keys: 2, evicted: 1 });
    expect(store.claim('a', 'f', 1000, 1000).state).toBe('claimed');
  });
});

describe('defaultFingerprint', () => {
  it('is the SHA-256 of method, NUL, path, NUL and the body bytes', () => {
    const body = Buffer.from([0, 255, 1, 128]);
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.from('POST\0/p?q=1\0'), body]))
      .digest('hex');
    expect(defaultFingerprint({ method: 'post', path: '/p?q=1', headers: {}, body })).toBe(
      expected,
    );
    expect(defaultFingerprint({ method: 'POST', path: '/p', headers: {}, body })).not.toBe(
      expected,
    );
  });
});

describe('createIdempotency: close', () => {
  it("answers 409 to duplicates waiting with onConcurrent: 'wait'", async () => {
    const clock = new FakeClock(0);
    const idempotency = createIdempotency({
      store: new MemoryIdempotencyStore({ clock }),
      onConcurrent: 'wait',
      clock,
    });
    lease(idempotency.begin(request()));
    const waiting = idempotency.begin(request()) as Promise<unknown>;
    expect(idempotency.stats().waiting).toBe(1);
    await idempotency[Symbol.asyncDispose]();
    await expect(waiting).resolves.toMatchObject({ outcome: 'key-in-use' });
    expect(clock.pendingTimers).toBe(0);
    expect(await idempotency.begin(request())).toMatchObject({ outcome: 'key-in-use' });
    expect(idempotency.stats()).toMatchObject({ waiting: 0, conflicts: 2 });
  });
});

describe("createIdempotency: onConcurrent: 'wait'", () => {
  /** A memory store with its claims counted; without onSettled when `announces` is false. */
  function counted(clock: FakeClock, announces = true) {
    const inner = new MemoryIdempotencyStore({ clock });
    const calls = { claims: 0 };
    const store: IdempotencyStore = {
      claim: (...args) => {
        calls.claims++;
        return inner.claim(...args);
      },
      complete: (...args) => inner.complete(...args),
      release: (...args) => inner.release(...args),
      ...(announces ? { onSettled: (key, listener) => inner.onSettled(key, listener) } : {}),
    };
    return { store, calls };
  }

  it('wakes a waiter of another instance on the same store when the first records', async () => {
    const clock = new FakeClock(0);
    const store = new MemoryIdempotencyStore({ clock });
    const runner = createIdempotency({ store, clock });
    const waiter = createIdempotency({ store, onConcurrent: 'wait', clock });
    const first = lease(runner.begin(request()));
    const waiting = waiter.begin(request()) as Promise<unknown>;
    runner.record(first, response());
    await expect(waiting).resolves.toMatchObject({ outcome: 'replay' });
    expect(clock.now()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('wakes a waiter when the first releases, and it runs', async () => {
    const clock = new FakeClock(0);
    const store = new MemoryIdempotencyStore({ clock });
    const idempotency = createIdempotency({ store, onConcurrent: 'wait', clock });
    const first = lease(idempotency.begin(request()));
    const waiting = idempotency.begin(request()) as Promise<unknown>;
    idempotency.release(first);
    await expect(waiting).resolves.toMatchObject({ action: 'execute' });
  });

  it('polls every second by default with a store that announces, every 50 ms without', async () => {
    for (const [announces, interval] of [
      [true, 1_000],
      [false, 50],
    ] as const) {
      const clock = new FakeClock(0);
      const { store, calls } = counted(clock, announces);
      const idempotency = createIdempotency({ store, onConcurrent: 'wait', clock });
      lease(await idempotency.begin(request()));
      const waiting = idempotency.begin(request()) as Promise<unknown>;
      await clock.advanceAsync(interval - 1);
      expect(calls.claims).toBe(2);
      await clock.advanceAsync(1);
      expect(calls.claims).toBe(3);
      await idempotency.close();
      await waiting;
    }
  });

  it("looks again when the first request's lease ends, before the next poll", async () => {
    const clock = new FakeClock(0);
    const store = new MemoryIdempotencyStore({ clock });
    const options = { store, clock, onConcurrent: 'wait', waitIntervalMs: 5_000 } as const;
    const idempotency = createIdempotency({ ...options, lockTtlMs: 300 });
    lease(idempotency.begin(request())); // its process dies: it never records
    const waiting = idempotency.begin(request()) as Promise<unknown>;
    await clock.advanceAsync(300);
    await expect(waiting).resolves.toMatchObject({ action: 'execute' });
  });

  it('polls when the store fails to listen', async () => {
    const clock = new FakeClock(0);
    const inner = new MemoryIdempotencyStore({ clock });
    const store: IdempotencyStore = {
      claim: (...args) => inner.claim(...args),
      complete: (...args) => inner.complete(...args),
      release: (...args) => inner.release(...args),
      onSettled: () => {
        throw new Error('cannot listen');
      },
    };
    const idempotency = createIdempotency({ store, onConcurrent: 'wait', clock });
    const first = lease(idempotency.begin(request()));
    const waiting = idempotency.begin(request()) as Promise<unknown>;
    idempotency.record(first, response());
    await clock.advanceAsync(1_000);
    await expect(waiting).resolves.toMatchObject({ outcome: 'replay' });
  });

  it('looks again at once when the announcement comes while a look is under way', async () => {
    const clock = new FakeClock(0);
    const inner = new MemoryIdempotencyStore({ clock });
    let announce: () => void = () => {};
    let recordFirst: () => void = () => {};
    let claims = 0;
    const store: IdempotencyStore = {
      // Claims: the first request's, the duplicate's, then its first look, which reads the key
      // still running while the first records and the announcement arrives before the answer.
      claim: async (...args) => {
        const result = inner.claim(...args);
        if (++claims === 3) {
          recordFirst();
          announce();
        }
        return result;
      },
      complete: (...args) => inner.complete(...args),
      release: (...args) => inner.release(...args),
      onSettled: (_key, listener) => {
        announce = listener;
        return () => {};
      },
    };
    const idempotency = createIdempotency({ store, onConcurrent: 'wait', clock });
    const first = lease(await idempotency.begin(request()));
    recordFirst = () => void idempotency.record(first, response());
    const waiting = idempotency.begin(request()) as Promise<unknown>;
    await flushMicrotasks();
    announce(); // a spurious announcement: the duplicate looks (claim 3)
    await expect(waiting).resolves.toMatchObject({ outcome: 'replay' });
    expect(claims).toBe(4); // the announcement heard mid-look: claim 4 at once
    expect(clock.now()).toBe(0);
  });
});
