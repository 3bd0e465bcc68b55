import type { Decision } from '../types.js';
import type { Reply } from './limiter.js';
import { packedRemaining, packedResetMs } from './packed.js';

/** What the lease book needs from the Redis limiter: its limit and its script call. */
export interface LeaseSource {
  readonly limit: number;
  decideRaw(key: string, cost: number, want: number): Promise<Reply | Decision>;
  /** The decision for a reply; a refusal is published on the `limited` channel. */
  toDecision(reply: Reply, key: string, cost: number): Decision;
  /** Counts and publishes a refusal answered from the refusal cache, without Redis. */
  refusedLocally(decision: Decision, key: string, cost: number): void;
}

interface Waiter {
  cost: number;
  resolve: (decision: Decision) => void;
}

// One key's local allowance on this instance.
interface KeyLease {
  // Units taken from Redis and not yet spent.
  allowance: number;
  // Local time after which the allowance is dropped.
  expiresAt: number;
  // What Redis had left after the last lease, and when (local time) its quota is full again.
  redisRemaining: number;
  resetAt: number;
  // Surplus units (want - cost) of the lease requests in flight: callers queue for these.
  expected: number;
  // The refusal cache: Redis answered "0 remaining, more in resetMs", so until `blockedUntil`
  // (local time) every call is refused here. `retryAt` is when the refused cost fits again.
  blockedUntil: number;
  retryAt: number;
  refusedCost: number;
  inFlight: number;
  queue: Waiter[];
  queuedDemand: number;
}

/**
 * Lease mode of the Redis limiter. A `consume` that finds enough local allowance for its key is
 * answered at once, with no Redis call. Otherwise, if lease requests already in flight for that
 * key are expected to bring enough surplus, it queues for them; if not, it sends its own request:
 * one script call that takes up to `max(batch, cost)` units (at least `cost`, else the caller is
 * rejected with Redis' decision). The units beyond the caller's cost become local allowance,
 * served in arrival order. So at most `batch` units per key sit unspent on one instance, which is
 * the bound on how far the global count can run ahead of the algorithm: instances x batch.
 *
 * Refusals are cached too: when Redis refuses a key and reports 0 units remaining with more
 * available only after `resetMs`, every call for that key on this instance is refused locally
 * until then, with no round trip. That is exact: other instances can only take units, never give
 * them back, so Redis would refuse those calls too (a `reset(key)` on another instance is the one
 * thing this instance does not see before the block ends).
 */
export class LeaseBook {
  localDecisions = 0;
  readonly #source: LeaseSource;
  readonly #batch: number;
  readonly #maxAgeMs: number;
  readonly #clock: () => number;
  readonly #leases = new Map<string, KeyLease>();
  #sweepAt = 1024;

  constructor(source: LeaseSource, batch: number, maxAgeMs: number, clock: () => number) {
    this.#source = source;
    this.#batch = batch;
    this.#maxAgeMs = maxAgeMs;
    this.#clock = clock;
  }

  /** Keys with a lease record right now. */
  get size(): number {
    return this.#leases.size;
  }

  consume(key: string, cost: number): Promise<Decision> {
    const now = this.#clock();
    let lease = this.#leases.get(key);
    if (lease !== undefined) {
      if (lease.expiresAt <= now) lease.allowance = 0;
      if (lease.queue.length === 0 && lease.allowance >= cost) {
        lease.allowance -= cost;
        this.localDecisions++;
        return Promise.resolve(this.#local(lease, now));
      }
      if (lease.blockedUntil > now) return Promise.resolve(this.#refuse(key, lease, cost, now));
      if (lease.expected - lease.queuedDemand >= cost) {
        const queued = lease;
        return new Promise((resolve) => {
          queued.queue.push({ cost, resolve });
          queued.queuedDemand += cost;
        });
      }
    } else {
      lease = {
        allowance: 0,
        expiresAt: 0,
        redisRemaining: 0,
        resetAt: 0,
        expected: 0,
        blockedUntil: 0,
        retryAt: 0,
        refusedCost: 0,
        inFlight: 0,
        queue: [],
        queuedDemand: 0,
      };
      this.#leases.set(key, lease);
      if (this.#leases.size >= this.#sweepAt) this.#sweep(now);
    }
    return this.#request(key, lease, cost);
  }

  /** Adds this instance's unspent allowance to a peek's decision. */
  async peek(key: string, decision: Promise<Decision>): Promise<Decision> {
    const answer = await decision;
    const lease = this.#leases.get(key);
    if (lease === undefined || lease.expiresAt <= this.#clock() || lease.allowance === 0)
      return answer;
    return {
      ...answer,
      allowed: true,
      remaining: answer.remaining + lease.allowance,
      retryAfterMs: 0,
    };
  }

  /** Forgets every key's allowance and cached refusal (queued callers still get their answers). */
  dropAll(): void {
    for (const lease of this.#leases.values()) {
      lease.allowance = 0;
      lease.blockedUntil = 0;
    }
  }

  /** Forgets the key's allowance and cached refusal (its queued callers still get answers). */
  drop(key: string): void {
    const lease = this.#leases.get(key);
    if (lease !== undefined) {
      lease.allowance = 0;
      lease.blockedUntil = 0;
    }
  }

  async #request(key: string, lease: KeyLease, cost: number): Promise<Decision> {
    const want = Math.max(this.#batch, cost);
    const surplus = want - cost;
    lease.expected += surplus;
    lease.inFlight++;
    const reply = await this.#source.decideRaw(key, cost, want);
    lease.inFlight--;
    lease.expected -= surplus;
    const now = this.#clock();
    let decision: Decision;
    if (typeof reply === 'number') {
      // A packed admission (want was not above the cost): it took just the cost.
      decision = this.#granted(lease, now, 0, packedRemaining(reply), packedResetMs(reply));
    } else if (!Array.isArray(reply)) {
      decision = reply; // Redis failed: the insurance limiter or onStoreError answered
    } else if (reply[0] === 1) {
      // The fifth element (units taken) comes only when more than the cost was asked for.
      const taken = reply.length > 4 ? reply[4]! : cost;
      decision = this.#granted(lease, now, taken - cost, reply[1], reply[2]);
    } else {
      decision = this.#source.toDecision(reply, key, cost);
      // Exhausted (0 remaining) until resetMs: cache the refusal for the key.
      if (reply[1] === 0 && reply[2] > 0) {
        lease.blockedUntil = now + reply[2];
        lease.retryAt = now + Math.max(reply[3], reply[2]);
        lease.refusedCost = cost;
      }
    }
    this.#settle(key, lease, now);
    return decision;
  }

  // A refusal from the cache: what Redis said, aged by the time since. A cost at least the one
  // Redis refused waits for that cost's retry time; a smaller one at least until the block ends.
  #refuse(key: string, lease: KeyLease, cost: number, now: number): Decision {
    const resetMs = Math.ceil(lease.blockedUntil - now);
    const decision: Decision = {
      allowed: false,
      limit: this.#source.limit,
      remaining: 0,
      resetMs,
      retryAfterMs: cost >= lease.refusedCost ? Math.ceil(lease.retryAt - now) : resetMs,
    };
    this.#source.refusedLocally(decision, key, cost);
    return decision;
  }

  // Serve queued callers from the allowance; send requests for those no longer covered.
  #settle(key: string, lease: KeyLease, now: number): void {
    const queue = lease.queue;
    while (queue.length > 0 && lease.allowance >= queue[0]!.cost) {
      const waiter = queue.shift()!;
      lease.allowance -= waiter.cost;
      lease.queuedDemand -= waiter.cost;
      this.localDecisions++;
      waiter.resolve(this.#local(lease, now));
    }
    while (queue.length > 0 && lease.queuedDemand > lease.expected) {
      const waiter = queue.shift()!;
      lease.queuedDemand -= waiter.cost;
      if (lease.blockedUntil > now) waiter.resolve(this.#refuse(key, lease, waiter.cost, now));
      else this.#request(key, lease, waiter.cost).then(waiter.resolve);
    }
    if (
      lease.inFlight === 0 &&
      queue.length === 0 &&
      lease.allowance === 0 &&
      lease.blockedUntil <= now
    )
      this.#leases.delete(key);
  }

  // Redis admitted a lease request: its surplus units become local allowance.
  #granted(
    lease: KeyLease,
    now: number,
    surplus: number,
    redisRemaining: number,
    resetMs: number,
  ): Decision {
    if (lease.expiresAt <= now) lease.allowance = 0;
    lease.allowance += surplus;
    lease.expiresAt = now + this.#maxAgeMs;
    lease.redisRemaining = redisRemaining;
    lease.resetAt = now + resetMs;
    return this.#local(lease, now);
  }

  #local(lease: KeyLease, now: number): Decision {
    return {
      allowed: true,
      limit: this.#source.limit,
      remaining: lease.allowance + lease.redisRemaining,
      resetMs: lease.resetAt > now ? Math.ceil(lease.resetAt - now) : 0,
      retryAfterMs: 0,
    };
  }

  // Drop records whose allowance and cached refusal have expired and that wait for nothing.
  #sweep(now: number): void {
    for (const [key, lease] of this.#leases) {
      if (
        lease.inFlight === 0 &&
        lease.queue.length === 0 &&
        lease.expiresAt <= now &&
        lease.blockedUntil <= now
      )
        this.#leases.delete(key);
    }
    this.#sweepAt = Math.max(1024, this.#leases.size * 2);
  }
}
