import { FakeClock } from '@bulwark/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientIp } from '../src/http/client-ip.js';
import { Failure, Gate, Verdict } from '../src/http/gate.js';
import { policyItem, rateLimitItem, retryAfterSeconds, sfString } from '../src/http/headers.js';
import {
  fixedWindow,
  gcra,
  MemoryRateLimiter,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../src/index.js';
import type { Decision, RateLimiter } from '../src/types.js';
import { AsyncLimiter, BrokenLimiter, RecordingLimiter } from './http-helpers.js';

/** Reads a structured-field String back (the inverse of sfString). */
function parseSfString(text: string): string {
  expect(text.startsWith('"') && text.endsWith('"')).toBe(true);
  let out = '';
  for (let i = 1; i < text.length - 1; i++) {
    let ch = text[i]!;
    if (ch === '\\') ch = text[++i]!;
    else expect(ch).not.toBe('"');
    out += ch;
  }
  return out;
}

const decisionArb = fc.record({
  allowed: fc.boolean(),
  limit: fc.integer({ min: 1, max: 1_000_000 }),
  remaining: fc.integer({ min: 0, max: 1_000_000 }),
  resetMs: fc.integer({ min: 0, max: 1e9 }),
  retryAfterMs: fc.integer({ min: 0, max: 1e9 }),
});

describe('headers', () => {
  it('formats the policy and the live state as structured-field list members', () => {
    expect(policyItem({ name: 'default', limit: 100, windowMs: 60_000 })).toBe(
      '"default";q=100;w=60',
    );
    expect(policyItem({ name: 'api', limit: 10, windowMs: 1500 })).toBe('"api";q=10;w=2');
    expect(policyItem({ name: 'x', limit: 5, windowMs: 0 })).toBe('"x";q=5');
    const decision = { allowed: true, limit: 100, remaining: 42, resetMs: 16_001, retryAfterMs: 0 };
    expect(rateLimitItem('"default"', decision)).toBe('"default";r=42;t=17');
  });

  it('quotes names with escapes and refuses what a header cannot carry', () => {
    expect(sfString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(() => sfString('café')).toThrow(TypeError);
    expect(() => sfString('a\nb')).toThrow(/policy.name must hold printable ASCII/);
  });

  it('round-trips any printable ASCII name', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
        }),
        (name) => {
          expect(parseSfString(sfString(name))).toBe(name);
        },
      ),
    );
  });

  it('r, t and Retry-After are whole numbers a client can trust', () => {
    fc.assert(
      fc.property(decisionArb, (decision: Decision) => {
        const match = /^"n";r=(\d+);t=(\d+)$/.exec(rateLimitItem('"n"', decision));
        expect(match).not.toBeNull();
        expect(Number(match![1])).toBe(decision.remaining);
        const t = Number(match![2]);
        expect(t * 1000).toBeGreaterThanOrEqual(decision.resetMs); // never earlier than the reset
        expect(t * 1000 - decision.resetMs).toBeLessThan(1000);
        const retry = retryAfterSeconds(decision);
        expect(Number.isInteger(retry)).toBe(true);
        expect(retry).toBeGreaterThanOrEqual(1);
        expect(retry * 1000).toBeGreaterThanOrEqual(decision.retryAfterMs);
        expect(retry).toBeGreaterThanOrEqual(t); // never earlier than the effective window's end
        expect(retry).toBe(Math.max(1, t, Math.ceil(decision.retryAfterMs / 1000)));
      }),
    );
  });
});

describe('headers stay Structured Field Integers (RFC 9651: at most 15 digits)', () => {
  // An sf-integer as RFC 9651 section 4.2.4 parses it: optional '-', then 1 to 15 digits.
  const SF_INTEGER = /^-?\d{1,15}$/;
  const params = (item: string) =>
    item
      .split(';')
      .slice(1)
      .map((param) => param.split('='));

  it('refuses a limit or a limit + burst beyond 999 999 999 999 999, naming it', () => {
    const max = 999_999_999_999_999;
    expect(() => fixedWindow({ limit: max + 1, windowMs: 1000 })).toThrow(
      new RangeError(
        'limit must be an integer between 1 and 999999999999999 (the largest Structured Field Integer), got 1000000000000000',
      ),
    );
    expect(() => slidingWindowLog({ limit: 2 ** 53 - 1, windowMs: 1 })).toThrow(/limit must be/);
    expect(() => slidingWindowCounter({ limit: max + 1, windowMs: 1 })).toThrow(/limit must be/);
    expect(() => gcra({ limit: max + 1, periodMs: 1 })).toThrow(/limit must be/);
    expect(() => gcra({ limit: max, periodMs: 1, burst: 1 })).toThrow(
      /limit \+ burst must be <= 999999999999999 \(the largest Structured Field Integer\), got limit 999999999999999 and burst 1/,
    );
    expect(fixedWindow({ limit: max, windowMs: 1000 }).limit).toBe(max);
  });

  it('every q, w, r and t of the largest accepted quotas parses as an sf-integer', () => {
    const max = 999_999_999_999_999;
    const specs = [
      fixedWindow({ limit: max, windowMs: 2 ** 53 - 1 }),
      gcra({ limit: max - 10, periodMs: 1, burst: 10 }),
      tokenBucket({ capacity: 2 ** 40, refillPerSecond: (2 ** 40 * 1000) / (2 ** 53 - 1) }),
    ];
    for (const spec of specs) {
      const limiter = new MemoryRateLimiter(spec, { clock: new FakeClock() });
      const decision = limiter.consume('k');
      for (const [name, value] of [
        ...params(policyItem(limiter.policy)),
        ...params(rateLimitItem('"n"', decision)),
      ])
        expect(`${name}=${value}`).toMatch(
          new RegExp(`^${name}=${SF_INTEGER.source.slice(1, -1)}$`),
        );
    }
  });

  it('a custom limiter advertising more is clamped, never sent as an invalid integer', () => {
    const huge = { name: 'custom', limit: 2 ** 53 - 1, windowMs: 1e20 };
    for (const [, value] of params(policyItem(huge))) expect(value).toMatch(SF_INTEGER);
    expect(policyItem(huge)).toBe('"custom";q=999999999999999;w=999999999999999');
    const item = rateLimitItem('"n"', {
      allowed: true,
      limit: 2 ** 53 - 1,
      remaining: 2 ** 53 - 2,
      resetMs: 1e30,
      retryAfterMs: 0,
    });
    expect(item).toBe('"n";r=999999999999999;t=999999999999999');
  });
});

describe('client IP', () => {
  it('uses the socket address unless told to trust proxies', () => {
    expect(clientIp('1.1.1.1', '9.9.9.9', false)).toBe('1.1.1.1');
    expect(clientIp('1.1.1.1', '9.9.9.9', 0)).toBe('1.1.1.1');
    expect(clientIp('1.1.1.1', undefined, 1)).toBe('1.1.1.1');
    expect(clientIp('1.1.1.1', ' , ', 1)).toBe('1.1.1.1');
    expect(clientIp('1.1.1.1', '9.9.9.9, 8.8.8.8', true)).toBe('9.9.9.9');
    expect(clientIp('1.1.1.1', ['9.9.9.9', '8.8.8.8'], 1)).toBe('8.8.8.8');
    expect(clientIp('1.1.1.1', '9.9.9.9', 5)).toBe('9.9.9.9');
  });

  it('with n trusted proxies, whatever the client forges, the key is its real address', () => {
    const ip = fc.ipV4();
    fc.assert(
      fc.property(
        ip,
        fc.array(ip, { minLength: 1, maxLength: 4 }),
        fc.array(fc.oneof(ip, fc.string()), { maxLength: 4 }),
        (client, proxies, forged) => {
          // each proxy appends the address it received the request from
          const xff = [...forged, client, ...proxies.slice(0, -1)];
          const socket = proxies[proxies.length - 1];
          expect(clientIp(socket, xff.join(', '), proxies.length)).toBe(client);
        },
      ),
    );
  });
});

describe('gate', () => {
  const byIp = () => 'k';

  it('answers synchronously for a sync limiter, with a promise only for an async one', async () => {
    const clock = new FakeClock(0);
    const limiter = new RecordingLimiter(2, 1000, clock);
    const sync = new Gate<object>({ limiter }, byIp).check({});
    expect(sync).toBeInstanceOf(Verdict);
    const pending = new Gate<object>({ limiter: new AsyncLimiter(limiter) }, byIp).check({});
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toBeInstanceOf(Verdict);
    const keyed = new Gate<object>({ limiter, key: async () => 'a' }, byIp).check({});
    expect(keyed).toBeInstanceOf(Promise);
  });

  it('turns a limiter error into a Failure with the action from onError', async () => {
    const gate = new Gate<object>({ limiter: new BrokenLimiter('throw') }, byIp);
    const failure = gate.check({}) as Failure;
    expect(failure).toBeInstanceOf(Failure);
    expect(failure.action).toBe('allow');
    const rejected = await new Gate<object>(
      { limiter: new BrokenLimiter('reject'), onError: () => 'throw' },
      byIp,
    ).check({});
    expect((rejected as Failure).action).toBe('throw');
    const wrong = new Gate<object>(
      { limiter: new BrokenLimiter('throw'), onError: () => 'x' as never },
      byIp,
    );
    expect(() => wrong.check({})).toThrow(/onError\(error, req\) must be/);
  });

  it('refuses a fixed cost above the limit of a limiter when the adapter is created', () => {
    const small = new MemoryRateLimiter(fixedWindow({ limit: 3, windowMs: 1000 }), {
      name: 'small',
    });
    const big = new MemoryRateLimiter(fixedWindow({ limit: 10, windowMs: 1000 }));
    expect(() => new Gate<object>({ limiter: small, cost: 3 }, byIp)).not.toThrow();
    expect(() => new Gate<object>({ limiter: [big, small], cost: 4 }, byIp)).toThrow(
      new RangeError('cost must be <= 3 (the limit of limiter "small"), got 4'),
    );
  });

  it('validates what the per-request functions return', async () => {
    const limiter = new RecordingLimiter(2, 1000, new FakeClock(0));
    expect(() => new Gate<object>({ limiter, cost: () => 1.5 }, byIp).check({})).toThrow(
      'cost must be an integer >= 1, got 1.5',
    );
    expect(() => new Gate<object>({ limiter: () => ({}) as never }, byIp).check({})).toThrow(
      /limiter\(req\) must be a RateLimiter/,
    );
    expect(() => new Gate<object>({ limiter, key: () => 5 as never }, byIp).check({})).toThrow(
      'key(req) must return a non-empty string, got 5',
    );
    await expect(
      new Gate<object>({ limiter, key: async () => 5 as never }, byIp).check({}),
    ).rejects.toThrow('key(req) must resolve to a non-empty string, got 5');
    // An empty key (say, a missing API-key header) is the key function's error: it must not
    // reach the limiter, whose TypeError would go through onError ('allow' lets it pass).
    const counted = new RecordingLimiter(1, 1000, new FakeClock(0));
    expect(() =>
      new Gate<object>({ limiter: counted, key: () => '', onError: 'allow' }, byIp).check({}),
    ).toThrow(new TypeError('key(req) must return a non-empty string, got ""'));
    await expect(
      new Gate<object>({ limiter: counted, key: async () => '' }, byIp).check({}),
    ).rejects.toThrow('key(req) must resolve to a non-empty string, got ""');
    expect(() => new Gate<object>(undefined as never, byIp)).toThrow(/options must be an object/);
    expect(
      () =>
        new Gate<object>(
          { limiter: new RecordingLimiter(1, 1000, new FakeClock(0), 'bad\nname') },
          byIp,
        ),
    ).toThrow(/policy.name must hold printable ASCII/);
  });

  it('with a list, decides by the first refusal or else the least remaining (longest t on ties), and reports every limiter consulted', async () => {
    const fixed = (
      name: string,
      decision: Decision,
      async: boolean,
    ): RateLimiter & { calls: number } => {
      const limiter = {
        calls: 0,
        policy: { name, limit: decision.limit, windowMs: 1000 },
        consume() {
          limiter.calls++;
          return async ? Promise.resolve(decision) : decision;
        },
        peek: () => decision,
        reset() {},
      };
      return limiter;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(decisionArb, fc.boolean()), { minLength: 1, maxLength: 5 }),
        async (entries) => {
          const limiters = entries.map(([decision, async], i) => fixed(`p${i}`, decision, async));
          const verdict = (await new Gate<object>({ limiter: limiters }, byIp).check(
            {},
          )) as Verdict;
          const refused = entries.findIndex(([decision]) => !decision.allowed);
          let expected: number;
          if (refused >= 0) {
            expected = refused;
          } else {
            expected = 0;
            entries.forEach(([d], i) => {
              const best = entries[expected]![0];
              if (
                d.remaining < best.remaining ||
                (d.remaining === best.remaining && d.resetMs > best.resetMs)
              ) {
                expected = i;
              }
            });
          }
          expect(verdict.allowed).toBe(refused < 0);
          expect(verdict.decision).toBe(entries[expected]![0]);
          expect(verdict.policy.split(', ')).toHaveLength(entries.length);
          // consumed in order, stopping at the first refusal; one RateLimit member per limiter
          // consulted, in order
          const last = refused >= 0 ? refused : entries.length - 1;
          expect(verdict.rateLimit).toBe(
            entries
              .slice(0, last + 1)
              .map(([d], i) => rateLimitItem(`"p${i}"`, d))
              .join(', '),
          );
          expect(limiters.map((limiter) => limiter.calls)).toEqual(
            limiters.map((_, i) => (i <= last ? 1 : 0)),
          );
        },
      ),
    );
  });
});
