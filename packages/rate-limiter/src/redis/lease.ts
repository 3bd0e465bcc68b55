import type { Decision } from '../types.js';
import type { Reply } from './limiter.js';

/** What the lease book needs from the Redis limiter: its limit and its script call. */
export interface LeaseSource {
  readonly limit: number;
  decideRaw(key: string, cost: number, want: number): Promise<Reply | Decision>;
  /** The decision for a reply; a refusal is published on the `limited` channel. */
  toDecision(reply: Reply, key: string, cost: number): Decision;
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

  /** Forgets every key's allowance (queued callers still get their answers). */
  dropAll(): void {
    for (const lease of this.#leases.values()) lease.allowance = 0;
  }

  /** Forgets the key's allowance (its queued callers still get their answers). */
  drop(key: string): void {
    const lease = this.#leases.get(key);
    if (lease !== undefined) lease.allowance = 0;
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
    if (!Array.isArray(reply)) {
      decision = reply; // Redis failed: the insurance limiter or onStoreError answered
    } else if (reply[0] === 1) {
      if (lease.expiresAt <= now) lease.allowance = 0;
      // The fifth element (units taken) comes only when more than the cost was asked for.
      lease.allowance += (reply.length > 4 ? reply[4]! : cost) - cost;
      lease.expiresAt = now + this.#maxAgeMs;
      lease.redisRemaining = reply[1];
      lease.resetAt = now + reply[2];
      decision = this.#local(lease, now);
    } else {
      decision = this.#source.toDecision(reply, key, cost);
    }
    this.#settle(key, lease, now);
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
      this.#request(key, lease, waiter.cost).then(waiter.resolve);
    }
    if (lease.inFlight === 0 && queue.length === 0 && lease.allowance === 0)
      this.#leases.delete(key);
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

  // Drop records whose allowance has expired and that wait for nothing.
  #sweep(now: number): void {
    for (const [key, lease] of this.#leases) {
      if (lease.inFlight === 0 && lease.queue.length === 0 && lease.expiresAt <= now)
        this.#leases.delete(key);
    }
    this.#sweepAt = Math.max(1024, this.#leases.size * 2);
  }
}
