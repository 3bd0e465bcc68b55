import {
  checkClock,
  checkInteger,
  checkKnownKeys,
  checkObject,
  checkOnStoreError,
  checkString,
  type OnStoreError,
  QueueFullError,
  RedisScript,
  resolveStoreError,
  type ScriptClient,
  slotKey,
  systemClock,
  type TimerClock,
  typeError,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import { leakyBucket } from '../algorithms/specs.js';
import { channels, type QueueFullEvent, type StoreErrorEvent } from '../channels.js';
import { ShaperClosedError } from '../errors.js';
import { type ScheduleOptions, scheduleArgs } from '../memory/shaper.js';
import type { LeakyBucketSpec } from '../types.js';
import type { RedisClient } from './options.js';

// One script per outflow rate ($1: ms per unit, 1000 / leakPerSecond, written as a literal that
// Lua reads back as the same double). The state is the time (fractional ms, a packed double) at which the
// key's reserved outflow ends. ARGV: cost, maxWaiting, [now]. A request reserves the next `cost`
// units of outflow: its slot starts at max(now, end). Units waiting ahead of it are the backlog
// beyond the unit in its slot, in whole units: ceil((end - now) / perUnit) - 1 (exact when every
// cost is 1). Reply: { 1, delayMs, waiting } when reserved, { 0, 0, waiting } when the queue is
// full. The TTL is the time until the backlog has drained.
const SHAPER = `
local cost = tonumber(ARGV[1])
local maxWaiting = tonumber(ARGV[2])
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
if ends > now and waiting + cost > maxWaiting then return { 0, 0, waiting } end
local after = ends + cost * per
redis.call('SET', KEYS[1], struct.pack('<d', after), 'PX', math.ceil(after - now) + pad)
return { 1, math.ceil(ends - now), waiting }
`;

// Shapers with the same outflow rate share one script (and its reload count).
const scripts = new Map<string, RedisScript>();

const OPTIONS: ReadonlySet<string> = new Set([
  'redis',
  'name',
  'prefix',
  'maxWaiting',
  'onStoreError',
  'clock',
]);

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
  /** Most units allowed to wait per key (across every instance); integer >= 1, default `capacity`. */
  maxWaiting?: number;
  /**
   * When Redis fails: `'fail-open'` (default) releases the request at once, `'fail-closed'`
   * rejects it with the store's error; a function `(error, key)` answers one of the two (if it
   * throws, `'fail-open'`).
   */
  onStoreError?: OnStoreError<'fail-open' | 'fail-closed', [key: string]>;
  /**
   * For tests only (a `FakeClock`): timers for the waits, and time (floored to whole ms) sent to the
   * script instead of Redis' `TIME`. Default: the global timers and Redis' `TIME`.
   */
  clock?: TimerClock;
}

/** A snapshot of a {@link RedisLeakyBucketShaper}'s counters (this instance's requests only). */
export interface RedisLeakyBucketShaperStats {
  /** The shaper's name. */
  name: string;
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
export class RedisLeakyBucketShaper implements Disposable, AsyncDisposable {
  /** The spec this shaper runs. */
  readonly spec: LeakyBucketSpec;
  /** The name in errors and events. */
  readonly name: string;
  /** The key prefix in use. */
  readonly prefix: string;

  readonly #redis: ScriptClient;
  readonly #script: RedisScript;
  readonly #maxWaiting: number;
  readonly #onStoreError: OnStoreError<'fail-open' | 'fail-closed', [key: string]>;
  readonly #timers: TimerClock;
  /** The test clock whose time goes to the script; undefined: Redis' own `TIME`. */
  readonly #now: TimerClock | undefined;
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
      typeError('spec', 'a leakyBucket(...) spec', spec?.kind ?? spec);
    const o = checkObject<RedisLeakyBucketShaperOptions>('options', opts);
    checkKnownKeys(o, OPTIONS, 'new RedisLeakyBucketShaper(spec, options)', VOCABULARY_RENAMES);
    const redis = o.redis as Partial<RedisClient> | undefined;
    if (!redis || typeof redis.evalsha !== 'function' || typeof redis.eval !== 'function')
      typeError('redis', 'an ioredis client', o.redis);
    this.#redis = o.redis as unknown as ScriptClient;
    this.spec = leakyBucket(spec); // validates a spec built by hand, as the memory shaper does
    this.name = checkString('name', o.name ?? 'default');
    this.prefix = checkString(
      'prefix',
      o.prefix ?? `bulwark:rate-limiter:shaper:${this.name}:`,
      true,
    );
    this.#maxWaiting = checkInteger('maxWaiting', o.maxWaiting ?? spec.capacity, 1);
    this.#onStoreError = checkOnStoreError('onStoreError', o.onStoreError, 'fail-open');
    this.#now = o.clock === undefined ? undefined : checkClock<TimerClock>('clock', o.clock, true);
    this.#timers = this.#now ?? systemClock;
    const source = SHAPER.replace('$1', String(1000 / spec.leakPerSecond));
    let script = scripts.get(source);
    if (script === undefined) {
      script = new RedisScript(source);
      scripts.set(source, script);
    }
    this.#script = script;
  }

  /**
   * Reserves `key`'s next outflow slot (one round trip) and waits for it.
   * @returns A promise resolving when the slot begins; rejecting with `QueueFullError` when
   *   `maxWaiting` units already wait, with `signal.reason` on abort, (fail-closed only) with
   *   the store's error, and with `ShaperClosedError` once `close()` was called (no round trip).
   * @throws TypeError / RangeError (synchronously) for a bad key, cost or signal.
   */
  schedule(key: string, opts: ScheduleOptions = {}): Promise<void> {
    const { signal, cost } = scheduleArgs(key, opts, this.#maxWaiting);
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
      name: this.name,
      waiting: this.#waiting,
      released: this.#released,
      rejected: this.#rejected,
      aborted: this.#aborted,
      storeErrors: this.#storeErrors,
    };
  }

  /**
   * Rejects every request of this instance waiting for its slot (or for its round trip) with
   * `reason` (default a `ShaperClosedError`, code `BULWARK_RATE_LIMITER_CLOSED`) and clears their
   * timers. Their reservations stay in Redis (a reservation is final). From then on `schedule`
   * rejects with `ShaperClosedError`; the client is not closed.
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

  /** `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  async #reserve(key: string, cost: number, signal: AbortSignal | undefined): Promise<void> {
    const closes = this.#closes;
    let reply: [number, number, number];
    try {
      reply = (await this.#call(key, cost)) as [number, number, number];
    } catch (error) {
      this.#storeErrors++;
      const mode = this.#onStoreError;
      const answer = resolveStoreError(mode, error, [key], 'fail-open', 'fail-closed', 'fail-open');
      if (channels.storeError.hasSubscribers) {
        const event: StoreErrorEvent = {
          name: this.name,
          key,
          error,
          answeredBy: typeof mode === 'function' ? 'function' : answer,
        };
        channels.storeError.publish(event);
      }
      if (answer === 'fail-closed') throw error;
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
        const event: QueueFullEvent = { name: this.name, key, cost, waiting };
        channels.queueFull.publish(event);
      }
      throw new QueueFullError(this.#maxWaiting, `queue of key ${JSON.stringify(key)}`);
    }
    if (signal?.aborted) {
      this.#aborted++;
      throw signal.reason;
    }
    if (delay > 0) await this.#wait(delay, signal);
    this.#released++;
  }

  // One script call (EVALSHA, EVAL again on NOSCRIPT): ARGV = cost, maxWaiting[, now].
  #call(key: string, cost: number): Promise<unknown> {
    const keys = [slotKey(this.prefix, key)];
    const now = this.#now;
    const args =
      now === undefined
        ? [cost, this.#maxWaiting]
        : [cost, this.#maxWaiting, Math.floor(now.now())];
    return this.#script.run(this.#redis, keys, args);
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
