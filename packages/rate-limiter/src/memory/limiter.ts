/**
 * The in-memory store: one small state object per key, in a `Map`, stepped by the algorithm's
 * step function. Synchronous; a call allocates only the returned decision (and a state object
 * the first time a key is admitted).
 */

import {
  type Clock,
  checkClock,
  checkInteger,
  checkKnownKeys,
  checkObject,
  checkString,
  describeValue,
  systemClock,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import { type Algorithm, algorithmFor } from '../algorithms/index.js';
import { policyOf, validateSpec } from '../algorithms/specs.js';
import { channels, type EvictEvent, type LimitedEvent } from '../channels.js';
import type {
  AlgorithmSpec,
  Decision,
  RateLimiter,
  RateLimiterStats,
  RateLimitPolicy,
} from '../types.js';
import { badCost, badKey } from '../validate.js';

/** Options of {@link MemoryRateLimiter}. All are optional. */
export interface MemoryRateLimiterOptions {
  /**
   * Source of time in ms, floored to whole ms. Default the kernel's `systemClock`: monotonic ms on
   * the Unix epoch, so fixed windows line up with those of a Redis limiter (Redis `TIME`).
   */
  clock?: Clock;
  /** Most keys held at once. Integer >= 1, default 100 000. See the class for what happens past it. */
  maxKeys?: number;
  /** The policy name, in `policy`, headers and events. Default `'default'`. */
  name?: string;
}

/** A snapshot from {@link MemoryRateLimiter.stats}: the fields every limiter reports. */
export type MemoryRateLimiterStats = RateLimiterStats;

const OPTIONS: ReadonlySet<string> = new Set(['clock', 'maxKeys', 'name']);

/**
 * A rate limiter in process memory, for any algorithm spec. Decisions are synchronous.
 *
 * Memory: a key is stored only once one of its requests is admitted, and is dropped again as
 * soon as it is idle (its state has returned to a full quota, so forgetting it changes no
 * decision): every 64 `consume` calls the limiter checks the next 8 keys in turn and drops the
 * idle ones, and `prune()` drops all of them at once. When a new key arrives with `maxKeys` keys
 * held, the limiter first drops every idle key (a full scan, at most once per `maxKeys / 8` new
 * keys), and if that frees nothing it evicts the oldest key (by first admission). An evicted key
 * forgets its usage, so its next request is judged as a fresh key's; `stats().evicted` counts these
 * and `bulwark:rate-limiter:evict` reports each one. Size `maxKeys` above your active key count.
 */
export class MemoryRateLimiter implements RateLimiter, AsyncDisposable {
  /** The quota this limiter advertises (see `policyOf`). */
  readonly policy: RateLimitPolicy;
  /** The algorithm spec this limiter runs. */
  readonly spec: AlgorithmSpec;

  readonly #algo: Algorithm<AlgorithmSpec, unknown>;
  readonly #limit: number;
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #states = new Map<string, unknown>();
  readonly #fresh: unknown;
  #scratch: unknown;
  #allowed = 0;
  #rejected = 0;
  #droppedIdle = 0;
  #evicted = 0;
  #tick = 0;
  #cursor: Iterator<[string, unknown]> | undefined;
  #newSinceScan: number;

  /**
   * @param spec An algorithm spec from `tokenBucket`, `leakyBucket`, `fixedWindow`,
   *   `slidingWindowLog`, `slidingWindowCounter` or `gcra`.
   * @throws TypeError / RangeError naming a bad option.
   */
  constructor(spec: AlgorithmSpec, opts: MemoryRateLimiterOptions = {}) {
    spec = validateSpec(spec);
    const o = checkObject<MemoryRateLimiterOptions>('options', opts);
    checkKnownKeys(o, OPTIONS, 'new MemoryRateLimiter(spec, options)', VOCABULARY_RENAMES);
    const name = checkString('name', o.name ?? 'default');
    this.policy = policyOf(spec, name);
    this.spec = spec;
    this.#algo = algorithmFor(spec);
    this.#limit = this.#algo.limitOf(spec);
    this.#clock = o.clock === undefined ? systemClock : checkClock<Clock>('clock', o.clock);
    this.#maxKeys = checkInteger('maxKeys', o.maxKeys ?? 100_000, 1);
    this.#fresh = this.#algo.fresh(spec);
    this.#scratch = this.#algo.fresh(spec);
    this.#newSinceScan = this.#maxKeys;
  }

  /** The largest `cost` accepted: the `limit` every decision reports. */
  get limit(): number {
    return this.#limit;
  }

  /** Keys held now. */
  get size(): number {
    return this.#states.size;
  }

  /**
   * Takes `cost` units for `key` if available, and answers either way.
   * @throws TypeError for a key that is not a non-empty string; RangeError for a cost that is not
   *   an integer in `[1, limit]` (a cost above the limit could never be admitted).
   */
  consume(key: string, cost = 1): Decision {
    if (typeof key !== 'string' || key.length === 0) badKey(key);
    if (cost !== 1 && !(Number.isInteger(cost) && cost >= 1 && cost <= this.#limit))
      badCost(cost, this.#limit);
    const now = Math.floor(this.#clock.now());
    const state = this.#states.get(key);
    let decision: Decision;
    if (state === undefined) {
      const scratch = this.#scratch;
      this.#algo.copy(this.#fresh, scratch);
      decision = this.#algo.step(this.spec, scratch, now, cost, true);
      if (decision.allowed) {
        this.#insert(key, scratch);
        this.#scratch = this.#algo.fresh(this.spec);
      }
    } else {
      decision = this.#algo.step(this.spec, state, now, cost, true);
    }
    if (decision.allowed) this.#allowed++;
    else {
      this.#rejected++;
      if (channels.limited.hasSubscribers) {
        const event: LimitedEvent = { name: this.policy.name, key, cost, decision };
        channels.limited.publish(event);
      }
    }
    if ((++this.#tick & 63) === 0) this.#sweepSome(now, 8);
    return decision;
  }

  /** The decision `consume(key, 1)` would get now, without taking anything. */
  peek(key: string): Decision {
    if (typeof key !== 'string' || key.length === 0) badKey(key);
    const now = Math.floor(this.#clock.now());
    let state = this.#states.get(key);
    if (state === undefined) {
      state = this.#scratch;
      this.#algo.copy(this.#fresh, state);
    }
    return this.#algo.step(this.spec, state, now, 1, false);
  }

  /** Forgets everything about `key`: its next request is judged as a fresh key's. */
  reset(key: string): void {
    if (typeof key !== 'string' || key.length === 0) badKey(key);
    this.#states.delete(key);
  }

  /** Forgets every key. */
  clear(): void {
    this.#states.clear();
    this.#cursor = undefined;
  }

  /** Drops every idle key now (see the class comment) and returns how many were dropped. */
  prune(): number {
    const now = Math.floor(this.#clock.now());
    let dropped = 0;
    for (const [key, state] of this.#states) {
      if (this.#algo.isIdle(this.spec, state, now)) {
        this.#states.delete(key);
        dropped++;
      }
    }
    this.#droppedIdle += dropped;
    return dropped;
  }

  /** A snapshot of counters and size. */
  stats(): MemoryRateLimiterStats {
    return {
      name: this.policy.name,
      allowed: this.#allowed,
      rejected: this.#rejected,
      keys: this.#states.size,
      droppedIdle: this.#droppedIdle,
      evicted: this.#evicted,
    };
  }

  /** The `maxKeys` option: most keys held at once. */
  get maxKeys(): number {
    return this.#maxKeys;
  }

  /**
   * Shuts the limiter down: forgets every key. It holds no timer or connection, so nothing else is
   * left to release; a later call starts from fresh keys.
   */
  close(): void {
    this.clear();
  }

  /** `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  #insert(key: string, state: unknown): void {
    const states = this.#states;
    if (states.size >= this.#maxKeys) {
      if (this.#newSinceScan >= this.#maxKeys >>> 3) {
        this.#newSinceScan = 0;
        this.prune();
      }
      this.#newSinceScan++;
      while (states.size >= this.#maxKeys) {
        const oldest = states.keys().next().value as string;
        states.delete(oldest);
        this.#evicted++;
        if (channels.evict.hasSubscribers) {
          const event: EvictEvent = { name: this.policy.name, key: oldest };
          channels.evict.publish(event);
        }
      }
    }
    states.set(key, state);
  }

  // Checks the next `count` keys in Map order, dropping idle ones, so memory follows the
  // active key set without a timer. The cursor restarts from the oldest key after a full pass.
  #sweepSome(now: number, count: number): void {
    for (let i = 0; i < count; i++) {
      if (this.#cursor === undefined) this.#cursor = this.#states.entries();
      const next = this.#cursor.next();
      if (next.done) {
        this.#cursor = undefined;
        return;
      }
      const [key, state] = next.value;
      if (this.#algo.isIdle(this.spec, state, now)) {
        this.#states.delete(key);
        this.#droppedIdle++;
      }
    }
  }

  /** For `console.log`. */
  toString(): string {
    return `MemoryRateLimiter(${this.spec.kind}, ${describeValue(this.policy.name)})`;
  }
}
