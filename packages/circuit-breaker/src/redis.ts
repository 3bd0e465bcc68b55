// @bulwark/circuit-breaker/redis: one circuit state shared by every instance of a service.
import {
  checkClock,
  checkMs,
  checkOnStoreError,
  checkString,
  type OnStoreError,
  type RedisScript,
  resolveStoreError,
  slotKey,
  systemClock,
  type TimerClock,
  typeError,
} from '@bulwark/kernel';
import type { Cluster, Redis } from 'ioredis';
import { channels } from './channels.js';
import { CircuitBreaker, type CircuitBreakerStats } from './circuit-breaker.js';
import { StoreTimeoutError } from './errors.js';
import {
  BREAKER_OPTION_KEYS,
  type CircuitBreakerOptions,
  type CircuitState,
  type StateChange,
} from './options.js';
import { CLOSE, ISOLATE, READ, RESTORE, TRIP } from './redis-scripts.js';

/** What to do when Redis fails: keep deciding locally, or reject calls until Redis answers. */
export type StoreErrorDecision = 'fail-open' | 'fail-closed';

/** A clock that can also schedule (FakeClock has this shape): the kernel's `TimerClock`. */
export type SchedulingClock = TimerClock;

/** Options of {@link RedisCircuitBreaker}: those of `CircuitBreaker` plus the store's. */
export interface RedisCircuitBreakerOptions extends CircuitBreakerOptions {
  /** An ioredis client: `Redis` (standalone) or `Cluster`. The breaker never closes it. */
  redis: Redis | Cluster;
  /** Key prefix; the key is `<prefix>{<name>}`. Default `'bulwark:circuit-breaker:'`. */
  prefix?: string;
  /** How often to read the shared state, in ms; 0 to sync only by hand (`sync()`). Default 1000. */
  syncIntervalMs?: number;
  /**
   * A store call that has not answered after this many ms counts as a store error; 0 sets no
   * bound (a call queued by a disconnected client may then wait indefinitely). Default 1000.
   */
  storeTimeoutMs?: number;
  /**
   * When a store call fails or times out. `'fail-open'` (default): keep deciding on the local
   * state, so calls flow as this instance's own breaker allows. `'fail-closed'`: isolate this
   * instance (reject every call, reason `store-error`) when an outage starts, until the store
   * answers again (a manual `reset()` meanwhile is honoured). A function decides per error (one
   * that throws means `'fail-open'`). Store errors never reject a caller's call and never go
   * unhandled.
   */
  onStoreError?: OnStoreError<StoreErrorDecision>;
  /**
   * Source of time and timers (`now`, `setTimeout`, `clearTimeout`). Default the kernel's
   * `systemClock` (monotonic time, global timers).
   */
  clock?: SchedulingClock;
}

/** `stats()` of a shared breaker: the local stats plus the store's health, flat. */
export interface RedisCircuitBreakerStats extends CircuitBreakerStats {
  /** False after a store call failed, until one succeeds. */
  healthy: boolean;
  /** Store calls that failed or timed out since construction. */
  storeErrors: number;
  /** Version of the shared record last seen (bumped by every write). */
  version: number;
}

const REDIS_OPTION_KEYS: ReadonlySet<string> = new Set([
  ...BREAKER_OPTION_KEYS,
  'redis',
  'prefix',
  'syncIntervalMs',
  'storeTimeoutMs',
  'onStoreError',
]);

type Reply = [state: CircuitState | 'none', remainingMs: number, opens: number, ver: number];

// How long a record outlives its open time: long enough to carry `opens` across reopens.
const KEEP_MS = 24 * 60 * 60 * 1000;

/**
 * A {@link CircuitBreaker} whose open/closed state is shared on Redis by every instance with the
 * same `name` (and prefix). Each instance still decides every call locally, with no Redis round
 * trip on the call path: it counts its own window, and publishes its transitions (one script call
 * each); it reads the shared record every `syncIntervalMs` and adopts what other instances
 * decided. So when one instance trips, the others stop calling within one sync interval, for the
 * same remaining open time (computed from Redis' clock).
 *
 * Half-open probing is per instance: after the shared open time, each instance lets its own
 * `halfOpenMaxCalls` probes through; the first whose probes all succeed closes the shared circuit
 * (unless someone reopened it meanwhile), and the rest adopt that at their next sync. A failed
 * probe reopens the shared circuit, with the open time growing on the shared count of opens.
 */
export class RedisCircuitBreaker extends CircuitBreaker {
  /** The option names the constructor accepts: those of `CircuitBreaker` plus the store's. */
  protected static override readonly optionKeys: ReadonlySet<string> = REDIS_OPTION_KEYS;

  readonly #redis: Redis | Cluster;
  readonly #key: string;
  readonly #syncIntervalMs: number;
  readonly #storeTimeoutMs: number;
  readonly #onStoreError: OnStoreError<StoreErrorDecision>;
  readonly #timers: SchedulingClock;
  // The TRIP script's open-time arguments; undefined when `openMs` is a function, whose value
  // each instance computes itself (so jitter differs per instance) and sends as a fixed time.
  readonly #openOptions: [openMs: number, multiplier: number, maxOpenMs: number] | undefined;

  #version = 0;
  // Bumped whenever this instance publishes a transition: a read issued before that is stale.
  #publishSeq = 0;
  #healthy = true;
  #errors = 0;
  // A transition failed to reach the store; the next answer must not overwrite it blindly.
  #unpublished = false;
  #isolatedByStore = false;
  #syncTimer: unknown;
  #closed = false;
  readonly #inFlight = new Set<Promise<unknown>>();

  /**
   * Throws a TypeError or RangeError naming the option when an option is invalid, and a
   * TypeError naming an unknown option key.
   */
  constructor(options: RedisCircuitBreakerOptions) {
    super(options);
    const redis = options.redis as Partial<Redis> | undefined;
    if (
      typeof redis !== 'object' ||
      redis === null ||
      typeof redis.evalsha !== 'function' ||
      typeof redis.eval !== 'function'
    )
      typeError('redis', 'an ioredis client (with eval and evalsha)', redis);
    this.#redis = options.redis;
    this.#key = slotKey(
      checkString('prefix', options.prefix ?? 'bulwark:circuit-breaker:', true),
      this.name,
    );
    this.#syncIntervalMs = checkMs('syncIntervalMs', options.syncIntervalMs ?? 1000);
    this.#storeTimeoutMs = checkMs('storeTimeoutMs', options.storeTimeoutMs ?? 1000);
    this.#onStoreError = checkOnStoreError('onStoreError', options.onStoreError, 'fail-open');
    this.#timers =
      options.clock === undefined ? systemClock : checkClock('clock', options.clock, true);
    const openMs = options.openMs ?? 30_000;
    this.#openOptions =
      typeof openMs === 'function'
        ? undefined
        : [openMs, options.openMsMultiplier ?? 1, options.maxOpenMs ?? Math.max(openMs, 300_000)];
    if (this.#syncIntervalMs > 0) this.#scheduleSync();
  }

  /**
   * Read the shared record now and adopt it (the periodic sync does this every
   * `syncIntervalMs`). Never rejects: a store failure goes through `onStoreError`.
   */
  async sync(): Promise<void> {
    const seq = this.#publishSeq;
    let reply: Reply;
    try {
      reply = await this.#call(READ, []);
    } catch (error) {
      this.#storeFailed(error);
      return;
    }
    if (seq !== this.#publishSeq) return; // a transition went out meanwhile; its answer rules
    this.#reconcile(reply);
  }

  /**
   * Resolves once every store call in flight (published transitions, syncs, and the calls their
   * answers lead to) has finished. Never rejects. Handy before shutdown and in tests.
   */
  async flush(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * Shut down: stop syncing, then wait for the store calls in flight (`flush()`). The breaker
   * keeps deciding calls locally; the Redis client is left open. Never rejects.
   */
  override async close(): Promise<void> {
    this.#closed = true;
    if (this.#syncTimer !== undefined) this.#timers.clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    await this.flush();
  }

  /** Local stats plus the store's health. */
  override stats(): RedisCircuitBreakerStats {
    const stats = super.stats() as RedisCircuitBreakerStats;
    stats.healthy = this.#healthy;
    stats.storeErrors = this.#errors;
    stats.version = this.#version;
    return stats;
  }

  /** Publishes this instance's own transitions; adopted ones are not sent back. */
  protected override stateChanged(change: StateChange): void {
    const { reason, to, from } = change;
    if (reason === 'remote' || reason === 'store-error' || reason === 'open-elapsed') return;
    // disabled and metrics-only are this instance's own business: never shared. Leaving them for
    // closed rejoins the shared state as it stands instead of closing it for everyone.
    if (to === 'disabled' || to === 'metrics-only') return;
    if ((from === 'disabled' || from === 'metrics-only') && to === 'closed') {
      this.sync();
      return;
    }
    const manual = reason === 'manual';
    if (to === 'open')
      this.#publish(TRIP, [...this.#tripArgs(change.openMs), manual ? 1 : 0, KEEP_MS]);
    else if (to === 'closed') this.#publish(CLOSE, [this.#version, manual ? 1 : 0, KEEP_MS]);
    else if (to === 'isolated') this.#publish(ISOLATE, [KEEP_MS]);
  }

  // openMs, multiplier, maxOpenMs for TRIP: the options, or this instance's own open time.
  #tripArgs(openMs: number | undefined): [number, number, number] {
    if (this.#openOptions !== undefined) return this.#openOptions;
    const ms = openMs ?? 0;
    return [ms, 1, ms];
  }

  #publish(script: RedisScript, args: (string | number)[]): void {
    const seq = ++this.#publishSeq;
    this.#call(script, args).then(
      (reply) => {
        this.#unpublished = false;
        // A later transition's answer supersedes this one.
        if (seq === this.#publishSeq) this.#reconcile(reply);
        else this.#storeAnswered(reply);
      },
      (error: unknown) => {
        this.#unpublished = true;
        this.#storeFailed(error);
      },
    );
  }

  // Make the local state agree with the shared record.
  #reconcile(reply: Reply): void {
    this.#storeAnswered(reply);
    const [remote, remainingMs, opens] = reply;
    const local = this.state;
    if (remote === 'none') {
      // No record: Redis lost it (restart) or nobody wrote yet. An open or isolation known here is
      // written back; closed is what no record means anyway.
      if (local === 'open' || local === 'isolated') {
        const { remainingMs: localRemaining, consecutiveOpens } = this.openSnapshot();
        const ms = local === 'open' ? localRemaining : 0;
        this.#publish(RESTORE, [local, ms, consecutiveOpens, KEEP_MS]);
      }
      return;
    }
    if (this.#unpublished && local === 'open' && remote === 'closed') {
      // Our trip never reached the store: send it again rather than forget it.
      this.#unpublished = false;
      this.#publish(TRIP, [...this.#tripArgs(this.openSnapshot().remainingMs), 0, KEEP_MS]);
      return;
    }
    // The record is taken from here on (open already, or a state that supersedes our trip): an
    // unsent trip is moot, and must not later override another instance's close.
    this.#unpublished = false;
    if (remote === 'open') {
      // The shared open time is over and this instance is already probing: let the probes decide.
      if (local === 'half-open' && remainingMs === 0) return;
      this.adoptState('open', remainingMs, opens, 'remote');
    } else {
      // Same state: no transition, only the shared count of opens is taken.
      this.adoptState(remote, 0, opens, 'remote');
    }
  }

  #storeAnswered(reply: Reply): void {
    this.#version = reply[3];
    this.#healthy = true;
    if (this.#isolatedByStore) {
      this.#isolatedByStore = false;
      // Leave the store-error isolation for what the record says (or closed when there is none).
      if ((reply[0] === 'none' || reply[0] === 'closed') && this.state === 'isolated')
        this.adoptState('closed', 0, 0, 'remote');
    }
  }

  #storeFailed(error: unknown): void {
    // Isolation (fail-closed) happens once per outage, so a manual close() during it sticks.
    const outageStarts = this.#healthy;
    this.#healthy = false;
    this.#errors++;
    const decision = resolveStoreError<StoreErrorDecision, []>(
      this.#onStoreError,
      error,
      [],
      'fail-open',
      'fail-closed',
      'fail-open',
    );
    if (channels.storeError.hasSubscribers)
      channels.storeError.publish({ name: this.name, error, decision });
    if (decision === 'fail-closed' && outageStarts && this.state !== 'isolated') {
      this.#isolatedByStore = true;
      this.adoptState('isolated', 0, this.openSnapshot().consecutiveOpens, 'store-error');
    }
  }

  // One script call (EVALSHA, EVAL on NOSCRIPT), bounded by storeTimeoutMs.
  #call(script: RedisScript, args: (string | number)[]): Promise<Reply> {
    const run = script.run(this.#redis, [this.#key], args) as Promise<Reply>;
    const bounded = this.#storeTimeoutMs === 0 ? run : this.#bounded(run);
    // Tracked until its answer has been handled (handlers attach before this reaction runs).
    this.#inFlight.add(bounded);
    const forget = () => {
      this.#inFlight.delete(bounded);
    };
    bounded.then(forget, forget);
    return bounded;
  }

  #bounded(run: Promise<Reply>): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const timer = this.#timers.setTimeout(
        () => reject(new StoreTimeoutError(this.#storeTimeoutMs)),
        this.#storeTimeoutMs,
      );
      unref(timer);
      run.then(
        (reply) => {
          this.#timers.clearTimeout(timer);
          resolve(reply);
        },
        (error: unknown) => {
          this.#timers.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  #scheduleSync(): void {
    if (this.#closed) return;
    this.#syncTimer = this.#timers.setTimeout(() => {
      this.sync().finally(() => this.#scheduleSync());
    }, this.#syncIntervalMs);
    unref(this.#syncTimer);
  }
}

function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}

export type { CircuitBreakerOptions, CircuitState, StateChange } from './options.js';
