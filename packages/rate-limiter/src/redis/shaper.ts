import { leakyBucket } from '../algorithms/specs.js';
import { channels, type QueueFullEvent, type StoreErrorEvent } from '../channels.js';
import {
  QueueFullError,
  type ScheduleOptions,
  ShaperClosedError,
  scheduleArgs,
  type TimerClock,
} from '../memory/shaper.js';
import type { LeakyBucketSpec } from '../types.js';
import { integer, nonEmptyString, options as objectOption, show } from '../validate.js';
import type { RedisClient } from './runner.js';
import { ScriptRunner } from './runner.js';

// One script per outflow rate ($1: ms per unit, 1000 / leakPerSecond, written as a literal that
// Lua reads back as the same double). The state is the time (fractional ms, a packed double) at which the
// key's reserved outflow ends. ARGV: cost, maxQueue, [now]. A request reserves the next `cost`
// units of outflow: its slot starts at max(now, end). Units waiting ahead of it are the backlog
// beyond the unit in its slot, in whole units: ceil((end - now) / perUnit) - 1 (exact when every
// cost is 1). Reply: { 1, delayMs, waiting } when reserved, { 0, 0, waiting } when the queue is
// full. The TTL is the time until the backlog has drained.
const SHAPER = `
local cost = tonumber(ARGV[1])
local maxQueue = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local pad = 3600000
if now == nil then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
  pad = 0
end
local per = $1
local s = redis.call('GET', KEYS[1])
local ends = now
if s then ends = math.max(now, (struct.unpack('<d', s))) end
local waiting = 0
if ends > now then waiting = math.ceil((ends - now) / per) - 1 end
if ends > now and waiting + cost > maxQueue then return { 0, 0, waiting } end
local after = ends + cost * per
redis.call('SET', KEYS[1], struct.pack('<d', after), 'PX', math.ceil(after - now) + pad)
return { 1, math.ceil(ends - now), waiting }
`;

const runners = new Map<string, ScriptRunner>();

interface ScriptClient {
  evalsha(sha: string, numKeys: 1, ...args: (string | number)[]): Promise<unknown>;
  eval(source: string, numKeys: 1, ...args: (string | number)[]): Promise<unknown>;
}

/** Options of {@link RedisLeakyBucketShaper}. */
export interface RedisLeakyBucketShaperOptions {
  /** An ioredis client, `Redis` or `Cluster`. The shaper never closes it. */
  redis: RedisClient;
  /** Name in errors and events. Default `'default'`. */
  name?: string;
  /**
   * Key prefix; a key's outflow is `<prefix>{<key>}`. Default
   * `'bulwark:rate-limiter:shaper:<name>:'`.
   */
  prefix?: string;
  /** Most units waiting per key (across every instance); integer >= 1, default `capacity`. */
  maxQueue?: number;
  /**
   * When Redis fails: `'fail-open'` (default) releases the request at once, `'fail-closed'`
   * rejects it with the store's error.
   */
  onStoreError?: 'fail-open' | 'fail-closed';
  /** Timers for the waits (a `FakeClock` in tests). Default the global timers. */
  clock?: Pick<TimerClock, 'setTimeout' | 'clearTimeout'>;
  /** For tests only: time (integer ms) sent to the script instead of Redis' `TIME`. */
  now?: () => number;
}

/** A snapshot of a {@link RedisLeakyBucketShaper}'s counters (this instance's requests only). */
export interface RedisLeakyBucketShaperStats {
  /** Requests of this instance waiting for their slot. */
  waiting: number;
  /** Requests released. */
  released: number;
  /** Requests rejected with `QueueFullError`. */
  rejected: number;
  /** Requests rejected by their abort signal or by `close()`. */
  aborted: number;
  /** Redis calls that failed. */
  storeErrors: number;
}

const globalTimers: Pick<TimerClock, 'setTimeout' | 'clearTimeout'> = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The leaky bucket as a queue, shared through Redis: every instance using the same prefix feeds
 * one steady outflow of `leakPerSecond` units per second per key. `schedule` makes one round
 * trip that reserves the request's slot (the next `cost` units of the key's outflow, by the
 * server's clock) and then waits locally until the slot begins.
 *
 * Unlike the memory shaper, a reservation is final: an aborted request rejects at once, but its
 * slot stays in the outflow (the requests behind it do not move up), and the queue bound counts
 * the backlog of reserved units (see the README).
 */
export class RedisLeakyBucketShaper implements Disposable {
  /** The spec this shaper runs. */
  readonly spec: LeakyBucketSpec;
  /** The name in errors and events. */
  readonly name: string;
  /** The key prefix in use. */
  readonly prefix: string;

  readonly #redis: ScriptClient;
  readonly #runner: ScriptRunner;
  readonly #maxQueue: number;
  readonly #failClosed: boolean;
  readonly #timers: Pick<TimerClock, 'setTimeout' | 'clearTimeout'>;
  readonly #now: (() => number) | undefined;
  #waiting = 0;
  #released = 0;
  #rejected = 0;
  #aborted = 0;
  #storeErrors = 0;
  /** Bumped by `close()`; a reservation in flight across a close is rejected with its reason. */
  #closes = 0;
  #closeReason: unknown;
  /** Requests of this instance waiting for their slot: their timers and how to reject them. */
  readonly #sleepers = new Set<{ timer: unknown; fail: (reason: unknown) => void }>();

  /** @throws TypeError / RangeError naming a bad option. */
  constructor(spec: LeakyBucketSpec, opts: RedisLeakyBucketShaperOptions) {
    if (spec?.kind !== 'leaky-bucket')
      throw new TypeError(`spec must be a leakyBucket(...) spec, got ${show(spec?.kind ?? spec)}`);
    const o = objectOption<RedisLeakyBucketShaperOptions>('options', opts);
    const redis = o.redis as Partial<RedisClient> | undefined;
    if (!redis || typeof redis.evalsha !== 'function' || typeof redis.eval !== 'function')
      throw new TypeError(`redis must be an ioredis client, got ${show(o.redis)}`);
    this.#redis = o.redis as unknown as ScriptClient;
    this.spec = leakyBucket(spec); // validates a spec built by hand, as the memory shaper does
    this.name = nonEmptyString('name', o.name ?? 'default');
    const prefix = o.prefix ?? `bulwark:rate-limiter:shaper:${this.name}:`;
    if (typeof prefix !== 'string')
      throw new TypeError(`prefix must be a string, got ${show(prefix)}`);
    this.prefix = prefix;
    this.#maxQueue = integer('maxQueue', o.maxQueue ?? spec.capacity, 1);
    const mode = o.onStoreError ?? 'fail-open';
    if (mode !== 'fail-open' && mode !== 'fail-closed')
      throw new TypeError(`onStoreError must be 'fail-open' or 'fail-closed', got ${show(mode)}`);
    this.#failClosed = mode === 'fail-closed';
    const clock = o.clock ?? globalTimers;
    if (
      typeof clock !== 'object' ||
      clock === null ||
      typeof clock.setTimeout !== 'function' ||
      typeof clock.clearTimeout !== 'function'
    )
      throw new TypeError(
        `clock must be an object with setTimeout() and clearTimeout(), got ${show(clock)}`,
      );
    this.#timers = clock;
    if (o.now !== undefined && typeof o.now !== 'function')
      throw new TypeError(`now must be a function, got ${show(o.now)}`);
    this.#now = o.now;
    const source = SHAPER.replace('$1', String(1000 / spec.leakPerSecond));
    let runner = runners.get(source);
    if (runner === undefined) {
      runner = new ScriptRunner(source);
      runners.set(source, runner);
    }
    this.#runner = runner;
  }

  /**
   * Reserves `key`'s next outflow slot (one round trip) and waits for it.
   * @returns A promise resolving when the slot begins; rejecting with `QueueFullError` when
   *   `maxQueue` units already wait, with `signal.reason` on abort, (fail-closed only) with
   *   the store's error, and with `ShaperClosedError` once `close()` was called (no round trip).
   * @throws TypeError / RangeError (synchronously) for a bad key, cost or signal.
   */
  schedule(key: string, opts: ScheduleOptions = {}): Promise<void> {
    const { signal, cost } = scheduleArgs(key, opts, this.#maxQueue);
    if (this.#closes > 0) return Promise.reject(new ShaperClosedError(this.name));
    if (signal?.aborted) {
      this.#aborted++;
      return Promise.reject(signal.reason);
    }
    return this.#reserve(key, cost, signal);
  }

  /** Counters of this instance. */
  stats(): RedisLeakyBucketShaperStats {
    return {
      waiting: this.#waiting,
      released: this.#released,
      rejected: this.#rejected,
      aborted: this.#aborted,
      storeErrors: this.#storeErrors,
    };
  }

  /**
   * Rejects every request of this instance waiting for its slot (or for its round trip) with
   * `reason` (default a `ShaperClosedError`) and clears their timers. Their reservations stay in
   * Redis (a reservation is final). From then on `schedule` rejects with `ShaperClosedError`;
   * the client is not closed.
   */
  close(reason: unknown = new ShaperClosedError(this.name)): void {
    this.#closes++;
    this.#closeReason = reason;
    for (const sleeper of this.#sleepers) {
      this.#timers.clearTimeout(sleeper.timer);
      sleeper.fail(reason);
    }
    this.#sleepers.clear();
  }

  /** `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  async #reserve(key: string, cost: number, signal: AbortSignal | undefined): Promise<void> {
    const closes = this.#closes;
    let reply: [number, number, number];
    try {
      reply = (await this.#call(key, cost)) as [number, number, number];
    } catch (error) {
      this.#storeErrors++;
      if (channels.storeError.hasSubscribers) {
        const event: StoreErrorEvent = {
          limiter: this.name,
          key,
          error,
          answeredBy: this.#failClosed ? 'fail-closed' : 'fail-open',
        };
        channels.storeError.publish(event);
      }
      if (this.#failClosed) throw error;
      this.#released++;
      return;
    }
    if (this.#closes !== closes) {
      this.#aborted++;
      throw this.#closeReason;
    }
    const [reserved, delay, waiting] = reply;
    if (reserved !== 1) {
      this.#rejected++;
      if (channels.queueFull.hasSubscribers) {
        const event: QueueFullEvent = { shaper: this.name, key, cost, queued: waiting };
        channels.queueFull.publish(event);
      }
      throw new QueueFullError(key, cost, waiting, this.#maxQueue);
    }
    if (signal?.aborted) {
      this.#aborted++;
      throw signal.reason;
    }
    if (delay > 0) await this.#wait(delay, signal);
    this.#released++;
  }

  async #call(key: string, cost: number): Promise<unknown> {
    const redisKey = `${this.prefix}{${key}}`;
    const runner = this.#runner;
    const args: (string | number)[] =
      this.#now === undefined
        ? [redisKey, cost, this.#maxQueue]
        : [redisKey, cost, this.#maxQueue, Math.floor(this.#now())];
    try {
      return await this.#redis.evalsha(runner.sha, 1, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      runner.reloads++;
      return await this.#redis.eval(runner.source, 1, ...args);
    }
  }

  #wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    this.#waiting++;
    return new Promise<void>((resolve, reject) => {
      const sleeper = {
        timer: undefined as unknown,
        fail: (reason: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          this.#waiting--;
          this.#aborted++;
          reject(reason);
        },
      };
      const onAbort = () => {
        this.#timers.clearTimeout(sleeper.timer);
        this.#sleepers.delete(sleeper);
        sleeper.fail(signal!.reason);
      };
      sleeper.timer = this.#timers.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        this.#sleepers.delete(sleeper);
        this.#waiting--;
        resolve();
      }, ms);
      this.#sleepers.add(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
