import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  BucketedWindow,
  BulwarkError,
  callListener,
  checkClock,
  checkInteger,
  checkKnownKeys,
  checkMs,
  checkNumber,
  checkObject,
  checkOneOf,
  checkOnStoreError,
  checkString,
  describeValue,
  isBulwarkError,
  NEVER_ABORTED,
  nearestName,
  QueueFullError,
  RedisScript,
  resolveStoreError,
  runOnKey,
  slotKey,
  systemClock,
  VOCABULARY_RENAMES,
  withRenames,
} from '../src/index.js';

describe('describeValue', () => {
  it('prints each kind of value one way', () => {
    expect(describeValue('a')).toBe('"a"');
    expect(describeValue(1n)).toBe('1n');
    expect(describeValue(-0)).toBe('-0');
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(null)).toBe('null');
    expect(describeValue({ a: 1 })).toBe('{"a":1}');
    expect(describeValue([1, 2])).toBe('[1,2]');
    expect(describeValue(() => 1)).toBe('a function');
    expect(describeValue(function named() {})).toBe('function named');
    expect(describeValue(new Map())).toBe('an instance of Map');
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeValue(cyclic)).toBe('an object');
    expect(describeValue('x'.repeat(100)).length).toBeLessThan(70);
  });
});

describe('option checks', () => {
  it('use one message form and the right error class', () => {
    expect(() => checkInteger('max', 0, 1)).toThrow(
      new RangeError('max must be an integer >= 1, got 0'),
    );
    expect(() => checkInteger('max', 1.5, 1)).toThrow(RangeError);
    expect(() => checkInteger('max', '1', 1)).toThrow(
      new TypeError('max must be an integer, got "1"'),
    );
    expect(() => checkNumber('ratio', Number.NaN, 0, 1)).toThrow(
      new RangeError('ratio must be a number between 0 and 1, got NaN'),
    );
    expect(() => checkMs('ttlMs', 0, true)).toThrow(
      new RangeError('ttlMs must be a number > 0, got 0'),
    );
    expect(checkMs('ttlMs', 0)).toBe(0);
    expect(() => checkString('name', '')).toThrow(
      new TypeError('name must be a non-empty string, got ""'),
    );
    expect(() => checkObject('options', null)).toThrow(
      new TypeError('options must be an object, got null'),
    );
    expect(() => checkOneOf('mode', 'x', ['a', 'b'])).toThrow(
      new RangeError("mode must be one of 'a', 'b', got \"x\""),
    );
    expect(() => checkOneOf('mode', 1, ['a'])).toThrow(TypeError);
    expect(() => checkClock('clock', { now: () => 1 }, true)).toThrow(TypeError);
    expect(checkClock('clock', systemClock, true)).toBe(systemClock);
  });
});

describe('checkKnownKeys', () => {
  const known = new Set(['ttlMs', 'staleWhileRevalidateMs', 'max', 'onEvict']);
  it('names an unknown key and the nearest valid one', () => {
    expect(() => checkKnownKeys({ ttl: 1 }, known, 'createCache(options)')).toThrow(
      new TypeError('unknown option "ttl" in createCache(options); did you mean "ttlMs"?'),
    );
    expect(() => checkKnownKeys({ onEvcit: 1 }, known, 'x')).toThrow(/did you mean "onEvict"/);
    expect(() => checkKnownKeys({ TTLMS: 1 }, known, 'x')).toThrow(/did you mean "ttlMs"/);
    expect(() => checkKnownKeys({ zzzzzzzz: undefined }, known, 'x')).toThrow(
      new TypeError('unknown option "zzzzzzzz" in x'),
    );
    expect(() => checkKnownKeys({ ttlMs: 1, max: 2 }, known, 'x')).not.toThrow();
  });
  it('suggests only names that are near', () => {
    expect(nearestName('capacity', ['ttlMs', 'max'])).toBeUndefined();
    expect(nearestName('maxWait', ['maxWaiting', 'max'])).toBe('maxWaiting');
  });
  it('gives the renamed name before the nearest one, when the renamed name is an option here', () => {
    const pool = new Set(['max', 'maxWaiting', 'acquireTimeoutMs']);
    expect(() =>
      checkKnownKeys({ maxQueue: 5 }, pool, 'createPool(options)', VOCABULARY_RENAMES),
    ).toThrow(
      new TypeError('unknown option "maxQueue" in createPool(options); use "maxWaiting" instead'),
    );
    // Without the map, the nearest name is a prefix that means something else.
    expect(() => checkKnownKeys({ maxQueue: 5 }, pool, 'createPool(options)')).toThrow(
      new TypeError('unknown option "maxQueue" in createPool(options); did you mean "max"?'),
    );
    // `timeout` → `timeoutMs` is no option here: the nearest name is suggested as before.
    expect(() => checkKnownKeys({ timeout: 1 }, pool, 'x', VOCABULARY_RENAMES)).toThrow(
      new TypeError('unknown option "timeout" in x'),
    );
    expect(() => checkKnownKeys({ maxwaiting: 1 }, pool, 'x', VOCABULARY_RENAMES)).toThrow(
      /did you mean "maxWaiting"/,
    );
    expect(() => checkKnownKeys({ maxWaiting: 1 }, pool, 'x', VOCABULARY_RENAMES)).not.toThrow();
  });
  it('renames to a nested option when the option before the dot is known', () => {
    const renames = withRenames([['windowMs', 'window.ms']]);
    expect(renames.get('maxQueue')).toBe('maxWaiting');
    expect(() => checkKnownKeys({ windowMs: 1 }, new Set(['window']), 'x', renames)).toThrow(
      new TypeError('unknown option "windowMs" in x; use "window.ms" instead'),
    );
    expect(() => checkKnownKeys({ windowMs: 1 }, new Set(['windowSize']), 'x', renames)).toThrow(
      new TypeError('unknown option "windowMs" in x'),
    );
  });
  it("maps every option name the vocabulary table forbids to the table's name", () => {
    const markdown = readFileSync(new URL('../../../CONTRIBUTING.md', import.meta.url), 'utf8');
    const table = markdown.slice(markdown.indexOf('| idea | the name | never |')).split('\n');
    const expected = new Map<string, string[]>();
    for (const line of table.slice(2)) {
      if (!line.startsWith('|')) break;
      const [idea = '', name = '', never = ''] = line.split(/(?<!\\)\|/).slice(1, -1);
      if (!idea.includes('(option')) continue;
      const words = (cell: string) =>
        [...cell.matchAll(/`([A-Za-z]\w*)[^`]*`/g)].map((m) => m[1] as string);
      for (const word of words(never)) expected.set(word, words(name));
    }
    expect(expected.size).toBeGreaterThan(10);
    expect([...VOCABULARY_RENAMES.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [word, names] of expected) expect(names).toContain(VOCABULARY_RENAMES.get(word));
  });
});

describe('errors', () => {
  it('carry a code and a brand that survives a second copy of the class', () => {
    const error = new QueueFullError(3, 'pool queue');
    expect(error).toBeInstanceOf(BulwarkError);
    expect(error.code).toBe('BULWARK_QUEUE_FULL');
    expect(error.name).toBe('QueueFullError');
    expect(isBulwarkError(error)).toBe(true);
    expect(isBulwarkError(error, 'BULWARK_QUEUE_FULL')).toBe(true);
    expect(isBulwarkError(error, 'BULWARK_OTHER')).toBe(false);
    // An error from another copy of the kernel: same registered symbol, different class.
    const foreign = Object.assign(new Error('x'), { code: 'BULWARK_X' });
    Object.defineProperty(foreign, Symbol.for('bulwark.error'), { value: true });
    expect(isBulwarkError(foreign, 'BULWARK_X')).toBe(true);
    expect(isBulwarkError(new Error('plain'))).toBe(false);
    expect(isBulwarkError(null)).toBe(false);
  });
});

describe('NEVER_ABORTED and callListener', () => {
  it('never aborts; a throwing listener is rethrown on a microtask, after the caller finished', async () => {
    expect(NEVER_ABORTED.aborted).toBe(false);
    const seen: unknown[] = [];
    const onUncaught = (error: unknown) => seen.push(error);
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      const boom = new Error('listener failed');
      let after = false;
      callListener(() => {
        throw boom;
      }, 1);
      after = true;
      expect(after).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual([boom]);
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const listener of listeners) process.on('uncaughtException', listener);
    }
    const fn = vi.fn();
    callListener(fn, 7);
    callListener(undefined, 7);
    expect(fn).toHaveBeenCalledWith(7);
  });
});

describe('BucketedWindow', () => {
  it('equals a brute-force sum of the amounts whose bucket is in the window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 50 }),
            fc.integer({ min: 0, max: 1 }),
            fc.integer({ min: 1, max: 5 }),
          ),
        ),
        fc.integer({ min: -100, max: 100 }),
        (buckets, bucketMs, steps, start) => {
          const window = new BucketedWindow(buckets * bucketMs, buckets, 2);
          const log: [number, number, number][] = [];
          let now = start;
          for (const [dt, field, amount] of steps) {
            now += dt;
            window.add(field, amount, now);
            log.push([now, field, amount]);
            const head = Math.floor(now / bucketMs);
            for (const f of [0, 1]) {
              const expected = log
                .filter(([t, ff]) => ff === f && Math.floor(t / bucketMs) > head - buckets)
                .reduce((sum, [, , a]) => sum + a, 0);
              expect(window.total(f)).toBe(expected);
            }
          }
        },
      ),
    );
  });
  it('reset empties it', () => {
    const window = new BucketedWindow(100, 10, 1);
    window.add(0, 5, 0);
    window.reset();
    expect(window.total(0)).toBe(0);
  });
});

describe('RedisScript', () => {
  it('sends EVALSHA and falls back to EVAL once on NOSCRIPT', async () => {
    const script = new RedisScript('return 1');
    expect(script.sha).toBe('e0e1f9fabfc9d4800c877a703b823ac0578ff8db');
    const calls: string[] = [];
    let loaded = false;
    const client = {
      evalsha: async () => {
        calls.push('evalsha');
        if (!loaded) throw new Error('NOSCRIPT No matching script');
        return 1;
      },
      eval: async () => {
        calls.push('eval');
        loaded = true;
        return 1;
      },
    };
    expect(await script.run(client, ['k'], [1])).toBe(1);
    expect(await script.run(client, ['k'], [1])).toBe(1);
    expect(calls).toEqual(['evalsha', 'eval', 'evalsha']);
    expect(script.reloads).toBe(1);
    const failing = { evalsha: async () => Promise.reject(new Error('down')), eval: client.eval };
    await expect(script.run(failing, [], [])).rejects.toThrow('down');
    expect(slotKey('p:', 'user', ':log')).toBe('p:{user}:log');
  });

  it('runOnKey sends one key and up to three arguments as they are, with the same fallback', async () => {
    const script = new RedisScript('return 2');
    const sent: unknown[][] = [];
    let loaded = false;
    const client = {
      evalsha: async (...args: unknown[]) => {
        sent.push(['evalsha', ...args]);
        if (!loaded) throw new Error('NOSCRIPT No matching script');
        return 2;
      },
      eval: async (...args: unknown[]) => {
        sent.push(['eval', ...args.slice(1)]);
        loaded = true;
        return 2;
      },
    };
    expect(await runOnKey(script, client, 'k', 1, 2, 3)).toBe(2);
    expect(await runOnKey(script, client, 'k', 1)).toBe(2);
    expect(await runOnKey(script, client, 'k', 1, 5)).toBe(2);
    expect(sent).toEqual([
      ['evalsha', script.sha, 1, 'k', 1, 2, 3],
      ['eval', 1, 'k', 1, 2, 3],
      ['evalsha', script.sha, 1, 'k', 1],
      ['evalsha', script.sha, 1, 'k', 1, 5],
    ]);
    expect(script.reloads).toBe(1);
    const failing = { evalsha: async () => Promise.reject(new Error('down')), eval: client.eval };
    await expect(runOnKey(script, failing, 'k', 1)).rejects.toThrow('down');
  });
});

describe('onStoreError', () => {
  it('checks the option and resolves the decision', () => {
    expect(checkOnStoreError('onStoreError', undefined, 'fail-open')).toBe('fail-open');
    expect(() => checkOnStoreError('onStoreError', 'open', 'fail-open')).toThrow(
      new TypeError(`onStoreError must be 'fail-open', 'fail-closed' or a function, got "open"`),
    );
    expect(resolveStoreError('fail-open', new Error(), [], 'O', 'C', 'T')).toBe('O');
    expect(resolveStoreError('fail-closed', new Error(), [], 'O', 'C', 'T')).toBe('C');
    expect(
      resolveStoreError((_e: unknown, key: string) => key, new Error(), ['k'], 'O', 'C', 'T'),
    ).toBe('k');
    expect(
      resolveStoreError(
        () => {
          throw new Error('policy bug');
        },
        new Error(),
        [],
        'O',
        'C',
        'T',
      ),
    ).toBe('T');
  });
});

describe('systemClock', () => {
  it('is on the Unix epoch and monotonic', () => {
    const a = systemClock.now();
    const b = systemClock.now();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(Math.abs(a - Date.now())).toBeLessThan(60_000);
  });
});
