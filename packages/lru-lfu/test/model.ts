// A tiny reference cache for the model-based tests: a plain array of entries, scanned on every
// operation. It predicts exactly which entry each policy evicts:
//   lru: the least recently used;  lfu: the least frequently used, least recent among equals.
// TTLs, weights and onEvict events follow the same documented rules as the real caches.
import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { CacheStats, EvictionReason } from '../src/index.js';

export type Policy = 'lru' | 'lfu';
export type Event = [value: number, key: number, reason: EvictionReason];

interface Entry {
  key: number;
  value: number;
  weight: number;
  freq: number;
  lastUse: number;
  /** 0 = never. */
  expiresAt: number;
  /** The entry's TTL, 0 = none: what a renewal on read restarts. */
  ttl: number;
}

/** What a real cache looks like to the tests. */
export interface AnyCache {
  get(key: number): number | undefined;
  peek(key: number): number | undefined;
  has(key: number): boolean;
  set(key: number, value: number, options?: { ttlMs?: number; size?: number }): unknown;
  delete(key: number): boolean;
  pop(): number | undefined;
  clear(): void;
  dump(): [number, { value: number; ttlMs?: number; size?: number }][];
  load(entries: [number, { value: number; ttlMs?: number; size?: number }][]): void;
  info(key: number): { value: number; ttlMs?: number; size?: number } | undefined;
  prune(): number;
  resize(capacity: number): void;
  stats(): CacheStats;
  readonly size: number;
  readonly totalSize: number;
  keys(): IterableIterator<number>;
  entries(): IterableIterator<[number, number]>;
}

export class Model {
  entries: Entry[] = [];
  events: Event[] = [];
  tick = 0;
  now = 0;
  stats = { hits: 0, misses: 0, evictions: 0, expirations: 0 };

  constructor(
    readonly policy: Policy,
    /** Changed by `resize`. */
    public capacity: number,
    readonly ttlMs: number,
    readonly maxSize: number,
    /** The `noUpdateTTL` option: an update keeps the entry's expiry. */
    readonly noUpdateTTL = false,
    /** The `noDisposeOnSet` option: an update reports no `'set'` event. */
    readonly noDisposeOnSet = false,
    /** The `updateAgeOnGet` option: a hit restarts the entry's TTL. */
    readonly updateAgeOnGet = false,
    /** The `updateAgeOnHas` option: a `has` that finds the entry restarts its TTL. */
    readonly updateAgeOnHas = false,
    /** The `allowStale` option: `get` and `peek` return an expired entry's value as they drop it. */
    readonly allowStale = false,
    /** The `maxEntrySize` option (resolved: `maxSize` when not given). */
    readonly maxEntrySize = maxSize,
  ) {}

  private renew(e: Entry): void {
    if (e.ttl !== 0) e.expiresAt = this.now + e.ttl;
  }

  get total(): number {
    return this.entries.reduce((sum, e) => sum + e.weight, 0);
  }

  private find(key: number): Entry | undefined {
    return this.entries.find((e) => e.key === key);
  }

  private stale(e: Entry): boolean {
    return e.expiresAt !== 0 && e.expiresAt <= this.now;
  }

  private remove(e: Entry, reason: EvictionReason): void {
    this.entries = this.entries.filter((x) => x !== e);
    if (reason === 'evict') this.stats.evictions++;
    if (reason === 'expire') this.stats.expirations++;
    this.events.push([e.value, e.key, reason]);
  }

  private use(e: Entry): void {
    e.freq++;
    e.lastUse = this.tick++;
  }

  /** Entries from the next victim to the safest. */
  evictionOrder(): Entry[] {
    return [...this.entries].sort((a, b) =>
      this.policy === 'lfu' && a.freq !== b.freq ? a.freq - b.freq : a.lastUse - b.lastUse,
    );
  }

  /** Live keys in the order the real cache iterates: the reverse of the eviction order. */
  liveKeys(): number[] {
    return this.evictionOrder()
      .reverse()
      .filter((e) => !this.stale(e))
      .map((e) => e.key);
  }

  /** A live entry, or undefined (an expired one is removed first). */
  private live(key: number): Entry | undefined {
    const e = this.find(key);
    if (e !== undefined && this.stale(e)) {
      this.remove(e, 'expire');
      return undefined;
    }
    return e;
  }

  get(key: number): number | undefined {
    const held = this.find(key);
    const e = this.live(key);
    if (e === undefined) {
      this.stats.misses++;
      return this.allowStale ? held?.value : undefined;
    }
    this.stats.hits++;
    if (this.updateAgeOnGet) this.renew(e);
    this.use(e);
    return e.value;
  }

  peek(key: number): number | undefined {
    const held = this.find(key);
    const e = this.live(key);
    if (e === undefined) return this.allowStale ? held?.value : undefined;
    return e.value;
  }

  has(key: number): boolean {
    const e = this.live(key);
    if (e !== undefined && this.updateAgeOnHas) this.renew(e);
    return e !== undefined;
  }

  delete(key: number): boolean {
    const e = this.find(key);
    if (e === undefined) return false;
    if (this.stale(e)) {
      this.remove(e, 'expire');
      return false;
    }
    this.remove(e, 'delete');
    return true;
  }

  set(key: number, value: number, weight: number, ttlMs: number | undefined): void {
    const ttl = ttlMs ?? this.ttlMs;
    const finite = ttl === Number.POSITIVE_INFINITY ? 0 : ttl;
    const expiresAt = finite === 0 ? 0 : this.now + finite;
    const e = this.find(key);
    if (weight > this.maxEntrySize) {
      if (e !== undefined) this.remove(e, 'set');
      this.stats.evictions++;
      this.events.push([value, key, 'evict']);
      return;
    }
    if (e !== undefined) {
      const old = e.value;
      e.value = value;
      e.weight = weight;
      if (!this.noUpdateTTL) {
        e.expiresAt = expiresAt;
        e.ttl = finite;
      }
      this.use(e);
      // The entry just written is never the one evicted to make its new weight fit.
      while (this.total > this.maxSize) this.evict(e);
      if (old !== value && !this.noDisposeOnSet) this.events.push([old, key, 'set']);
      return;
    }
    while (this.entries.length >= this.capacity) this.evict();
    while (this.total + weight > this.maxSize) this.evict();
    this.entries.push({
      key,
      value,
      weight,
      freq: 1,
      lastUse: this.tick++,
      expiresAt,
      ttl: finite,
    });
  }

  /** The next victim's value, removed with reason 'delete'; expired ones met first expire. */
  pop(): number | undefined {
    for (;;) {
      const e = this.evictionOrder()[0];
      if (e === undefined) return undefined;
      if (this.stale(e)) {
        this.remove(e, 'expire');
        continue;
      }
      this.remove(e, 'delete');
      return e.value;
    }
  }

  /** `info(key)` of a live entry: its value, remaining TTL (`Infinity`: none) and weight. */
  info(key: number): { value: number; remaining: number; weight: number } | undefined {
    const e = this.find(key);
    if (e === undefined || this.stale(e)) return undefined;
    const remaining = e.expiresAt === 0 ? Number.POSITIVE_INFINITY : e.expiresAt - this.now;
    return { value: e.value, remaining, weight: e.weight };
  }

  /**
   * `load(dump())`: a clear, then the live entries set again in eviction order, each with its
   * remaining TTL (which a renewal on read then restarts) and its weight; usage counts restart.
   */
  reload(): void {
    const live = this.evictionOrder().filter((e) => !this.stale(e));
    this.clear();
    for (const e of live) {
      const ttl = e.expiresAt === 0 ? 0 : e.expiresAt - this.now;
      this.entries.push({ ...e, freq: 1, lastUse: this.tick++, ttl });
    }
  }

  prune(): number {
    const stale = this.evictionOrder().filter((e) => this.stale(e));
    for (const e of stale) this.remove(e, 'expire');
    return stale.length;
  }

  /** A new capacity: the policy's victims go until the entries fit. */
  resize(capacity: number): void {
    this.capacity = capacity;
    while (this.entries.length > capacity) this.evict();
  }

  clear(): void {
    const order = this.evictionOrder().reverse();
    this.entries = [];
    for (const e of order) {
      if (this.stale(e)) this.stats.expirations++;
      this.events.push([e.value, e.key, this.stale(e) ? 'expire' : 'delete']);
    }
  }

  /** The policy's victim, reported as expired if its TTL ran out. */
  private evict(except?: Entry): void {
    const victim = this.evictionOrder().find((x) => x !== except)!;
    this.remove(victim, this.stale(victim) ? 'expire' : 'evict');
  }
}

export interface Real {
  cache: AnyCache;
  clock: FakeClock;
  events: Event[];
}

type Command = fc.Command<Model, Real>;

/** After every command: same events, same stats, same size, same iteration order. */
function agree(model: Model, real: Real): void {
  expect(real.events).toEqual(model.events);
  expect(real.cache.stats()).toEqual({
    name: 'default',
    ...model.stats,
    size: model.entries.length,
  });
  expect(real.cache.size).toBe(model.entries.length);
  expect(real.cache.size).toBeLessThanOrEqual(model.capacity);
  if (model.maxSize !== Number.POSITIVE_INFINITY) {
    expect(real.cache.totalSize).toBe(model.total);
    expect(real.cache.totalSize).toBeLessThanOrEqual(model.maxSize);
  }
  expect([...real.cache.keys()]).toEqual(model.liveKeys());
}

const command = (name: string, run: (model: Model, real: Real) => void): Command => ({
  check: () => true,
  run: (model, real) => {
    run(model, real);
    agree(model, real);
  },
  toString: () => name,
});

/** The commands for fc.commands; `weights` decides the weight of each value. */
export function commands(
  keys: number,
  weighted: boolean,
  ttl: boolean,
  fill = false,
): fc.Arbitrary<Command>[] {
  const key = fc.integer({ min: 0, max: keys - 1 });
  const value = fc.integer({ min: 0, max: 5 });
  const entryTtl = ttl
    ? fc.constantFrom(undefined, 5, 20, Number.POSITIVE_INFINITY)
    : fc.constant(undefined);
  const weightOf = (v: number) => (weighted ? v : 0);
  const entrySize = fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined });
  // `fill(from, n)`: n sets of consecutive keys, so that big caches fill (and grow their arrays).
  const fills = fill
    ? [
        fc.tuple(key, fc.integer({ min: 1, max: 60 }), value).map(([from, n, v]) =>
          command(`fill(${from}, ${n})`, (m, r) => {
            for (let k = from; k < from + n; k++) {
              r.cache.set(k % keys, v);
              m.set(k % keys, v, weightOf(v), undefined);
            }
          }),
        ),
      ]
    : [];
  return [
    ...fills,
    key.map((k) => command(`get(${k})`, (m, r) => expect(r.cache.get(k)).toBe(m.get(k)))),
    // With weights, some sets give the entry's size themselves (`{ size }`), instead of sizeOf.
    fc
      .tuple(key, value, entryTtl, weighted ? entrySize : fc.constant(undefined))
      .map(([k, v, t, z]) =>
        command(`set(${k}, ${v}, ${t}, size ${z})`, (m, r) => {
          const options: { ttlMs?: number; size?: number } = {};
          if (t !== undefined) options.ttlMs = t;
          if (z !== undefined) options.size = z;
          r.cache.set(k, v, t === undefined && z === undefined ? undefined : options);
          m.set(k, v, z ?? weightOf(v), t);
        }),
      ),
    key.map((k) => command(`peek(${k})`, (m, r) => expect(r.cache.peek(k)).toBe(m.peek(k)))),
    key.map((k) => command(`has(${k})`, (m, r) => expect(r.cache.has(k)).toBe(m.has(k)))),
    key.map((k) => command(`delete(${k})`, (m, r) => expect(r.cache.delete(k)).toBe(m.delete(k)))),
    fc.integer({ min: 1, max: 15 }).map((ms) =>
      command(`advance(${ms})`, (m, r) => {
        r.clock.advance(ms);
        m.now += ms;
      }),
    ),
    fc.constant(command('prune()', (m, r) => expect(r.cache.prune()).toBe(m.prune()))),
    (fill ? fc.integer({ min: 30, max: 320 }) : fc.integer({ min: 1, max: 8 })).map((n) =>
      command(`resize(${n})`, (m, r) => {
        r.cache.resize(n);
        m.resize(n);
      }),
    ),
    fc.constant(command('pop()', (m, r) => expect(r.cache.pop()).toBe(m.pop()))),
    key.map((k) =>
      command(`info(${k})`, (m, r) => {
        const got = r.cache.info(k);
        const want = m.info(k);
        expect(got?.value).toBe(want?.value);
        // ttlMs is there once the cache has TTLs, size once it has weights.
        if (got?.ttlMs !== undefined) expect(got.ttlMs).toBe(want?.remaining);
        if (got?.size !== undefined) expect(got.size).toBe(want?.weight);
        if (weighted) expect(got?.size).toBe(want?.weight);
      }),
    ),
    fc.constant(
      command('load(dump())', (m, r) => {
        r.cache.load(r.cache.dump());
        m.reload();
      }),
    ),
    fc.constant(
      command('clear()', (m, r) => {
        r.cache.clear();
        m.clear();
      }),
    ),
  ];
}

/** Runs random command sequences against a fresh real cache and a fresh model. */
export function checkAgainstModel(
  policy: Policy,
  make: (options: {
    capacity: number;
    ttlMs?: number;
    maxSize?: number;
    sizeOf?: (value: number) => number;
    onEvict: (value: number, key: number, reason: EvictionReason) => void;
    clock: FakeClock;
    noUpdateTTL?: boolean;
    noDisposeOnSet?: boolean;
    updateAgeOnGet?: boolean;
    updateAgeOnHas?: boolean;
    allowStale?: boolean;
    maxEntrySize?: number;
  }) => AnyCache,
  setup: {
    weighted: boolean;
    ttl: boolean;
    big?: boolean;
    noUpdateTTL?: boolean;
    noDisposeOnSet?: boolean;
    updateAgeOnGet?: boolean;
    updateAgeOnHas?: boolean;
    allowStale?: boolean;
    /** `'below'`: a `maxEntrySize` up to `maxSize`; `'alone'`: a `maxEntrySize` and no `maxSize`. */
    maxEntrySize?: 'below' | 'alone';
  },
  numRuns = 150,
): void {
  // With an option about reads and TTLs, TTLs are always on and few keys are read often, so
  // that reads before and after an expiry meet in short runs.
  const renews =
    setup.updateAgeOnGet === true || setup.updateAgeOnHas === true || setup.allowStale === true;
  // `big`: capacities past the slots a cache allocates at first, so its arrays grow mid-run.
  const shape = fc
    .record({
      capacity: setup.big ? fc.integer({ min: 60, max: 300 }) : fc.integer({ min: 1, max: 6 }),
      keys: setup.big
        ? fc.integer({ min: 100, max: 400 })
        : fc.integer({ min: 1, max: renews ? 4 : 10 }),
      ttlMs: renews ? fc.constant(10) : setup.ttl ? fc.constantFrom(0, 10, 30) : fc.constant(0),
      maxSize: setup.weighted ? fc.integer({ min: 1, max: setup.big ? 600 : 12 }) : fc.constant(0),
      maxEntrySize: fc.integer({ min: 1, max: 6 }),
    })
    .map((s) =>
      setup.maxEntrySize === 'below'
        ? { ...s, maxEntrySize: Math.min(s.maxEntrySize, s.maxSize) }
        : s,
    );
  fc.assert(
    fc.property(
      shape.chain((s) =>
        fc.tuple(
          fc.constant(s),
          fc.commands(commands(s.keys, setup.weighted, setup.ttl, setup.big), {
            maxCommands: 80,
            size: renews ? 'large' : undefined,
          }),
        ),
      ),
      ([s, cmds]) => {
        const clock = new FakeClock(1000);
        const events: Event[] = [];
        const cache = make({
          capacity: s.capacity,
          ttlMs: s.ttlMs === 0 ? undefined : s.ttlMs,
          maxSize: setup.weighted && setup.maxEntrySize !== 'alone' ? s.maxSize : undefined,
          sizeOf: setup.weighted ? (v: number) => v : undefined,
          onEvict: (value, key, reason) => events.push([value, key, reason]),
          clock,
          noUpdateTTL: setup.noUpdateTTL,
          noDisposeOnSet: setup.noDisposeOnSet,
          updateAgeOnGet: setup.updateAgeOnGet,
          updateAgeOnHas: setup.updateAgeOnHas,
          allowStale: setup.allowStale,
          maxEntrySize: setup.maxEntrySize === undefined ? undefined : s.maxEntrySize,
        });
        const model = new Model(
          policy,
          s.capacity,
          s.ttlMs,
          setup.weighted && setup.maxEntrySize !== 'alone' ? s.maxSize : Number.POSITIVE_INFINITY,
          setup.noUpdateTTL,
          setup.noDisposeOnSet,
          setup.updateAgeOnGet,
          setup.updateAgeOnHas,
          setup.allowStale,
          setup.maxEntrySize === undefined
            ? setup.weighted
              ? s.maxSize
              : Number.POSITIVE_INFINITY
            : s.maxEntrySize,
        );
        fc.modelRun(() => ({ model, real: { cache, clock, events } }), cmds);
      },
    ),
    { numRuns },
  );
}
