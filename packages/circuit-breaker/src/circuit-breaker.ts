import { callListener, NEVER_ABORTED } from '@bulwark/kernel';
import { channels } from './channels.js';
import { BrokenCircuitError } from './errors.js';
import {
  BREAKER_OPTION_KEYS,
  type CallEvent,
  type CircuitBreakerOptions,
  type CircuitState,
  type Clock,
  notAFunction,
  type RejectingState,
  type ResolvedOptions,
  resolveOptions,
  type StateChange,
  type TransitionReason,
} from './options.js';
import type { Closed, HalfOpen, Period, Settlers } from './period.js';
import { CountWindow, type OutcomeWindow, TimeWindow } from './window.js';

/** What `execute` hands to the function it runs. */
export interface CallContext {
  /** The caller's signal; honour it to stop work the caller no longer waits for. */
  readonly signal: AbortSignal;
}

/** Options of one `execute` call. */
export interface ExecuteOptions {
  /**
   * Handed to `fn`. Aborted before the call starts: `execute` rejects with its reason and records
   * nothing. Aborted while `fn` runs: the breaker does not cancel anything itself; `fn` should
   * reject, and that rejection is an outcome like any other (a failure by default: pass an
   * `isIgnored` that returns true for `AbortError` to leave caller cancellations out).
   */
  signal?: AbortSignal | undefined;
}

/** A snapshot from {@link CircuitBreaker.stats}: one flat object. */
export interface CircuitBreakerStats {
  /** The `name` of the breaker. */
  name: string;
  /** The current state (an open circuit whose time is up reads half-open). */
  state: CircuitState;
  /** Outcomes in the window now (it is emptied each time the circuit closes). */
  windowCalls: number;
  /** Of those, failures. */
  windowFailures: number;
  /** Of those, slow calls (failed or not). */
  windowSlowCalls: number;
  /** `windowFailures / windowCalls`, 0 when the window is empty. */
  failureRate: number;
  /** `windowSlowCalls / windowCalls`, 0 when the window is empty. */
  slowCallRate: number;
  /** Milliseconds until an open circuit turns half-open; 0 unless open, Infinity when isolated. */
  retryAfterMs: number;
  /** Opens since the circuit last closed; the open time grows with it. */
  consecutiveOpens: number;
  /** In half-open: probes let through so far. */
  probesAdmitted: number;
  /** In half-open: probes that succeeded so far. */
  probesSucceeded: number;
  /** In half-open: probes that failed so far (with `halfOpenEvaluation: 'failure-rate'`). */
  probesFailed: number;
  /** Since construction: calls that ran and succeeded. */
  successes: number;
  /** Since construction: calls that ran and failed. */
  failures: number;
  /** Since construction: calls that ran slow (failed or not). */
  slowCalls: number;
  /** Since construction: calls turned away without running (open, isolated, probes taken). */
  rejected: number;
  /** Since construction: calls that ran whose outcome `isIgnored` left out (in none of the above). */
  ignored: number;
}

// Handed to `fn` when the caller passes no signal: one shared context whose signal never aborts,
// because an AbortController per call would cost more than the whole breaker.
const UNCANCELLABLE: CallContext = Object.freeze({ signal: NEVER_ABORTED });

// What one outcome counts as.
const SUCCESS = 0;
const FAILURE = 1;
const IGNORED = 2;
type Verdict = typeof SUCCESS | typeof FAILURE | typeof IGNORED;

/** Run `fn` with no observation at all (the `disabled` state); a sync throw becomes a rejection. */
function runUnobserved<T>(
  fn: (context: CallContext) => T | PromiseLike<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  try {
    const result = fn(signal === undefined ? UNCANCELLABLE : { signal });
    return result instanceof Promise ? (result as Promise<T>) : Promise.resolve(result);
  } catch (error) {
    if (typeof fn !== 'function') return Promise.reject(notAFunction('fn', fn));
    return Promise.reject(error);
  }
}

/**
 * A circuit breaker. Closed, it runs calls and counts their outcomes in a sliding window; when the
 * window holds at least `minimumCalls` and the failure rate or the slow-call rate reaches its
 * threshold, it opens. Open, it rejects every call at once with {@link BrokenCircuitError} for the
 * open time (which may grow with each consecutive open), then turns half-open and lets exactly
 * `halfOpenMaxCalls` probes through: the first probe that fails or is slow reopens the circuit;
 * when all of them succeed, it closes (with `halfOpenMaxMs`, probes that take too long reopen it;
 * with `halfOpenEvaluation: 'failure-rate'`, the probes' rates decide once all have finished).
 * By hand it can be isolated (`isolate()`/`forceOpen()`), `disable()`d or set to `metricsOnly()`.
 *
 * The state is one object per state period (see period.ts): `execute` admits by its kind, and a
 * call's outcome is recorded against the period it was admitted in.
 *
 * An outcome counts only while the circuit is still in the very state period its call was
 * admitted in: a call started before the circuit opened that fails afterwards changes nothing.
 *
 * ```ts
 * const breaker = new CircuitBreaker({ window: { calls: 50 }, openMs: 10_000 });
 * const user = await breaker.execute(({ signal }) => fetchUser(id, { signal }));
 * ```
 */
export class CircuitBreaker {
  /** The `name` option: used in errors, events and Redis keys. */
  readonly name: string;
  readonly #options: ResolvedOptions;
  readonly #clock: Clock;
  readonly #window: OutcomeWindow;
  // Calls must be timed (slow-call detection); otherwise the closed path reads no clock at all.
  readonly #timesCalls: boolean;
  readonly #windowReadsClock: boolean;
  readonly #onCall: ResolvedOptions['onCall'];

  // The current state period (see period.ts). A call remembers the period it was admitted in;
  // its outcome is recorded only if that period is still the current one when it settles.
  #period: Period;
  // Opens since the circuit last closed: spans periods, so it lives beside them.
  #consecutiveOpens = 0;

  #successes = 0;
  #failures = 0;
  #slowCalls = 0;
  #rejected = 0;
  #ignored = 0;

  /**
   * The option names the constructor accepts; any other key is refused with a TypeError naming
   * the nearest valid one. Subclasses with options of their own (the `/redis` subpath) extend it.
   */
  protected static readonly optionKeys: ReadonlySet<string> = BREAKER_OPTION_KEYS;

  /**
   * Throws a TypeError or RangeError naming the option when an option is invalid, and a
   * TypeError naming an unknown option key.
   */
  constructor(options: CircuitBreakerOptions = {}) {
    const resolved = resolveOptions(
      options,
      (new.target as typeof CircuitBreaker).optionKeys,
      `new ${new.target.name}(options)`,
    );
    this.#options = resolved;
    this.name = resolved.name;
    this.#clock = resolved.clock;
    this.#window =
      resolved.windowCalls !== undefined
        ? new CountWindow(resolved.windowCalls)
        : new TimeWindow(resolved.windowMs!, resolved.windowBuckets);
    this.#windowReadsClock = resolved.windowMs !== undefined;
    this.#timesCalls = resolved.slowCallMs !== Number.POSITIVE_INFINITY;
    this.#onCall = resolved.onCall;
    this.#period = this.#closedPeriod();
  }

  /** The current state. Reading it turns an open circuit whose time is up half-open. */
  get state(): CircuitState {
    return this.#current().kind;
  }

  /**
   * Run `fn` through the breaker. Resolves or rejects exactly as `fn` does; rejects with
   * {@link BrokenCircuitError} without calling `fn` when the circuit does not admit the call, and
   * with `signal.reason` when the signal is already aborted, and with a TypeError (counting
   * nothing) when `fn` is not a function. `fn` may return a value or a promise; a synchronous
   * throw is a failure like a rejection.
   */
  execute<T>(
    fn: (context: CallContext) => T | PromiseLike<T>,
    options?: ExecuteOptions,
  ): Promise<T> {
    // No `?.` here: the CJS build lowers it to a helper call that allocates on every call.
    const signal = options === undefined ? undefined : options.signal;
    // biome-ignore lint/complexity/useOptionalChain: see above, this is the hot path
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    const period = this.#period;
    // Admission by state is #admit's; a closed circuit, the common case, is admitted here, so this
    // stays small enough to inline.
    if (period.kind !== 'closed') return this.#admit(fn, signal);
    if (this.#timesCalls || this.#onCall !== undefined || channels.call.hasSubscribers)
      return this.#run(fn, signal, period, false);
    // The hot path: no timing, no call events.
    // No clock read, no closure: the period's handlers record the outcome.
    const settlers = period.settlers;
    let result: T | PromiseLike<T>;
    try {
      result = fn(signal === undefined ? UNCANCELLABLE : { signal });
    } catch (error) {
      // Checked only here, so the hot path pays nothing for it: not a call, so not an outcome.
      if (typeof fn !== 'function') return Promise.reject(notAFunction('fn', fn));
      settlers.rejected(error);
      return Promise.reject(error);
    }
    // The caller gets fn's own promise, so the breaker adds no tick to its await; the outcome is
    // recorded by a reaction registered before the caller's.
    const promise = result instanceof Promise ? (result as Promise<T>) : Promise.resolve(result);
    promise.then(settlers.fulfilled, settlers.rejected);
    return promise;
  }

  /** Open the circuit now, for the open time (a consecutive open, so it may be longer). */
  open(): void {
    this.#transition('open', 'manual');
  }

  /**
   * Force the circuit back to closed now (let calls through): empty the window and reset the
   * open-time growth. Ends an isolation.
   */
  reset(): void {
    if (this.#period.kind !== 'closed') this.#transition('closed', 'manual');
  }

  /**
   * Shut the breaker down. The in-memory breaker holds no timers, so there is nothing to stop
   * and it keeps deciding calls; the `/redis` variant stops syncing and waits for its store calls
   * in flight. Always resolves.
   */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Hold the circuit open until `reset()` (or `open()`); calls are rejected with `retryAfterMs: Infinity`. */
  isolate(): void {
    if (this.#period.kind !== 'isolated') this.#transition('isolated', 'manual');
  }

  /**
   * resilience4j's name for {@link isolate}: hold the circuit open until `reset()` (state
   * `isolated`; the `/redis` variant shares it as it shares an isolation).
   */
  forceOpen(): void {
    this.isolate();
  }

  /**
   * Let every call through and count nothing (state `disabled`): no window, no counters, no call
   * events, no transitions, until `reset()` (or another manual action). The `/redis` variant keeps
   * this instance out of the shared state meanwhile, and rejoins it on `reset()`.
   */
  disable(): void {
    if (this.#period.kind !== 'disabled') this.#transition('disabled', 'manual');
  }

  /**
   * Let every call through, count and publish outcomes as when closed, but never open (state
   * `metrics-only`), until `reset()` (or another manual action): watch what the breaker would do
   * before letting it act. The window starts empty. The `/redis` variant keeps this instance out
   * of the shared state meanwhile, and rejoins it on `reset()`.
   */
  metricsOnly(): void {
    if (this.#period.kind !== 'metrics-only') this.#transition('metrics-only', 'manual');
  }

  /** A flat snapshot of the state, the window and the counts since construction. */
  stats(): CircuitBreakerStats {
    const period = this.#current();
    const state = period.kind;
    const probes = period.kind === 'half-open' ? period : undefined;
    const window = this.#window;
    if (this.#windowReadsClock) window.slideTo(this.#clock.now());
    const calls = window.calls;
    return {
      name: this.name,
      state,
      windowCalls: calls,
      windowFailures: window.failures,
      windowSlowCalls: window.slowCalls,
      failureRate: calls === 0 ? 0 : window.failures / calls,
      slowCallRate: calls === 0 ? 0 : window.slowCalls / calls,
      retryAfterMs: this.#retryAfterMs(),
      consecutiveOpens: this.#consecutiveOpens,
      probesAdmitted: probes === undefined ? 0 : probes.admitted,
      probesSucceeded: probes === undefined ? 0 : probes.succeeded,
      probesFailed: probes === undefined ? 0 : probes.failed,
      successes: this.#successes,
      failures: this.#failures,
      slowCalls: this.#slowCalls,
      rejected: this.#rejected,
      ignored: this.#ignored,
    };
  }

  /**
   * Called after every state change with the change. Subclasses that share state (the `/redis`
   * subpath) override it to publish local transitions; the default does nothing.
   */
  protected stateChanged(_change: StateChange): void {}

  /**
   * Move to `state` because another instance said so (shared state), without the rules that would
   * normally lead there. `openForMs` is the remaining open time when `state` is `'open'`;
   * `consecutiveOpens` replaces the local count. Publishes a state-change event with `reason`.
   */
  protected adoptState(
    state: CircuitState,
    openForMs: number,
    consecutiveOpens: number,
    reason: TransitionReason,
  ): void {
    // A state set here by hand to stay out of the circuit's logic ignores the others' decisions.
    const period = this.#period;
    if (period.kind === 'disabled' || period.kind === 'metrics-only') return;
    if (state === period.kind) {
      // Already there: no transition. An open only lines its end up with the other instances.
      if (period.kind === 'open') period.until = this.#clock.now() + openForMs;
      if (state !== 'closed') this.#consecutiveOpens = consecutiveOpens;
      return;
    }
    this.#transition(state, reason, openForMs, consecutiveOpens);
  }

  /** The remaining open time and the consecutive opens, for shared-state subclasses. */
  protected openSnapshot(): { remainingMs: number; consecutiveOpens: number } {
    return { remainingMs: this.#retryAfterMs(), consecutiveOpens: this.#consecutiveOpens };
  }

  // Admission, by the state the call finds (after the moves time makes by itself): run it
  // observed, run it unobserved, take a probe slot, or turn it away.
  #admit<T>(
    fn: (context: CallContext) => T | PromiseLike<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const period = this.#current();
    switch (period.kind) {
      case 'closed':
      case 'metrics-only':
        return this.#run(fn, signal, period, false);
      case 'disabled':
        return runUnobserved(fn, signal);
      case 'half-open':
        // Before admission: a call that is not one must neither take a probe slot nor be rejected.
        if (typeof fn !== 'function') return Promise.reject(notAFunction('fn', fn));
        if (period.admitted < this.#options.halfOpenMaxCalls) {
          period.admitted++;
          return this.#run(fn, signal, period, true);
        }
        return this.#reject(period.kind);
      default:
        if (typeof fn !== 'function') return Promise.reject(notAFunction('fn', fn));
        return this.#reject(period.kind);
    }
  }

  // Turn a call away: the circuit is open or isolated, or every probe slot is taken.
  #reject(state: RejectingState): Promise<never> {
    this.#rejected++;
    if (this.#onCall !== undefined || channels.call.hasSubscribers)
      this.#publishCall('rejected', 0, false, false, state);
    return Promise.reject(new BrokenCircuitError(state, this.#retryAfterMs(), this.name));
  }

  // Run an admitted call with its own handlers: probes, slow-call timing and call events need
  // per-call state.
  #run<T>(
    fn: (context: CallContext) => T | PromiseLike<T>,
    signal: AbortSignal | undefined,
    period: Period,
    probe: boolean,
  ): Promise<T> {
    const startedAt = this.#clock.now();
    let promise: Promise<T>;
    try {
      const result = fn(signal === undefined ? UNCANCELLABLE : { signal });
      promise = result instanceof Promise ? (result as Promise<T>) : Promise.resolve(result);
    } catch (error) {
      if (typeof fn !== 'function') return Promise.reject(notAFunction('fn', fn));
      this.#settle(period, probe, error, true, startedAt);
      return Promise.reject(error);
    }
    promise.then(
      (value) => this.#settle(period, probe, value, false, startedAt),
      (error) => this.#settle(period, probe, error, true, startedAt),
    );
    return promise;
  }

  // A new closed period, with the handlers its untimed calls share.
  #closedPeriod(): Closed {
    const period: Closed = { kind: 'closed', settlers: undefined as unknown as Settlers };
    period.settlers = {
      fulfilled: (value) => this.#settleUntimed(period, this.#verdict(value, false)),
      rejected: (error) => this.#settleUntimed(period, this.#verdict(error, true)),
    };
    return period;
  }

  // `#settle` for the hot path: a closed-state call with no timing and no call events.
  #settleUntimed(period: Closed, verdict: Verdict): void {
    if (verdict === IGNORED) {
      this.#ignored++;
      return;
    }
    const failed = verdict === FAILURE;
    if (failed) this.#failures++;
    else this.#successes++;
    if (period === this.#period)
      this.#recordClosed(failed, false, this.#windowReadsClock ? this.#clock.now() : 0);
  }

  // One admitted call finished, in `period` (a probe when `probe`), `startedAt` on the clock.
  #settle(
    period: Period,
    probe: boolean,
    outcome: unknown,
    threw: boolean,
    startedAt: number,
  ): void {
    const verdict = this.#verdict(outcome, threw);
    const now = this.#clock.now();
    const durationMs = now - startedAt;
    const slow = durationMs > this.#options.slowCallMs;
    const current = period === this.#period;
    const publishes = this.#onCall !== undefined || channels.call.hasSubscribers;
    if (verdict === IGNORED) {
      this.#ignored++;
      // A probe that tested nothing gives its slot back; the probes' time starts again for it.
      if (current && period.kind === 'half-open') {
        period.admitted--;
        period.since = now;
      }
      if (publishes) this.#publishCall('ignored', durationMs, slow, probe, period.kind);
      return;
    }
    const failed = verdict === FAILURE;
    if (failed) this.#failures++;
    else this.#successes++;
    if (slow) this.#slowCalls++;

    if (current) {
      if (period.kind === 'half-open') this.#recordProbe(period, failed, slow);
      else this.#recordClosed(failed, slow, now);
    }
    if (publishes)
      this.#publishCall(failed ? 'failure' : 'success', durationMs, slow, probe, period.kind);
  }

  #verdict(outcome: unknown, threw: boolean): Verdict {
    const isIgnored = this.#options.isIgnored;
    if (isIgnored !== undefined) {
      let ignored = false;
      try {
        ignored = isIgnored(outcome, threw) === true;
      } catch {
        // A predicate that throws ignores nothing: isFailure decides.
      }
      if (ignored) return IGNORED;
    }
    return this.#isFailure(outcome, threw) ? FAILURE : SUCCESS;
  }

  #isFailure(outcome: unknown, threw: boolean): boolean {
    const isFailure = this.#options.isFailure;
    if (isFailure === undefined) return threw;
    try {
      return isFailure(outcome, threw) === true;
    } catch {
      // A predicate that throws cannot vouch for the call.
      return true;
    }
  }

  #recordClosed(failed: boolean, slow: boolean, now: number): void {
    const window = this.#window;
    window.record(failed, slow, now);
    const calls = window.calls;
    if (calls < this.#options.minimumCalls || this.#period.kind === 'metrics-only') return;
    if (window.failures / calls >= this.#options.failureRateThreshold)
      this.#transition('open', 'failure-rate');
    else if (window.slowCalls / calls >= this.#options.slowCallRateThreshold)
      this.#transition('open', 'slow-call-rate');
  }

  #recordProbe(period: HalfOpen, failed: boolean, slow: boolean): void {
    const { halfOpenMaxCalls, halfOpenEvaluation } = this.#options;
    if (halfOpenEvaluation === 'all-succeed') {
      if (failed || slow) this.#transition('open', 'probe-failed');
      else if (++period.succeeded === halfOpenMaxCalls)
        this.#transition('closed', 'probes-succeeded');
      return;
    }
    // 'failure-rate': wait for every probe, then judge their rates against the thresholds.
    if (failed) period.failed++;
    else period.succeeded++;
    if (slow) period.slow++;
    const finished = period.failed + period.succeeded;
    if (finished < halfOpenMaxCalls) return;
    if (
      period.failed / finished >= this.#options.failureRateThreshold ||
      period.slow / finished >= this.#options.slowCallRateThreshold
    )
      this.#transition('open', 'probe-failed');
    else this.#transition('closed', 'probes-succeeded');
  }

  // The current period, after the moves time makes by itself: an open circuit whose time is up
  // turns half-open; a half-open one whose probe slots are all taken and whose probes have had
  // `halfOpenMaxMs` stops waiting on them and reopens.
  #current(): Period {
    const period = this.#period;
    if (period.kind === 'open') {
      if (this.#clock.now() >= period.until) this.#transition('half-open', 'open-elapsed');
    } else if (period.kind === 'half-open') {
      if (
        period.admitted === this.#options.halfOpenMaxCalls &&
        this.#clock.now() - period.since >= this.#options.halfOpenMaxMs
      )
        this.#transition('open', 'probe-timeout');
    }
    return this.#period;
  }

  #retryAfterMs(): number {
    const period = this.#period;
    if (period.kind === 'isolated') return Number.POSITIVE_INFINITY;
    if (period.kind !== 'open') return 0;
    return Math.max(0, period.until - this.#clock.now());
  }

  #openMsFor(consecutiveOpens: number): number {
    const { openMs, openMsFunction, openMsMultiplier, maxOpenMs } = this.#options;
    if (openMsFunction === undefined)
      return Math.min(openMs * openMsMultiplier ** (consecutiveOpens - 1), maxOpenMs);
    let ms: unknown;
    try {
      ms = openMsFunction(consecutiveOpens);
    } catch {
      // A function that cannot say how long opens for the longest allowed: the safe side.
    }
    return typeof ms === 'number' && ms >= 0 ? Math.min(ms, maxOpenMs) : maxOpenMs;
  }

  #transition(
    to: CircuitState,
    reason: TransitionReason,
    openForMs?: number,
    consecutiveOpens?: number,
  ): void {
    const from = this.#period.kind;
    let openMs: number | undefined;
    switch (to) {
      case 'open':
        this.#consecutiveOpens = consecutiveOpens ?? this.#consecutiveOpens + 1;
        openMs = openForMs ?? this.#openMsFor(this.#consecutiveOpens);
        this.#period = { kind: 'open', until: this.#clock.now() + openMs };
        break;
      case 'half-open':
        this.#period = {
          kind: 'half-open',
          since: this.#clock.now(),
          admitted: 0,
          succeeded: 0,
          failed: 0,
          slow: 0,
        };
        break;
      case 'isolated':
        if (consecutiveOpens !== undefined) this.#consecutiveOpens = consecutiveOpens;
        this.#period = { kind: 'isolated' };
        break;
      default:
        // closed, disabled, metrics-only: a fresh start, with an empty window and no growth.
        this.#consecutiveOpens = 0;
        this.#window.reset();
        this.#period = to === 'closed' ? this.#closedPeriod() : { kind: to };
    }

    const change: StateChange =
      openMs === undefined
        ? { name: this.name, from, to, reason }
        : { name: this.name, from, to, reason, openMs };
    // Listeners run after the change is complete; one that throws must not break the breaker.
    callListener(this.#options.onStateChange, change);
    if (channels.stateChange.hasSubscribers) channels.stateChange.publish(change);
    this.stateChanged(change);
  }

  #publishCall(
    outcome: CallEvent['outcome'],
    durationMs: number,
    slow: boolean,
    probe: boolean,
    state: CircuitState,
  ): void {
    const event: CallEvent = { name: this.name, outcome, durationMs, slow, probe, state };
    callListener(this.#options.onCall, event);
    if (channels.call.hasSubscribers) channels.call.publish(event);
  }
}
