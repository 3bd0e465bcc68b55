import {
  type Clock,
  checkClock,
  checkInteger,
  checkKnownKeys,
  checkMs,
  checkObject,
  checkOnStoreError,
  checkString,
  type RedisScript,
  rangeError,
  resolveStoreError,
  runOnKey,
  type ScriptClient,
  slotKey,
  systemClock,
  typeError,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import { algorithmFor } from '../algorithms/index.js';
import { policyOf, validateSpec } from '../algorithms/specs.js';
import { channels, type StoreErrorEvent } from '../channels.js';
import type { AlgorithmSpec, Decision, RateLimiter, RateLimitPolicy } from '../types.js';
import { badCost, badKey } from '../validate.js';
import { LeaseBook } from './lease.js';
import type {
  LeaseOptions,
  RedisClient,
  RedisRateLimiterOptions,
  RedisRateLimiterStats,
  StoreErrorMode,
} from './options.js';
import { packedRemaining, packedResetMs } from './packed.js';
import { scriptFor } from './scripts.js';

/**
 * `bulwark:rate-limiter:store-error`, the same channel as `channels.storeError` of the main
 * entry: a {@link StoreErrorEvent} whenever a Redis call fails.
 */
export const storeErrorChannel = channels.storeError;

// Reply of every script: allowed (0/1), remaining, resetMs, retryAfterMs and, in lease mode, the
// units taken. All integers (Lua numbers in replies are truncated to integers, so the scripts
// round first). An admission outside lease mode whose fields fit is one packed integer instead
// (./packed.ts).
type Reply = number | [number, number, number, number] | [number, number, number, number, number];

const FAIL_CLOSED_RETRY_MS = 1000;

const OPTIONS: ReadonlySet<string> = new Set([
  'redis',
  'name',
  'prefix',
  'onStoreError',
  'insurance',
  'lease',
  'clock',
]);
const LEASE_OPTIONS: ReadonlySet<string> = new Set(['batch', 'maxAgeMs']);

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
export class RedisRateLimiter implements RateLimiter, AsyncDisposable {
  /** What the limiter enforces, for headers. */
  readonly policy: RateLimitPolicy;
  /** The algorithm and its parameters. */
  readonly spec: AlgorithmSpec;
  /** The key prefix in use. */
  readonly prefix: string;

  readonly #redis: RedisClient;
  readonly #client: ScriptClient;
  readonly #script: RedisScript;
  readonly #limit: number;
  readonly #onStoreError: StoreErrorMode;
  readonly #insurance: RateLimiter | undefined;
  readonly #clock: Clock | undefined;
  readonly #lease: LeaseBook | undefined;
  #allowed = 0;
  #rejected = 0;
  #roundTrips = 0;
  #storeErrors = 0;
  #insuranceDecisions = 0;
  #fallbackDecisions = 0;
  #localRefusals = 0;
  #healthy = true;

  /** Throws a TypeError or RangeError naming the option when an option is invalid. */
  constructor(spec: AlgorithmSpec, options: RedisRateLimiterOptions) {
    const o = checkObject<RedisRateLimiterOptions>('options', options);
    checkKnownKeys(o, OPTIONS, 'new RedisRateLimiter(spec, options)', VOCABULARY_RENAMES);
    const redis = o.redis as Partial<RedisClient> | undefined;
    if (!redis || typeof redis.evalsha !== 'function' || typeof redis.eval !== 'function')
      typeError('redis', 'an ioredis client', o.redis);
    this.#redis = o.redis;
    this.#client = o.redis as unknown as ScriptClient;
    spec = validateSpec(spec);
    this.spec = spec;
    const name = checkString('name', o.name ?? 'default');
    this.prefix = checkString('prefix', o.prefix ?? `bulwark:rate-limiter:${name}:`, true);
    this.policy = policyOf(spec, name);
    // The decisions' limit and the largest cost (GCRA: burst + 1; the policy says limit + burst).
    this.#limit = algorithmFor(spec).limitOf(spec);
    this.#script = scriptFor(spec);
    this.#onStoreError = checkOnStoreError<StoreErrorMode>(
      'onStoreError',
      o.onStoreError,
      'fail-open',
    );
    const insurance = o.insurance;
    if (
      insurance !== undefined &&
      (typeof insurance !== 'object' ||
        insurance === null ||
        typeof insurance.consume !== 'function')
    )
      typeError('insurance', 'a RateLimiter', insurance);
    this.#insurance = insurance;
    this.#clock = o.clock === undefined ? undefined : checkClock<Clock>('clock', o.clock);
    if (o.lease !== undefined) {
      const lease = checkObject<LeaseOptions>('lease', o.lease);
      checkKnownKeys(lease, LEASE_OPTIONS, 'lease options', VOCABULARY_RENAMES);
      const batch = checkInteger('lease.batch', lease.batch, 2);
      if (batch > this.#limit) rangeError('lease.batch', `<= ${this.#limit} (the limit)`, batch);
      const maxAgeMs = checkMs('lease.maxAgeMs', lease.maxAgeMs ?? 1000, true);
      const clock = this.#clock ?? systemClock;
      this.#lease = new LeaseBook(
        {
          limit: this.#limit,
          decideRaw: (key, cost, want) => this.#decideRaw(key, cost, want),
          toDecision: (reply, key, cost) => this.#answer(reply, key, cost),
          refusedLocally: (decision, key, cost) => this.#refusedLocally(decision, key, cost),
        },
        batch,
        maxAgeMs,
        () => clock.now(),
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
    await this.#redis.del(slotKey(this.prefix, key));
  }

  /** Counters since construction. */
  stats(): RedisRateLimiterStats {
    const local = this.#lease?.localDecisions ?? 0; // admitted from local allowance
    return {
      name: this.policy.name,
      allowed: this.#allowed + local,
      rejected: this.#rejected,
      keys: this.#lease?.size ?? 0,
      droppedIdle: 0,
      evicted: 0,
      roundTrips: this.#roundTrips,
      storeErrors: this.#storeErrors,
      insuranceDecisions: this.#insuranceDecisions,
      fallbackDecisions: this.#fallbackDecisions,
      healthy: this.#healthy,
      localDecisions: local + this.#localRefusals,
    };
  }

  /**
   * Shuts the limiter down: drops this instance's unspent lease allowances (they were counted in
   * Redis, so dropping them only admits less). It holds no timer, and the client is the caller's:
   * it is not closed. Calls made afterwards still work, each one a round trip.
   */
  close(): void {
    this.#lease?.dropAll();
  }

  /** `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /**
   * One script call for the lease book: `want` > `cost` asks for a lease (up to `want` units, at
   * least `cost`). Never rejects: a failure goes to the insurance limiter or onStoreError, whose
   * decision is returned instead of a reply.
   */
  async #decideRaw(key: string, cost: number, want: number): Promise<Reply | Decision> {
    this.#roundTrips++;
    let reply: Reply;
    try {
      reply = (await this.#send(key, cost, want)) as Reply;
    } catch (error) {
      return this.#storeFailed(error, key, cost);
    }
    this.#healthy = true;
    // A grant becomes the lease book's own decision; a refusal comes back through #answer.
    if (typeof reply === 'number' || reply[0] === 1) this.#allowed++;
    return reply;
  }

  // The whole non-lease path: one EVALSHA, one decision object (errors off-path). `cost` 0 is a
  // peek.
  async #decide(key: string, cost: number): Promise<Decision> {
    this.#roundTrips++;
    let reply: Reply;
    try {
      reply = (await this.#send(key, cost, cost)) as Reply;
    } catch (error) {
      return this.#storeFailed(error, key, cost);
    }
    this.#healthy = true;
    return this.#answer(reply, key, cost);
  }

  // Every script reply becomes a decision here, so every refusal (plain, after a NOSCRIPT
  // reload, or of a lease request) is counted and published on the `limited` channel. `cost` 0
  // is a peek, which counts nothing.
  #answer(reply: Reply, key: string, cost: number): Decision {
    const decision = this.#toDecision(reply);
    if (cost === 0) return decision;
    if (decision.allowed) this.#allowed++;
    else {
      this.#rejected++;
      if (channels.limited.hasSubscribers)
        channels.limited.publish({ name: this.policy.name, key, cost, decision });
    }
    return decision;
  }

  // A refusal the lease book's refusal cache answered: counted and published like Redis' own.
  #refusedLocally(decision: Decision, key: string, cost: number): void {
    this.#rejected++;
    this.#localRefusals++;
    if (channels.limited.hasSubscribers)
      channels.limited.publish({ name: this.policy.name, key, cost, decision });
  }

  // One script call with ARGV = cost[, want[, now]]: `want` only when it differs from the cost
  // (lease mode), the time only with the test-only clock. The kernel's one-key runner sends a
  // fixed argument list (no key or argument arrays, no per-call closure) and retries a NOSCRIPT
  // once with EVAL.

  #send(key: string, cost: number, want: number): Promise<unknown> {
    const redisKey = slotKey(this.prefix, key);
    const clock = this.#clock;
    if (clock !== undefined)
      return runOnKey(this.#script, this.#client, redisKey, cost, want, Math.floor(clock.now()));
    return runOnKey(this.#script, this.#client, redisKey, cost, want === cost ? undefined : want);
  }

  #toDecision(reply: Reply): Decision {
    if (typeof reply === 'number')
      return {
        allowed: true,
        limit: this.#limit,
        remaining: packedRemaining(reply),
        resetMs: packedResetMs(reply),
        retryAfterMs: 0,
      };
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
    const decision = await this.#fallback(error, key, cost);
    if (cost !== 0) {
      if (decision.allowed) this.#allowed++;
      else this.#rejected++;
    }
    return decision;
  }

  // The insurance limiter first; if there is none or it throws, onStoreError (a function that
  // throws counts as 'fail-open').
  async #fallback(error: unknown, key: string, cost: number): Promise<Decision> {
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
    const limit = this.#limit;
    const open: Decision = {
      allowed: true,
      limit,
      remaining: limit - cost,
      resetMs: 0,
      retryAfterMs: 0,
    };
    const closed: Decision = {
      allowed: false,
      limit,
      remaining: 0,
      resetMs: FAIL_CLOSED_RETRY_MS,
      retryAfterMs: FAIL_CLOSED_RETRY_MS,
    };
    const mode = this.#onStoreError;
    const decision = resolveStoreError(mode, error, [key], open, closed, open);
    publish(
      this,
      key,
      error,
      typeof mode !== 'function' ? mode : decision === open ? 'fail-open' : 'function',
    );
    return decision;
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
    const event: StoreErrorEvent = { name: limiter.policy.name, key, error, answeredBy };
    channels.storeError.publish(event);
  }
}

export type { Reply };
