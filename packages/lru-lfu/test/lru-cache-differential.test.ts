// Differential tests against lru-cache itself, for what the README's mapping table marks
// "same": the same command sequence runs on our LRUCache and on lru-cache (its `perf` option
// reading the same fake clock), and after every step both must show the same live entries in
// the same order, and answer get and getRemainingTTL alike.
//
// Where the two differ on purpose (README: our entry expires when its age reaches ttlMs,
// lru-cache's when it exceeds ttl), the commands keep away from the difference: ages are even
// and TTLs odd, so no age ever equals a TTL. `has` and `peek` are left out: on an expired entry
// ours removes it, lru-cache keeps it until a get or an eviction (documented as "different");
// `delete` of an expired entry returns false here, true there.
import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { LRUCache as TheirLRU } from 'lru-cache';
import { describe, expect, it } from 'vitest';
import { LRUCache } from '../src/index.js';

interface Pair {
  /** `'set'` reports of replaced values, ours and theirs: they must match too. */
  oursReplaced: [number, number][];
  theirsReplaced: [number, number][];
  ours: LRUCache<number, number>;
  theirs: TheirLRU<number, number>;
  clock: FakeClock;
  keys: number;
}
type Command = fc.Command<object, Pair>;

const cmd = (name: string, run: (p: Pair) => void): Command => ({
  check: () => true,
  run: (_m, p) => {
    run(p);
    // With allowStale, lru-cache's iterators also show expired entries (ours never do: README).
    const live = (k: number) => p.theirs.getRemainingTTL(k) > 0;
    expect([...p.ours.entries()]).toEqual([...p.theirs.entries()].filter(([k]) => live(k)));
    expect([...p.ours.rentries()]).toEqual(
      [...p.theirs.rentries()].filter(([k]) => live(k as number)),
    );
    expect([...p.ours.rkeys()]).toEqual([...p.theirs.rkeys()].filter((k) => live(k)));
    expect(p.oursReplaced).toEqual(p.theirsReplaced);
    for (let k = 0; k < p.keys; k++) {
      expect(p.ours.getRemainingTTL(k)).toBe(Math.max(0, p.theirs.getRemainingTTL(k)));
      // info(): the same value and remaining TTL for a live entry (README: ours gives
      // `ttlMs: Infinity` for an entry without a TTL where lru-cache leaves `ttl` out).
      if (p.ours.getRemainingTTL(k) > 0) {
        const ours = p.ours.info(k);
        const theirs = p.theirs.info(k);
        expect(ours?.value).toBe(theirs?.value);
        if (ours !== undefined)
          expect(ours.ttlMs ?? Number.POSITIVE_INFINITY).toBe(
            theirs?.ttl ?? Number.POSITIVE_INFINITY,
          );
      }
    }
  },
  toString: () => name,
});

function commands(keys: number): fc.Arbitrary<Command>[] {
  const key = fc.integer({ min: 0, max: keys - 1 });
  const ttl = fc.constantFrom(undefined, 5, 15, 31);
  return [
    fc.tuple(key, fc.integer({ min: 0, max: 9 }), ttl).map(([k, v, t]) =>
      cmd(`set(${k}, ${v}, ${t})`, (p) => {
        p.ours.set(k, v, t === undefined ? undefined : { ttlMs: t });
        p.theirs.set(k, v, t === undefined ? undefined : { ttl: t });
      }),
    ),
    key.map((k) => cmd(`get(${k})`, (p) => expect(p.ours.get(k)).toBe(p.theirs.get(k)))),
    // has(): compared on a live entry only (on an expired one ours removes it: README); with
    // updateAgeOnHas both restart its TTL.
    key.map((k) =>
      cmd(`has(${k})`, (p) => {
        if (p.ours.getRemainingTTL(k) > 0) expect(p.ours.has(k)).toBe(p.theirs.has(k));
      }),
    ),
    // The entries left must match; the result differs for an expired entry (ours false, theirs
    // true: README), so it is compared only for a live one.
    key.map((k) =>
      cmd(`delete(${k})`, (p) => {
        const live = p.ours.getRemainingTTL(k) > 0;
        const ours = p.ours.delete(k);
        const theirs = p.theirs.delete(k);
        if (live) expect(ours).toBe(theirs);
      }),
    ),
    // pop(): compared while no expired entry is held (lru-cache pops and returns an expired
    // one; ours drops it and pops the next: README).
    fc.constant(
      cmd('pop()', (p) => {
        const shown = [...p.theirs.keys()];
        if (shown.length !== p.theirs.size || shown.some((k) => p.theirs.getRemainingTTL(k) <= 0))
          return;
        expect(p.ours.pop()).toBe(p.theirs.pop());
      }),
    ),
    fc
      .integer({ min: 1, max: 10 })
      .map((n) => cmd(`advance(${2 * n})`, (p) => p.clock.advance(2 * n))),
  ];
}

describe('LRUCache against lru-cache (options marked "same")', () => {
  it.each([
    ['no default TTL', undefined],
    ['a default TTL', 21],
  ])(
    'property: same entries, order, get, getRemainingTTL, noUpdateTTL, noDisposeOnSet, updateAgeOnGet, updateAgeOnHas, allowStale — %s',
    (_name, ttlMs) => {
      const shape = fc.record({
        capacity: fc.integer({ min: 1, max: 8 }),
        keys: fc.integer({ min: 1, max: 14 }),
        noUpdateTTL: fc.boolean(),
        noDisposeOnSet: fc.boolean(),
        updateAgeOnGet: fc.boolean(),
        updateAgeOnHas: fc.boolean(),
        allowStale: fc.boolean(),
      });
      fc.assert(
        fc.property(
          shape.chain((s) =>
            fc.tuple(fc.constant(s), fc.commands(commands(s.keys), { maxCommands: 80 })),
          ),
          ([s, cmds]) => {
            // lru-cache reads a start time of 0 as "no TTL": the fake time line starts later.
            const clock = new FakeClock(1_000);
            const oursReplaced: [number, number][] = [];
            const theirsReplaced: [number, number][] = [];
            const options = {
              noUpdateTTL: s.noUpdateTTL,
              noDisposeOnSet: s.noDisposeOnSet,
              updateAgeOnGet: s.updateAgeOnGet,
              updateAgeOnHas: s.updateAgeOnHas,
              allowStale: s.allowStale,
            };
            const pair: Pair = {
              oursReplaced,
              theirsReplaced,
              ours: new LRUCache({
                capacity: s.capacity,
                ttlMs,
                clock,
                ...options,
                onEvict: (v, k, reason) => {
                  if (reason === 'set') oursReplaced.push([k, v]);
                },
              }),
              theirs: new TheirLRU({
                max: s.capacity,
                ttl: ttlMs ?? 0,
                ...options,
                dispose: (v, k, reason) => {
                  if (reason === 'set') theirsReplaced.push([k, v]);
                },
                // Read the clock on every check, as ours does (lru-cache caches it for 1 ms).
                ttlResolution: 0,
                perf: { now: clock.now },
              }),
              clock,
              keys: s.keys,
            };
            fc.modelRun(() => ({ model: {}, real: pair }), cmds);
          },
        ),
        { numRuns: 200 },
      );
    },
  );
});

// Weights: maxSize, maxEntrySize (with or without maxSize) and the per-set `size`, with the
// whole-number weights lru-cache takes (a positive integer; ours also takes 0 and fractions:
// README). No TTLs here (above). Both caches report removals; they must agree on every entry
// removed and why, except the refused value itself, which ours reports as 'evict' and lru-cache
// does not report at all (README), and the order within one update (ours reports the replaced
// value once its evictions are done, lru-cache before them): so each step's reports are compared
// as sets.
interface WeightedPair {
  ours: LRUCache<number, number>;
  theirs: TheirLRU<number, number>;
  oursReports: string[];
  theirsReports: string[];
  maxEntrySize: number;
  keys: number;
}
type WeightedCommand = fc.Command<object, WeightedPair>;

const weightOf = (value: number) => value + 1;

const weighted = (name: string, run: (p: WeightedPair) => void): WeightedCommand => ({
  check: () => true,
  run: (_m, p) => {
    p.oursReports.length = 0;
    p.theirsReports.length = 0;
    run(p);
    expect([...p.oursReports].sort()).toEqual([...p.theirsReports].sort());
    expect([...p.ours.entries()]).toEqual([...p.theirs.entries()]);
    expect(p.ours.size).toBe(p.theirs.size);
    expect(p.ours.totalSize).toBe(p.theirs.calculatedSize);
    for (let k = 0; k < p.keys; k++) expect(p.ours.info(k)).toEqual(p.theirs.info(k));
  },
  toString: () => name,
});

function weightedCommands(keys: number): fc.Arbitrary<WeightedCommand>[] {
  const key = fc.integer({ min: 0, max: keys - 1 });
  const size = fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined });
  return [
    fc.tuple(key, fc.integer({ min: 0, max: 6 }), size).map(([k, v, z]) =>
      weighted(`set(${k}, ${v}, size ${z})`, (p) => {
        const refused = (z ?? weightOf(v)) > p.maxEntrySize;
        p.ours.set(k, v, z === undefined ? undefined : { size: z });
        p.theirs.set(k, v, z === undefined ? undefined : { size: z });
        // Ours reports the refused value as 'evict'; lru-cache does not (README).
        if (refused) p.oursReports.splice(p.oursReports.indexOf(`${k}=${v}:evict`), 1);
      }),
    ),
    key.map((k) => weighted(`get(${k})`, (p) => expect(p.ours.get(k)).toBe(p.theirs.get(k)))),
    key.map((k) => weighted(`peek(${k})`, (p) => expect(p.ours.peek(k)).toBe(p.theirs.peek(k)))),
    key.map((k) =>
      weighted(`delete(${k})`, (p) => expect(p.ours.delete(k)).toBe(p.theirs.delete(k))),
    ),
    // pop() reports its entry as 'delete' here, 'evict' there (README).
    fc.constant(
      weighted('pop()', (p) => {
        expect(p.ours.pop()).toBe(p.theirs.pop());
        p.oursReports.forEach((r, n) => {
          p.oursReports[n] = r.replace(/:delete$/, ':evict');
        });
      }),
    ),
  ];
}

describe('LRUCache against lru-cache: weights', () => {
  it.each([
    ['maxSize', 'maxSize'],
    ['maxSize and a smaller maxEntrySize', 'both'],
    ['maxEntrySize alone', 'entry'],
  ] as const)('property: same entries, order, sizes, info and removals — %s', (_name, bound) => {
    const shape = fc.record({
      capacity: fc.integer({ min: 1, max: 8 }),
      keys: fc.integer({ min: 1, max: 12 }),
      maxSize: fc.integer({ min: 1, max: 16 }),
      maxEntrySize: fc.integer({ min: 1, max: 8 }),
    });
    fc.assert(
      fc.property(
        shape.chain((s) =>
          fc.tuple(fc.constant(s), fc.commands(weightedCommands(s.keys), { maxCommands: 60 })),
        ),
        ([s, cmds]) => {
          const maxSize = bound === 'entry' ? undefined : s.maxSize;
          const maxEntrySize =
            bound === 'maxSize' ? undefined : Math.min(s.maxEntrySize, maxSize ?? s.maxEntrySize);
          const oursReports: string[] = [];
          const theirsReports: string[] = [];
          const pair: WeightedPair = {
            ours: new LRUCache<number, number>({
              capacity: s.capacity,
              maxSize,
              maxEntrySize,
              sizeOf: weightOf,
              onEvict: (v, k, reason) => oursReports.push(`${k}=${v}:${reason}`),
            }),
            theirs: new TheirLRU<number, number>({
              max: s.capacity,
              ...(maxSize === undefined ? {} : { maxSize }),
              ...(maxEntrySize === undefined ? {} : { maxEntrySize }),
              sizeCalculation: weightOf,
              dispose: (v, k, reason) => theirsReports.push(`${k}=${v}:${reason}`),
            }),
            oursReports,
            theirsReports,
            maxEntrySize: maxEntrySize ?? maxSize ?? Number.POSITIVE_INFINITY,
            keys: s.keys,
          };
          fc.modelRun(() => ({ model: {}, real: pair }), cmds);
        },
      ),
      { numRuns: 200 },
    );
  });
});
