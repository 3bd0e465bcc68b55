import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AlgorithmSpec,
  channels,
  type Decision,
  fixedWindow,
  gcra,
  type LimitedEvent,
  leakyBucket,
  MemoryRateLimiter,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../src/index.js';
import { type Admitted, naiveDecision, naiveFor } from './core-reference.js';

// ---- model-based test: MemoryRateLimiter against the naive reference, over several keys ----

interface Model {
  now: number;
  histories: Map<string, Admitted[]>;
  spec: AlgorithmSpec;
}
interface Real {
  clock: FakeClock;
  limiter: MemoryRateLimiter;
}

const KEYS = ['a', 'b', 'c', 'd'] as const;

function history(m: Model, key: string): Admitted[] {
  let h = m.histories.get(key);
  if (!h) {
    h = [];
    m.histories.set(key, h);
  }
  return h;
}

class Consume implements fc.Command<Model, Real> {
  constructor(
    readonly key: string,
    readonly cost: number,
  ) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const naive = naiveFor(m.spec);
    const cost = Math.min(this.cost, naive.limit);
    const expected = naiveDecision(naive, history(m, this.key), m.now, cost, true);
    expect(r.limiter.consume(this.key, cost)).toEqual(expected);
  }
  toString = () => `consume(${this.key}, ${this.cost})`;
}

class Peek implements fc.Command<Model, Real> {
  constructor(readonly key: string) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const expected = naiveDecision(naiveFor(m.spec), history(m, this.key), m.now, 1, false);
    expect(r.limiter.peek(this.key)).toEqual(expected);
  }
  toString = () => `peek(${this.key})`;
}

class Reset implements fc.Command<Model, Real> {
  constructor(readonly key: string) {}
  check = () => true;
  run(m: Model, r: Real): void {
    m.histories.delete(this.key);
    r.limiter.reset(this.key);
  }
  toString = () => `reset(${this.key})`;
}

class Advance implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    m.now += this.ms;
    r.clock.advance(this.ms);
    // Memory follows the active set: never more keys than have usage at this instant.
    const naive = naiveFor(m.spec);
    let active = 0;
    for (const h of m.histories.values()) if (!naive.full(h, m.now)) active++;
    expect(r.limiter.size).toBeGreaterThanOrEqual(active);
  }
  toString = () => `advance(${this.ms})`;
}

const specs: fc.Arbitrary<AlgorithmSpec> = fc.oneof(
  fc
    .record({ capacity: fc.integer({ min: 1, max: 5 }), rate: fc.integer({ min: 100, max: 3000 }) })
    .map(({ capacity, rate }) => tokenBucket({ capacity, refillPerSecond: rate })),
  fc
    .record({ capacity: fc.integer({ min: 1, max: 5 }), rate: fc.integer({ min: 100, max: 3000 }) })
    .map(({ capacity, rate }) => leakyBucket({ capacity, leakPerSecond: rate })),
  fc
    .record({ limit: fc.integer({ min: 1, max: 6 }), windowMs: fc.integer({ min: 1, max: 40 }) })
    .map((o) => fixedWindow(o)),
  fc
    .record({ limit: fc.integer({ min: 1, max: 6 }), windowMs: fc.integer({ min: 1, max: 40 }) })
    .map((o) => fixedWindow({ ...o, anchor: 'first-hit' })),
  fc
    .record({ limit: fc.integer({ min: 1, max: 6 }), windowMs: fc.integer({ min: 1, max: 40 }) })
    .map((o) => slidingWindowLog(o)),
  fc
    .record({ limit: fc.integer({ min: 1, max: 6 }), windowMs: fc.integer({ min: 1, max: 40 }) })
    .map((o) => slidingWindowCounter(o)),
  fc
    .record({
      limit: fc.integer({ min: 1, max: 6 }),
      periodMs: fc.integer({ min: 1, max: 40 }),
      burst: fc.integer({ min: 0, max: 3 }),
    })
    .map((o) => gcra(o)),
);

const key = fc.constantFrom(...KEYS);
const commands = fc.commands(
  [
    fc.tuple(key, fc.integer({ min: 1, max: 6 })).map(([k, c]) => new Consume(k, c)),
    key.map((k) => new Peek(k)),
    key.map((k) => new Reset(k)),
    fc
      .oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 120 }))
      .map((ms) => new Advance(ms)),
  ],
  { maxCommands: 150, size: 'max' },
);

describe('MemoryRateLimiter (model-based)', () => {
  it('decides like the naive reference across keys, with idle keys dropped on the way', () => {
    fc.assert(
      fc.property(specs, fc.integer({ min: 0, max: 100_000 }), commands, (spec, t0, cmds) => {
        const clock = new FakeClock(t0);
        // maxKeys equals the number of keys, so no key with usage is ever evicted, but the
        // limiter does run its idle sweeps (every 64 calls and when full).
        const limiter = new MemoryRateLimiter(spec, { clock, maxKeys: KEYS.length });
        fc.modelRun(
          () => ({
            model: { now: t0, histories: new Map(), spec },
            real: { clock, limiter },
          }),
          cmds,
        );
        expect(limiter.stats().evicted).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});

// ---- memory bound ----

describe('MemoryRateLimiter memory', () => {
  it('never holds more than maxKeys keys, and drops idle keys before evicting active ones', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 30 })), {
          maxLength: 300,
        }),
        (maxKeys, ops) => {
          const clock = new FakeClock(0);
          const limiter = new MemoryRateLimiter(fixedWindow({ limit: 3, windowMs: 10 }), {
            clock,
            maxKeys,
          });
          for (const [k, dt] of ops) {
            clock.advance(dt % 7);
            limiter.consume(`k${k}`);
            expect(limiter.size).toBeLessThanOrEqual(maxKeys);
          }
        },
      ),
    );
  });

  it('drops an idle key to make room without evicting any key with usage', () => {
    const clock = new FakeClock(0);
    const limiter = new MemoryRateLimiter(tokenBucket({ capacity: 2, refillPerSecond: 1 }), {
      clock,
      maxKeys: 3,
    });
    limiter.consume('old');
    clock.advance(2000); // 'old' is full again: idle
    limiter.consume('a');
    limiter.consume('b');
    limiter.consume('c'); // needs room: 'old' goes, nobody with usage does
    expect(limiter.stats()).toMatchObject({ keys: 3, droppedIdle: 1, evicted: 0 });
    expect(limiter.peek('a').remaining).toBe(0);
  });

  it('evicts the oldest key when every key has usage, and reports it', () => {
    const clock = new FakeClock(0);
    const limiter = new MemoryRateLimiter(fixedWindow({ limit: 1, windowMs: 1000 }), {
      clock,
      maxKeys: 2,
      name: 'api',
    });
    const evicted: unknown[] = [];
    const onEvict = (m: unknown) => evicted.push(m);
    subscribe('bulwark:rate-limiter:evict', onEvict);
    try {
      limiter.consume('a');
      limiter.consume('b');
      limiter.consume('c');
    } finally {
      unsubscribe('bulwark:rate-limiter:evict', onEvict);
    }
    expect(evicted).toEqual([{ name: 'api', key: 'a' }]);
    expect(limiter.stats()).toMatchObject({ keys: 2, evicted: 1 });
    expect(limiter.consume('a').allowed).toBe(true); // it forgot 'a'
  });

  it('forgets idle keys over time without reaching maxKeys (incremental sweep)', () => {
    const clock = new FakeClock(0);
    const limiter = new MemoryRateLimiter(gcra({ limit: 10, periodMs: 1000 }), { clock });
    for (let i = 0; i < 500; i++) limiter.consume(`user-${i}`);
    expect(limiter.size).toBe(500);
    clock.advance(1000);
    for (let i = 0; i < 64 * 70; i++) limiter.consume('busy');
    expect(limiter.size).toBe(1);
    expect(limiter.stats().droppedIdle).toBe(500);
  });

  it('prune() drops every idle key at once and keeps the rest', () => {
    const clock = new FakeClock(0);
    const limiter = new MemoryRateLimiter(slidingWindowLog({ limit: 5, windowMs: 100 }), { clock });
    limiter.consume('a');
    clock.advance(50);
    limiter.consume('b');
    clock.advance(50);
    expect(limiter.prune()).toBe(1);
    expect(limiter.size).toBe(1);
    limiter.clear();
    expect(limiter.size).toBe(0);
  });

  it('does not store a key that was only peeked or only denied', () => {
    const limiter = new MemoryRateLimiter(tokenBucket({ capacity: 1, refillPerSecond: 1 }), {
      clock: new FakeClock(0),
    });
    limiter.peek('x');
    expect(limiter.size).toBe(0);
    limiter.consume('x');
    expect(limiter.size).toBe(1);
  });
});

// ---- API details ----

describe('MemoryRateLimiter API', () => {
  it('returns decisions synchronously, with the policy of its spec', () => {
    const limiter = new MemoryRateLimiter(fixedWindow({ limit: 2, windowMs: 1000 }), {
      clock: new FakeClock(0),
      name: 'search',
    });
    const d: Decision = limiter.consume('k');
    expect(d).toEqual({ allowed: true, limit: 2, remaining: 1, resetMs: 1000, retryAfterMs: 0 });
    expect(limiter.policy).toEqual({ name: 'search', limit: 2, windowMs: 1000 });
    expect(limiter.limit).toBe(2);
  });

  it('peek answers what consume(key, 1) would, and takes nothing', () => {
    const clock = new FakeClock(5);
    const limiter = new MemoryRateLimiter(slidingWindowCounter({ limit: 3, windowMs: 100 }), {
      clock,
    });
    limiter.consume('k', 2);
    const peeked = limiter.peek('k');
    expect(limiter.peek('k')).toEqual(peeked);
    expect(limiter.consume('k')).toEqual(peeked);
    expect(limiter.peek('k').allowed).toBe(false);
  });

  it('reset forgets a key', () => {
    const limiter = new MemoryRateLimiter(fixedWindow({ limit: 1, windowMs: 1000 }), {
      clock: new FakeClock(0),
    });
    limiter.consume('k');
    expect(limiter.consume('k').allowed).toBe(false);
    limiter.reset('k');
    expect(limiter.consume('k').allowed).toBe(true);
  });

  it('uses Date.now by default, so fixed windows align with the epoch', () => {
    const limiter = new MemoryRateLimiter(fixedWindow({ limit: 1, windowMs: 60_000 }));
    const before = Date.now();
    const { resetMs } = limiter.consume('k');
    const after = Date.now();
    expect(resetMs).toBeLessThanOrEqual(60_000 - (before % 60_000) + (after - before));
    expect(resetMs).toBeGreaterThan(0);
  });

  it('floors a fractional clock to whole ms', () => {
    const clock = { t: 10.7, now: () => clock.t };
    const limiter = new MemoryRateLimiter(fixedWindow({ limit: 1, windowMs: 10 }), { clock });
    expect(limiter.consume('k').resetMs).toBe(10);
  });

  it('publishes denied requests on bulwark:rate-limiter:limited only while subscribed', () => {
    const limiter = new MemoryRateLimiter(fixedWindow({ limit: 1, windowMs: 1000 }), {
      clock: new FakeClock(0),
      name: 'login',
    });
    const seen: LimitedEvent[] = [];
    const onLimited = (m: unknown) => seen.push(m as LimitedEvent);
    limiter.consume('k');
    limiter.consume('k'); // nobody listening
    subscribe('bulwark:rate-limiter:limited', onLimited);
    try {
      limiter.consume('k');
      limiter.consume('other');
    } finally {
      unsubscribe('bulwark:rate-limiter:limited', onLimited);
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ name: 'login', key: 'k', cost: 1 });
    expect(seen[0]!.decision.allowed).toBe(false);
    expect(limiter.stats()).toMatchObject({ name: 'login', allowed: 2, rejected: 2 });
  });
});

describe('MemoryRateLimiter bad input', () => {
  const spec = tokenBucket({ capacity: 5, refillPerSecond: 1 });

  it('rejects bad options, naming them', () => {
    expect(() => new MemoryRateLimiter(spec, null as never)).toThrow(TypeError);
    expect(() => new MemoryRateLimiter(spec, { maxKeys: 0 })).toThrow(
      'maxKeys must be an integer >= 1, got 0',
    );
    expect(() => new MemoryRateLimiter(spec, { maxKeys: 1.5 })).toThrow(RangeError);
    expect(() => new MemoryRateLimiter(spec, { maxKeys: '10' as never })).toThrow(
      'maxKeys must be an integer, got "10"',
    );
    expect(() => new MemoryRateLimiter(spec, { clock: {} as never })).toThrow(
      'clock must be an object with now()',
    );
    expect(() => new MemoryRateLimiter(spec, { name: '' })).toThrow(
      'name must be a non-empty string',
    );
    expect(() => new MemoryRateLimiter({ kind: 'nope' } as never)).toThrow(
      'spec must be built by one of the algorithm factories',
    );
    expect(() => new MemoryRateLimiter(undefined as never)).toThrow(TypeError);
    // a hand-built spec is checked like a factory's
    expect(
      () => new MemoryRateLimiter({ kind: 'fixed-window', limit: 0, windowMs: 10 } as never),
    ).toThrow('limit must be an integer >= 1, got 0');
    expect(new MemoryRateLimiter({ kind: 'gcra', limit: 2, periodMs: 10 } as never).spec).toEqual({
      kind: 'gcra',
      limit: 2,
      periodMs: 10,
      burst: 0,
    });
  });

  it('rejects a bad key or cost on every call, naming it', () => {
    const limiter = new MemoryRateLimiter(spec, { clock: new FakeClock(0) });
    expect(() => limiter.consume('')).toThrow('key must be a non-empty string, got ""');
    expect(() => limiter.consume(1 as never)).toThrow(TypeError);
    expect(() => limiter.peek(undefined as never)).toThrow(TypeError);
    expect(() => limiter.reset(null as never)).toThrow(TypeError);
    expect(() => limiter.consume('k', 6)).toThrow(
      'cost must be an integer between 1 and 5 (the limit), got 6',
    );
    expect(() => limiter.consume('k', 0)).toThrow(RangeError);
    expect(() => limiter.consume('k', 1.5)).toThrow(RangeError);
    expect(() => limiter.consume('k', Number.NaN)).toThrow(RangeError);
    expect(() => limiter.consume('k', '2' as never)).toThrow('cost must be a number, got "2"');
    expect(limiter.size).toBe(0);
  });

  it('caps cost at burst + 1 for GCRA', () => {
    const limiter = new MemoryRateLimiter(gcra({ limit: 10, periodMs: 1000, burst: 2 }), {
      clock: new FakeClock(0),
    });
    expect(limiter.consume('k', 3).allowed).toBe(true);
    expect(() => limiter.consume('k', 4)).toThrow('between 1 and 3');
  });
});

describe('diagnostics channels', () => {
  it('are all named bulwark:rate-limiter:<event>, one per key of channels', () => {
    const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const names = Object.entries(channels).map(([key, channel]) => {
      expect(channel.name).toBe(`bulwark:rate-limiter:${kebab(key)}`);
      return channel.name;
    });
    expect(names).toEqual([
      'bulwark:rate-limiter:limited',
      'bulwark:rate-limiter:evict',
      'bulwark:rate-limiter:queue-full',
      'bulwark:rate-limiter:store-error',
    ]);
  });
});
