// RedisLeakyBucketShaper: one steady outflow per key shared by every instance, slots reserved in
// one round trip, the waits on a FakeClock (the `now` option sends its time to the script).
import {
  connectCluster,
  connectStandalone,
  describeRedis,
  FakeClock,
  flushMicrotasks,
  uniquePrefix,
} from '@bulwark/test-utils';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leakyBucket } from '../src/index.js';
import {
  QueueFullError,
  RedisLeakyBucketShaper,
  type RedisLeakyBucketShaperOptions,
  ShaperClosedError,
} from '../src/redis.js';

const spec = leakyBucket({ capacity: 3, leakPerSecond: 10 }); // one unit per 100 ms

describe('RedisLeakyBucketShaper options', () => {
  const fake = { evalsha: () => Promise.resolve([1, 0, 0]), eval: () => {} } as never;
  it('rejects bad options and arguments, naming them', () => {
    expect(() => new RedisLeakyBucketShaper(spec, {} as never)).toThrow(/redis/);
    expect(() => new RedisLeakyBucketShaper({ kind: 'gcra' } as never, { redis: fake })).toThrow(
      TypeError,
    );
    expect(() => new RedisLeakyBucketShaper(spec, { redis: fake, maxWaiting: 0 })).toThrow(
      'maxWaiting must be an integer >= 1, got 0',
    );
    expect(
      () => new RedisLeakyBucketShaper(spec, { redis: fake, onStoreError: 'x' as never }),
    ).toThrow(/onStoreError/);
    expect(() => new RedisLeakyBucketShaper(spec, null as never)).toThrow(
      'options must be an object, got null',
    );
    expect(() => new RedisLeakyBucketShaper(spec, { redis: fake, name: '' })).toThrow(
      'name must be a non-empty string, got ""',
    );
    expect(() => new RedisLeakyBucketShaper(spec, { redis: fake, prefix: 1 as never })).toThrow(
      'prefix must be a string, got 1',
    );
    expect(() => new RedisLeakyBucketShaper(spec, { redis: fake, clock: 5 as never })).toThrow(
      'clock must be an object with now(), setTimeout() and clearTimeout(), got 5',
    );
    expect(() => new RedisLeakyBucketShaper(spec, { redis: fake, clock: {} as never })).toThrow(
      TypeError,
    );
    expect(() => new RedisLeakyBucketShaper(spec, { redis: fake, now: 1 } as never)).toThrow(
      /^unknown option "now" in new RedisLeakyBucketShaper\(spec, options\)/,
    );
    expect(() => new RedisLeakyBucketShaper(spec, { redis: fake, maxQueue: 1 } as never)).toThrow(
      'unknown option "maxQueue" in new RedisLeakyBucketShaper(spec, options); use "maxWaiting" instead',
    );
    const handMade = { kind: 'leaky-bucket', capacity: 3, leakPerSecond: -1 } as const;
    expect(() => new RedisLeakyBucketShaper(handMade, { redis: fake })).toThrow(RangeError);
    const shaper = new RedisLeakyBucketShaper(spec, { redis: fake });
    // The package's key namespace, as the limiter's 'bulwark:rate-limiter:<name>:'.
    expect(shaper.prefix).toBe('bulwark:rate-limiter:shaper:default:');
    expect(() => shaper.schedule('')).toThrow(TypeError);
    expect(() => shaper.schedule('k', { cost: 4 })).toThrow(
      'cost must be an integer between 1 and 3 (maxWaiting), got 4',
    );
    expect(() => shaper.schedule('k', 'fast' as never)).toThrow(
      new TypeError('schedule options must be an object, got "fast"'),
    );
  });

  it('store errors: fail-open releases at once, fail-closed rejects with the error', async () => {
    const broken = {
      evalsha: () => Promise.reject(new Error('down')),
      eval: () => Promise.reject(new Error('down')),
    } as never;
    const open = new RedisLeakyBucketShaper(spec, { redis: broken });
    await expect(open.schedule('k')).resolves.toBeUndefined();
    const closed = new RedisLeakyBucketShaper(spec, { redis: broken, onStoreError: 'fail-closed' });
    await expect(closed.schedule('k')).rejects.toThrow('down');
    expect(closed.stats()).toMatchObject({ storeErrors: 1, released: 0 });
  });

  it('close() rejects waiting requests and reservations in flight, clearing their timers', async () => {
    const clock = new FakeClock(0);
    let answer: (reply: unknown) => void = () => {};
    let calls = 0;
    const redis = {
      // The first call answers at once (a slot 500 ms away); the second waits for `answer`.
      evalsha: () =>
        ++calls === 1
          ? Promise.resolve([1, 500, 0])
          : new Promise((resolve) => {
              answer = resolve;
            }),
      eval: () => Promise.reject(new Error('unused')),
    } as never;
    const shaper = new RedisLeakyBucketShaper(spec, { redis, clock });
    const waiting = shaper.schedule('k');
    await flushMicrotasks();
    expect(shaper.stats().waiting).toBe(1);
    const inFlight = shaper.schedule('k');
    shaper.close(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    answer([1, 600, 1]);
    await expect(inFlight).rejects.toThrow('shutting down');
    expect(shaper.stats()).toMatchObject({ waiting: 0, released: 0, aborted: 2 });
    clock.advance(1000); // the cleared timer never fires
    expect(shaper.stats().released).toBe(0);
    // Closed for good, like the memory shaper (and a pool after drain): no round trip is made.
    calls = 0;
    await expect(shaper.schedule('k')).rejects.toBeInstanceOf(ShaperClosedError);
    expect(calls).toBe(0);
    shaper[Symbol.dispose]();
  });
});

describeRedis('RedisLeakyBucketShaper on Redis', () => {
  let standalone: Redis;
  let cluster: Cluster;
  beforeAll(async () => {
    standalone = connectStandalone();
    cluster = connectCluster();
    await Promise.all([standalone.ping(), cluster.ping()]);
  });
  afterAll(async () => {
    await Promise.all([standalone.quit(), cluster.quit()]);
  });

  function shapers(
    redis: Redis | Cluster,
    clock: FakeClock,
    count: number,
    options: Partial<RedisLeakyBucketShaperOptions> = {},
  ) {
    const prefix = uniquePrefix('shaper');
    return Array.from(
      { length: count },
      () =>
        new RedisLeakyBucketShaper(spec, {
          redis,
          prefix,
          clock,
          ...options,
        }),
    );
  }

  // Records the fake time at which each promise settles.
  function track(clock: FakeClock, promises: Promise<void>[]) {
    const at: (number | string)[] = promises.map(() => -1);
    promises.forEach((p, i) => {
      p.then(
        () => {
          at[i] = clock.now();
        },
        (e: Error) => {
          at[i] = e.name;
        },
      );
    });
    return at;
  }

  // Let every reservation round trip finish (real I/O), then move the fake clock.
  async function settle(shaperList: RedisLeakyBucketShaper[], expected: number) {
    const reserved = () =>
      shaperList.reduce((n, s) => {
        const st = s.stats();
        return n + st.waiting + st.released + st.rejected + st.aborted;
      }, 0);
    while (reserved() < expected) await standalone.ping();
    await flushMicrotasks();
  }

  for (const target of ['standalone', 'cluster'] as const) {
    it(`${target}: two instances feed one steady outflow per key, FIFO by reservation`, async () => {
      const redis = target === 'standalone' ? standalone : cluster;
      const clock = new FakeClock(1_000_000);
      const [a, b] = shapers(redis, clock, 2);
      const order: Promise<void>[] = [];
      for (let i = 0; i < 4; i++) {
        order.push((i % 2 === 0 ? a! : b!).schedule('k'));
        await settle([a!, b!], i + 1); // reserve in this order
      }
      const at = track(clock, order);
      await clock.advanceAsync(0);
      expect(at).toEqual([1_000_000, -1, -1, -1]);
      await clock.advanceAsync(300);
      expect(at).toEqual([1_000_000, 1_000_100, 1_000_200, 1_000_300]);
    });
  }

  it('rejects past maxWaiting waiting units with QueueFullError', async () => {
    const clock = new FakeClock(5_000);
    const [a, b] = shapers(standalone, clock, 2, { maxWaiting: 2 });
    const promises = [a!.schedule('k'), b!.schedule('k'), a!.schedule('k'), b!.schedule('k')];
    const at = track(clock, promises);
    await settle([a!, b!], 4);
    await clock.advanceAsync(1000);
    // One in its slot, two waiting: the fourth would be a third waiting unit.
    expect(at.filter((x) => x === 'QueueFullError')).toHaveLength(1);
    expect(at.filter((x) => typeof x === 'number' && x >= 5_000)).toHaveLength(3);
    await expect(promises[at.indexOf('QueueFullError')]).rejects.toBeInstanceOf(QueueFullError);
  });

  it('an abort while waiting rejects with the reason; the slot stays reserved', async () => {
    const clock = new FakeClock(9_000);
    const [a] = shapers(standalone, clock, 1);
    const controller = new AbortController();
    const first = a!.schedule('k');
    const second = a!.schedule('k', { signal: controller.signal });
    const third = a!.schedule('k');
    const at = track(clock, [first, second, third]);
    await settle([a!], 3);
    controller.abort(new Error('gave up'));
    await clock.advanceAsync(200);
    expect(at).toEqual([9_000, 'Error', 9_200]);
    await expect(second).rejects.toThrow('gave up');
    expect(a!.stats()).toMatchObject({ released: 2, aborted: 1, waiting: 0 });
  });

  it('the key carries a TTL: it vanishes when the backlog has drained', async () => {
    const prefix = uniquePrefix('shaper-ttl');
    const shaper = new RedisLeakyBucketShaper(spec, { redis: standalone, prefix });
    await shaper.schedule('k', { cost: 2 });
    const ttl = await standalone.pttl(`${prefix}{k}`);
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(200);
  });
});
