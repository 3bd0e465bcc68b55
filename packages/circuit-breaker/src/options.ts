/**
 * `closed`: calls flow and their outcomes are counted. `open`: calls are rejected at once until
 * the open time is up. `half-open`: a fixed number of probe calls go through; their results close
 * or reopen the circuit. `isolated`: held open by hand (`isolate()`) until `close()`.
 */
export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

/** Why the state changed; carried by state-change events. */
export type TransitionReason =
  | 'failure-rate'
  | 'slow-call-rate'
  | 'open-elapsed'
  | 'probe-failed'
  | 'probes-succeeded'
  | 'probe-timeout'
  | 'manual'
  | 'remote'
  | 'store-error';

/** A source of time in milliseconds. Tests pass a fake clock; the default is `performance.now`. */
export interface Clock {
  /** The current time in milliseconds; only differences between readings matter. */
  now(): number;
}

/** The last `calls` calls count. */
export interface CountWindowOptions {
  /** How many of the latest calls the window holds (an integer from 1 to 1 000 000). */
  calls: number;
}

/** The calls that finished in the last `ms` milliseconds count, kept in `buckets` buckets. */
export interface TimeWindowOptions {
  /** How many milliseconds of finished calls the window holds (> 0). */
  ms: number;
  /**
   * How many buckets the window slides by (1 to 10 000); a call leaves the window with its bucket.
   * Default 10.
   */
  buckets?: number;
}

/** The argument of a state-change event. */
export interface StateChange {
  /** The `name` of the breaker. */
  breaker: string;
  /** The state before the change. */
  from: CircuitState;
  /** The state after the change. */
  to: CircuitState;
  /** Why the state changed. */
  reason: TransitionReason;
  /** For `to: 'open'`: how long this open lasts. */
  openMs?: number;
}

/** The argument of a call event: one per finished or rejected call. */
export interface CallEvent {
  /** The `name` of the breaker. */
  breaker: string;
  /**
   * `rejected`: the breaker refused the call; `fn` did not run. `ignored`: `isIgnored` said the
   * outcome tells nothing about the dependency (a caller's cancellation, say): it counts neither
   * as a success nor as a failure.
   */
  outcome: 'success' | 'failure' | 'ignored' | 'rejected';
  /** Wall time of the call on the breaker's clock (0 for rejected calls). */
  durationMs: number;
  /** Took longer than `slowCallMs`. */
  slow: boolean;
  /** Whether the call was a half-open probe. */
  probe: boolean;
  /** The state the call was admitted (or rejected) in. */
  state: CircuitState;
}

/** Options of {@link CircuitBreaker}. All are optional. */
export interface CircuitBreakerOptions {
  /** Name used in errors, events and Redis keys. Default `'default'`. */
  name?: string;
  /** `{ calls: N }` (last N calls, default `{ calls: 20 }`) or `{ ms: T, buckets: B }` (last T ms). */
  window?: CountWindowOptions | TimeWindowOptions;
  /** Calls the window must hold before any rate can open the circuit. Default 10. */
  minimumCalls?: number;
  /** Failure rate (0 < r ≤ 1) at or above which the circuit opens. Default 0.5. */
  failureRateThreshold?: number;
  /** A call taking longer than this many ms is slow. Default `Infinity` (no call is slow). */
  slowCallMs?: number;
  /** Slow-call rate (0 < r ≤ 1) at or above which the circuit opens. Default 1. */
  slowCallRateThreshold?: number;
  /** How long the circuit stays open the first time. Default 30 000. */
  openMs?: number;
  /** Each consecutive reopen (without a close between) multiplies the open time by this. Default 1. */
  openMsMultiplier?: number;
  /** The open time never grows past this. Default `max(openMs, 300 000)`. */
  maxOpenMs?: number;
  /** Probe calls admitted in half-open; all must succeed to close. Default 1. */
  halfOpenMaxCalls?: number;
  /**
   * How long the probes may take: a call that finds the circuit half-open this long after it
   * turned half-open, with every probe slot still taken, reopens it (reason `probe-timeout`)
   * instead of waiting on probes that may never settle. Default `Infinity` (wait for the probes).
   */
  halfOpenMaxMs?: number;
  /**
   * Whether an outcome counts as a failure. Called with the thrown error (`threw: true`) or the
   * returned value (`threw: false`). Default: every thrown error is a failure (a timeout error
   * or an abort included), every value a success. A predicate that throws counts the call as
   * a failure. Asked only when `isIgnored` does not ignore the outcome.
   */
  isFailure?: (outcome: unknown, threw: boolean) => boolean;
  /**
   * Whether an outcome tells nothing about the dependency, so it counts neither as a success nor
   * as a failure (resilience4j's `ignoreExceptions`): it stays out of the window and the rates,
   * and a half-open probe that ends ignored gives its slot back without closing or reopening the
   * circuit. Called with the thrown error (`threw: true`) or the returned value (`threw: false`)
   * before `isFailure`. Default: nothing is ignored. A predicate that throws ignores nothing.
   * To leave caller cancellations out:
   * `isIgnored: (e, threw) => threw && e instanceof Error && e.name === 'AbortError'`.
   */
  isIgnored?: (outcome: unknown, threw: boolean) => boolean;
  /**
   * Called on every state change, synchronously, after the change. When a call's outcome changes
   * the state, this runs before that call's `onCall` event.
   */
  onStateChange?: (change: StateChange) => void;
  /** Called on every finished or rejected call. Costs one object per call while set. */
  onCall?: (event: CallEvent) => void;
  /** Source of time in ms. Default `performance`. */
  clock?: Clock;
}

/** Options after defaults and validation. */
export interface ResolvedOptions {
  name: string;
  windowCalls: number | undefined;
  windowMs: number | undefined;
  windowBuckets: number;
  minimumCalls: number;
  failureRateThreshold: number;
  slowCallMs: number;
  slowCallRateThreshold: number;
  openMs: number;
  openMsMultiplier: number;
  maxOpenMs: number;
  halfOpenMaxCalls: number;
  halfOpenMaxMs: number;
  isFailure: ((outcome: unknown, threw: boolean) => boolean) | undefined;
  isIgnored: ((outcome: unknown, threw: boolean) => boolean) | undefined;
  onStateChange: ((change: StateChange) => void) | undefined;
  onCall: ((event: CallEvent) => void) | undefined;
  clock: Clock;
}

const performanceClock: Clock = { now: () => performance.now() };

/** The most calls a count window holds (one byte each). */
const MAX_WINDOW_CALLS = 1_000_000;
/** The most buckets a time window has (a full slide visits each). */
const MAX_WINDOW_BUCKETS = 10_000;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be a number, got ${show(value)}`);
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${show(value)}`);
  if (value > max) throw new RangeError(`${name} must be <= ${max}, got ${show(value)}`);
  return value;
}

function duration(name: string, value: unknown, allowInfinity: boolean): number {
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be a number, got ${show(value)}`);
  if (Number.isNaN(value) || value < 0 || (!allowInfinity && !Number.isFinite(value)))
    throw new RangeError(
      `${name} must be ${allowInfinity ? 'a number' : 'a finite number'} >= 0, got ${show(value)}`,
    );
  return value;
}

function rate(name: string, value: unknown): number {
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be a number, got ${show(value)}`);
  if (!(value > 0 && value <= 1))
    throw new RangeError(`${name} must be > 0 and <= 1, got ${show(value)}`);
  return value;
}

function callback<F>(name: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function')
    throw new TypeError(`${name} must be a function, got ${show(value)}`);
  return value as F;
}

/** The TypeError for an argument that should be a function: `fn must be a function, got 1`. */
export function notAFunction(name: string, value: unknown): TypeError {
  return new TypeError(`${name} must be a function, got ${show(value)}`);
}

/** Apply defaults and reject bad input with a TypeError/RangeError naming the option and value. */
export function resolveOptions(options: CircuitBreakerOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`options must be an object, got ${show(options)}`);
  const name = options.name ?? 'default';
  if (typeof name !== 'string' || name === '')
    throw new TypeError(`name must be a non-empty string, got ${show(name)}`);

  const window = options.window ?? { calls: 20 };
  if (typeof window !== 'object' || window === null)
    throw new TypeError(`window must be { calls } or { ms, buckets }, got ${show(window)}`);
  let windowCalls: number | undefined;
  let windowMs: number | undefined;
  let windowBuckets = 1;
  if ('calls' in window) {
    windowCalls = integer('window.calls', window.calls, 1, MAX_WINDOW_CALLS);
  } else if ('ms' in window) {
    windowMs = duration('window.ms', window.ms, false);
    if (windowMs <= 0) throw new RangeError(`window.ms must be > 0, got ${show(windowMs)}`);
    windowBuckets = integer('window.buckets', window.buckets ?? 10, 1, MAX_WINDOW_BUCKETS);
  } else {
    throw new TypeError(`window must be { calls } or { ms, buckets }, got ${show(window)}`);
  }

  const minimumCalls = integer('minimumCalls', options.minimumCalls ?? 10, 1);
  if (windowCalls !== undefined && minimumCalls > windowCalls)
    throw new RangeError(
      `minimumCalls must be <= window.calls (${windowCalls}), got ${show(minimumCalls)}`,
    );
  const openMs = duration('openMs', options.openMs ?? 30_000, false);
  const openMsMultiplier = options.openMsMultiplier ?? 1;
  if (typeof openMsMultiplier !== 'number')
    throw new TypeError(`openMsMultiplier must be a number, got ${show(openMsMultiplier)}`);
  if (!(openMsMultiplier >= 1) || !Number.isFinite(openMsMultiplier))
    throw new RangeError(`openMsMultiplier must be a finite number >= 1, got ${openMsMultiplier}`);
  const maxOpenMs = duration('maxOpenMs', options.maxOpenMs ?? Math.max(openMs, 300_000), false);
  if (maxOpenMs < openMs)
    throw new RangeError(`maxOpenMs must be >= openMs (${openMs}), got ${show(maxOpenMs)}`);

  const clock = options.clock ?? performanceClock;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function')
    throw new TypeError(`clock must be an object with now(), got ${show(clock)}`);

  return {
    name,
    windowCalls,
    windowMs,
    windowBuckets,
    minimumCalls,
    failureRateThreshold: rate('failureRateThreshold', options.failureRateThreshold ?? 0.5),
    slowCallMs: duration('slowCallMs', options.slowCallMs ?? Number.POSITIVE_INFINITY, true),
    slowCallRateThreshold: rate('slowCallRateThreshold', options.slowCallRateThreshold ?? 1),
    openMs,
    openMsMultiplier,
    maxOpenMs,
    halfOpenMaxCalls: integer('halfOpenMaxCalls', options.halfOpenMaxCalls ?? 1, 1),
    halfOpenMaxMs: duration(
      'halfOpenMaxMs',
      options.halfOpenMaxMs ?? Number.POSITIVE_INFINITY,
      true,
    ),
    isFailure: callback('isFailure', options.isFailure),
    isIgnored: callback('isIgnored', options.isIgnored),
    onStateChange: callback('onStateChange', options.onStateChange),
    onCall: callback('onCall', options.onCall),
    clock,
  };
}
