import { algorithmFor } from '../algorithms/index.js';
import { policyOf, validateSpec } from '../algorithms/specs.js';
import { channels, type StoreErrorEvent } from '../channels.js';
import type { AlgorithmSpec, Decision, RateLimiter, RateLimitPolicy } from '../types.js';
import { badCost, badKey, show } from '../validate.js';
import { LeaseBook } from './lease.js';
import type { RedisRateLimiterOptions, RedisRateLimiterStats, StoreErrorMode } from './options.js';
import type { RedisClient, ScriptRunner } from './runner.js';
import { scriptFor } from './scripts.js';

/**
 * `bulwark:rate-limiter:store-error`, the same channel as `channels.storeError` of the main
 * entry: a {@link StoreErrorEvent} whenever a Redis call fails.
 */
export const storeErrorChannel = channels.storeError;

// Reply of every script: allowed (0/1), remaining, resetMs, retryAfterMs and, in lease mode, the
// units taken. All integers (Lua numbers in replies are truncated to integers, so the scripts
// round first).
type Reply = [number, number, number, number] | [number, number, number, number, number];

// The two commands used.
interface ScriptClient {
  evalsha(sha: string, numKeys: 1, ...args: (string | number)[]): Promise<unknown>;
  eval(source: string, numKeys: 1, ...args: (string | number)[]): Promise<unknown>;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

const FAIL_CLOSED_RETRY_MS = 1000;

/**
 * A {@link RateLimiter} whose state lives in Redis, shared by every process using the same
 * prefix: one Lua script per algorithm, one round trip (`EVALSHA`) per decision, time from the
 * Redis server's `TIME`, every key with a TTL so idle keys vanish. Its decisions are the memory
 * limiter's for the same calls at the same times (the scripts mirror the algorithm files
 * operation for operation).
 *
 * Every method that talks to Redis answers with a promise; `consume` and `peek` never reject
 * because of Redis (see `onStoreError` and `insurance`); `reset` does reject if Redis fails.
 */
export class RedisRateLimiter implements RateLimiter {
  /** What the limiter enforces, for headers. */
  readonly policy: RateLimitPolicy;
  /** The algorithm and its parameters. */
  readonly spec: AlgorithmSpec;
  /** The key prefix in use. */
  readonly prefix: string;

  readonly #redis: RedisClient;
  readonly #client: ScriptClient;
  readonly #runner: ScriptRunner;
  readonly #limit: number;
  readonly #onStoreError: StoreErrorMode;
  readonly #insurance: RateLimiter | undefined;
  readonly #now: (() => number) | undefined;
  readonly #lease: LeaseBook | undefined;
  #roundTrips = 0;
  #storeErrors = 0;
  #insuranceDecisions = 0;
  #fallbackDecisions = 0;
  #healthy = true;

  /** Throws a TypeError or RangeError naming the option when an option is invalid. */
  constructor(spec: AlgorithmSpec, options: RedisRateLimiterOptions) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`options must be an object, got ${show(options)}`);
    const redis = options.redis as Partial<RedisClient> | undefined;
    if (!redis || typeof redis.evalsha !== 'function' || typeof redis.eval !== 'function')
      throw new TypeError(`redis must be an ioredis client, got ${show(options.redis)}`);
    this.#redis = options.redis;
    this.#client = options.redis as unknown as ScriptClient;
    spec = validateSpec(spec);
    this.spec = spec;
    const name = options.name ?? 'default';
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError(`name must be a non-empty string, got ${show(name)}`);
    const prefix = options.prefix ?? `bulwark:rate-limiter:${name}:`;
    if (typeof prefix !== 'string')
      throw new TypeError(`prefix must be a string, got ${show(prefix)}`);
    this.prefix = prefix;
    this.policy = policyOf(spec, name);
    // The decisions' limit and the largest cost (GCRA: burst + 1; the policy says limit + burst).
    this.#limit = algorithmFor(spec).limitOf(spec);
    this.#runner = scriptFor(spec);
    const onStoreError = options.onStoreError ?? 'fail-open';
    if (
      onStoreError !== 'fail-open' &&
      onStoreError !== 'fail-closed' &&
      typeof onStoreError !== 'function'
    )
      throw new TypeError(
        `onStoreError must be 'fail-open', 'fail-closed' or a function, got ${show(onStoreError)}`,
      );
    this.#onStoreError = onStoreError;
    const insurance = options.insurance;
    if (
      insurance !== undefined &&
      (typeof insurance !== 'object' ||
        insurance === null ||
        typeof insurance.consume !== 'function')
    )
      throw new TypeError(`insurance must be a RateLimiter, got ${show(insurance)}`);
    this.#insurance = insurance;
    if (options.now !== undefined && typeof options.now !== 'function')
      throw new TypeError(`now must be a function, got ${show(options.now)}`);
    this.#now = options.now;
    if (options.lease !== undefined) {
      if (typeof options.lease !== 'object' || options.lease === null)
        throw new TypeError(`lease must be an object ({ batch }), got ${show(options.lease)}`);
      const { batch, maxAgeMs = 1000 } = options.lease;
      if (typeof batch !== 'number')
        throw new TypeError(`lease.batch must be a number, got ${show(batch)}`);
      if (!Number.isInteger(batch) || batch < 2)
        throw new RangeError(`lease.batch must be an integer >= 2, got ${batch}`);
      if (batch > this.#limit)
        throw new RangeError(`lease.batch must be <= ${this.#limit} (the limit), got ${batch}`);
      if (typeof maxAgeMs !== 'number')
        throw new TypeError(`lease.maxAgeMs must be a number, got ${show(maxAgeMs)}`);
      if (!(maxAgeMs > 0) || !Number.isFinite(maxAgeMs))
        throw new RangeError(`lease.maxAgeMs must be a finite number > 0, got ${maxAgeMs}`);
      this.#lease = new LeaseBook(
        {
          limit: this.#limit,
          decideRaw: (key, cost, want) => this.#decideRaw(key, cost, want),
          toDecision: (reply, key, cost) => this.#answer(reply, key, cost),
        },
        batch,
        maxAgeMs,
        this.#now ?? Date.now,
      );
    }
  }

  /** The largest `cost` accepted: the `limit` every decision reports (as `MemoryRateLimiter.limit`). */
  get limit(): number {
    return this.#limit;
  }

  /**
   * Takes `cost` units (default 1) for `key` when available, in one round trip; answers either
   * way. In lease mode most calls are answered from this instance's local allowance instead.
   * Throws (synchronously) on an empty key or a cost that is not an integer in [1, limit].
   */
  consume(key: string, cost = 1): Promise<Decision> {
    this.#checkKey(key);
    if (cost !== 1) this.#checkCost(cost);
    if (this.#lease !== undefined) return this.#lease.consume(key, cost);
    return this.#decide(key, cost);
  }

  /**
   * The decision a `consume(key, 1)` would get now, without taking anything. In lease mode, this
   * instance's unspent allowance is added to `remaining` (and makes `allowed` true).
   */
  peek(key: string): Promise<Decision> {
    this.#checkKey(key);
    const decision = this.#decide(key, 0);
    return this.#lease === undefined ? decision : this.#lease.peek(key, decision);
  }

  /** Deletes the key's state in Redis (and this instance's lease). Rejects if Redis fails. */
  async reset(key: string): Promise<void> {
    this.#checkKey(key);
    this.#lease?.drop(key);
    await this.#redis.del(`${this.prefix}{${key}}`);
  }

  /** Counters since construction. */
  stats(): RedisRateLimiterStats {
    return {
      roundTrips: this.#roundTrips,
      storeErrors: this.#storeErrors,
      insuranceDecisions: this.#insuranceDecisions,
      fallbackDecisions: this.#fallbackDecisions,
      healthy: this.#healthy,
      localDecisions: this.#lease?.localDecisions ?? 0,
      leasedKeys: this.#lease?.size ?? 0,
    };
  }

  /**
   * One script call for the lease book: `want` > `cost` asks for a lease (up to `want` units, at
   * least `cost`). Never rejects: a failure goes to the insurance limiter or onStoreError, whose
   * decision is returned instead of a reply.
   */
  async #decideRaw(key: string, cost: number, want: number): Promise<Reply | Decision> {
    const redisKey = `${this.prefix}{${key}}`;
    this.#roundTrips++;
    try {
      let reply: Reply;
      try {
        reply = (await this.#send(true, redisKey, cost, want)) as Reply;
      } catch (error) {
        if (!isNoScript(error)) throw error;
        this.#runner.reloads++;
        reply = (await this.#send(false, redisKey, cost, want)) as Reply;
      }
      this.#healthy = true;
      return reply;
    } catch (error) {
      return this.#storeFailed(error, key, cost);
    }
  }

  // The whole non-lease path: one EVALSHA, one decision object (NOSCRIPT and errors off-path).
  // `cost` 0 is a peek.
  async #decide(key: string, cost: number): Promise<Decision> {
    const redisKey = `${this.prefix}{${key}}`;
    this.#roundTrips++;
    let reply: Reply;
    try {
      reply = (await this.#send(true, redisKey, cost, cost)) as Reply;
    } catch (error) {
      return this.#recover(error, redisKey, key, cost);
    }
    this.#healthy = true;
    return this.#answer(reply, key, cost);
  }

  // Every script reply becomes a decision here, so every refusal (plain, after a NOSCRIPT
  // reload, or of a lease request) is published on the `limited` channel. `cost` 0 is a peek.
  #answer(reply: Reply, key: string, cost: number): Decision {
    const decision = this.#toDecision(reply);
    if (reply[0] === 0 && cost !== 0 && channels.limited.hasSubscribers)
      channels.limited.publish({ limiter: this.policy.name, key, cost, decision });
    return decision;
  }

  async #recover(error: unknown, redisKey: string, key: string, cost: number): Promise<Decision> {
    if (isNoScript(error)) {
      this.#runner.reloads++;
      try {
        const reply = (await this.#send(false, redisKey, cost, cost)) as Reply;
        this.#healthy = true;
        return this.#answer(reply, key, cost);
      } catch (again) {
        error = again;
      }
    }
    return this.#storeFailed(error, key, cost);
  }

  // EVALSHA (or EVAL) with ARGV = cost[, want[, now]]: `want` only when it differs from the cost
  // (lease mode), the time only in test mode. A plain consume sends the key and its cost.
  #send(bySha: boolean, redisKey: string, cost: number, want: number): Promise<unknown> {
    const client = this.#client;
    const runner = this.#runner;
    const clock = this.#now;
    if (clock === undefined) {
      if (want === cost)
        return bySha
          ? client.evalsha(runner.sha, 1, redisKey, cost)
          : client.eval(runner.source, 1, redisKey, cost);
      return bySha
        ? client.evalsha(runner.sha, 1, redisKey, cost, want)
        : client.eval(runner.source, 1, redisKey, cost, want);
    }
    const now = Math.floor(clock());
    return bySha
      ? client.evalsha(runner.sha, 1, redisKey, cost, want, now)
      : client.eval(runner.source, 1, redisKey, cost, want, now);
  }

  #toDecision(reply: Reply): Decision {
    return {
      allowed: reply[0] === 1,
      limit: this.#limit,
      remaining: reply[1],
      resetMs: reply[2],
      retryAfterMs: reply[3],
    };
  }

  async #storeFailed(error: unknown, key: string, cost: number): Promise<Decision> {
    this.#healthy = false;
    this.#storeErrors++;
    const insurance = this.#insurance;
    if (insurance !== undefined) {
      try {
        const decision = await (cost === 0 ? insurance.peek(key) : insurance.consume(key, cost));
        this.#insuranceDecisions++;
        publish(this, key, error, 'insurance');
        return decision;
      } catch {
        // The insurance failed too: onStoreError decides.
      }
    }
    this.#fallbackDecisions++;
    const mode = this.#onStoreError;
    if (typeof mode === 'function') {
      try {
        const decision = mode(error, key);
        publish(this, key, error, 'function');
        return decision;
      } catch {
        // A throwing handler counts as fail-open.
      }
    }
    if (mode === 'fail-closed') {
      publish(this, key, error, 'fail-closed');
      return {
        allowed: false,
        limit: this.#limit,
        remaining: 0,
        resetMs: FAIL_CLOSED_RETRY_MS,
        retryAfterMs: FAIL_CLOSED_RETRY_MS,
      };
    }
    publish(this, key, error, 'fail-open');
    return {
      allowed: true,
      limit: this.#limit,
      remaining: this.#limit - cost,
      resetMs: 0,
      retryAfterMs: 0,
    };
  }

  #checkKey(key: string): void {
    if (typeof key !== 'string' || key.length === 0) badKey(key);
  }

  #checkCost(cost: number): void {
    if (!Number.isSafeInteger(cost) || cost < 1 || cost > this.#limit) badCost(cost, this.#limit);
  }
}

function publish(
  limiter: RedisRateLimiter,
  key: string,
  error: unknown,
  answeredBy: StoreErrorEvent['answeredBy'],
): void {
  if (channels.storeError.hasSubscribers) {
    const event: StoreErrorEvent = { limiter: limiter.policy.name, key, error, answeredBy };
    channels.storeError.publish(event);
  }
}

export type { Reply };
