import {
  checkClock,
  checkFunction,
  checkInteger,
  checkKnownKeys,
  checkMs,
  checkNumber,
  checkObject,
  checkOneOf,
  checkString,
  describeValue,
  type Clock as KernelClock,
  rangeError,
  systemClock,
  typeError,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';

/**
 * `closed`: calls flow and their outcomes are counted. `open`: calls are rejected at once until
 * the open time is up. `half-open`: a fixed number of probe calls go through; their results close
 * or reopen the circuit. `isolated`: held open by hand (`isolate()` or `forceOpen()`) until
 * `reset()`. `disabled` (by hand, `disable()`): every call flows and nothing is counted.
 * `metrics-only` (by hand, `metricsOnly()`): calls flow and are counted and published, but the
 * circuit never opens. The last three are left only by a manual action (`reset()`, `open()`, ...).
 */
export type CircuitState =
  | 'closed'
  | 'open'
  | 'half-open'
  | 'isolated'
  | 'disabled'
  | 'metrics-only';

/** The states that reject a call: what {@link BrokenCircuitError} reports. */
export type RejectingState = 'open' | 'half-open' | 'isolated';

/** How half-open probes decide: see {@link CircuitBreakerOptions.halfOpenEvaluation}. */
export type HalfOpenEvaluation = 'all-succeed' | 'failure-rate';

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

/** A source of time in milliseconds: the kernel's clock. Tests pass a fake clock. */
export type Clock = KernelClock;

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
  name: string;
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
  name: string;
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
  /**
   * How long the circuit stays open the first time (ms). Or a function of the consecutive-open
   * count (1 for the first open since the circuit last closed) returning the open time, for a
   * custom growth or a jittered interval so a fleet of instances does not probe in step:
   * `(opens) => 10_000 * 2 ** (opens - 1) * (0.8 + 0.4 * Math.random())`. The function's result is
   * capped by `maxOpenMs`; one that throws or returns anything but a number >= 0 opens for
   * `maxOpenMs`. Default 30 000.
   */
  openMs?: number | ((consecutiveOpens: number) => number);
  /**
   * Each consecutive reopen (without a close between) multiplies the open time by this. Default 1.
   * Only with a numeric `openMs` (a function computes the growth itself).
   */
  openMsMultiplier?: number;
  /** The open time never grows past this. Default `max(openMs, 300 000)` (300 000 for a function). */
  maxOpenMs?: number;
  /** Probe calls admitted in half-open. Default 1. */
  halfOpenMaxCalls?: number;
  /**
   * How the probes decide. `'all-succeed'` (default): the first probe that fails or is slow
   * reopens the circuit; it closes when all `halfOpenMaxCalls` succeed. `'failure-rate'`
   * (resilience4j's rule): once all `halfOpenMaxCalls` probes have finished, the circuit reopens
   * when their failure rate reaches `failureRateThreshold` or their slow-call rate reaches
   * `slowCallRateThreshold`, and closes otherwise.
   */
  halfOpenEvaluation?: HalfOpenEvaluation;
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
  /** Source of time in ms. Default the kernel's `systemClock` (monotonic). */
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
  /** The first open time; NaN when `openMs` is a function. */
  openMs: number;
  /** The `openMs` function, if one was given. */
  openMsFunction: ((consecutiveOpens: number) => number) | undefined;
  openMsMultiplier: number;
  maxOpenMs: number;
  halfOpenMaxCalls: number;
  halfOpenEvaluation: HalfOpenEvaluation;
  halfOpenMaxMs: number;
  isFailure: ((outcome: unknown, threw: boolean) => boolean) | undefined;
  isIgnored: ((outcome: unknown, threw: boolean) => boolean) | undefined;
  onStateChange: ((change: StateChange) => void) | undefined;
  onCall: ((event: CallEvent) => void) | undefined;
  clock: Clock;
}

/** The most calls a count window holds (one byte each). */
const MAX_WINDOW_CALLS = 1_000_000;
/** The most buckets a time window has (a full slide visits each). */
const MAX_WINDOW_BUCKETS = 10_000;

/** The option names of {@link CircuitBreakerOptions}. */
export const BREAKER_OPTION_KEYS: ReadonlySet<string> = new Set([
  'name',
  'window',
  'minimumCalls',
  'failureRateThreshold',
  'slowCallMs',
  'slowCallRateThreshold',
  'openMs',
  'openMsMultiplier',
  'maxOpenMs',
  'halfOpenMaxCalls',
  'halfOpenEvaluation',
  'halfOpenMaxMs',
  'isFailure',
  'isIgnored',
  'onStateChange',
  'onCall',
  'clock',
]);
const HALF_OPEN_EVALUATIONS: readonly HalfOpenEvaluation[] = ['all-succeed', 'failure-rate'];
const COUNT_WINDOW_KEYS: ReadonlySet<string> = new Set(['calls']);
const TIME_WINDOW_KEYS: ReadonlySet<string> = new Set(['ms', 'buckets']);

/** A duration in ms that may be `Infinity` (no bound). */
function unboundedMs(name: string, value: unknown): number {
  return value === Number.POSITIVE_INFINITY ? value : checkMs(name, value);
}

/** A rate in (0, 1]. */
function rate(name: string, value: unknown): number {
  return checkNumber(name, value, 0, 1, true);
}

function optionalFunction<F>(name: string, value: unknown): F | undefined {
  return value === undefined ? undefined : checkFunction<never>(name, value);
}

/** The TypeError for an argument that should be a function: `fn must be a function, got 1`. */
export function notAFunction(name: string, value: unknown): TypeError {
  return new TypeError(`${name} must be a function, got ${describeValue(value)}`);
}

/**
 * Apply defaults and reject bad input with a TypeError/RangeError naming the option and value;
 * unknown keys (not in `known`) are refused, naming the nearest valid one.
 */
export function resolveOptions(
  options: CircuitBreakerOptions = {},
  known: ReadonlySet<string> = BREAKER_OPTION_KEYS,
  where = 'new CircuitBreaker(options)',
): ResolvedOptions {
  checkObject('options', options);
  checkKnownKeys(options, known, where, VOCABULARY_RENAMES);
  const name = checkString('name', options.name ?? 'default');

  const window = checkObject<CountWindowOptions | TimeWindowOptions>(
    'window',
    options.window ?? { calls: 20 },
  );
  let windowCalls: number | undefined;
  let windowMs: number | undefined;
  let windowBuckets = 1;
  if ('calls' in window) {
    checkKnownKeys(window, COUNT_WINDOW_KEYS, 'window', VOCABULARY_RENAMES);
    windowCalls = checkInteger('window.calls', window.calls, 1, MAX_WINDOW_CALLS);
  } else if ('ms' in window) {
    checkKnownKeys(window, TIME_WINDOW_KEYS, 'window', VOCABULARY_RENAMES);
    windowMs = checkMs('window.ms', window.ms, true);
    windowBuckets = checkInteger('window.buckets', window.buckets ?? 10, 1, MAX_WINDOW_BUCKETS);
  } else {
    typeError('window', '{ calls } or { ms, buckets }', window);
  }

  const minimumCalls = checkInteger('minimumCalls', options.minimumCalls ?? 10, 1);
  if (windowCalls !== undefined && minimumCalls > windowCalls)
    rangeError('minimumCalls', `<= window.calls (${windowCalls})`, minimumCalls);
  const openMsFunction = typeof options.openMs === 'function' ? options.openMs : undefined;
  const openMs =
    openMsFunction === undefined ? checkMs('openMs', options.openMs ?? 30_000) : Number.NaN;
  if (openMsFunction !== undefined && options.openMsMultiplier !== undefined)
    typeError('openMsMultiplier', 'unset when openMs is a function', options.openMsMultiplier);
  const openMsMultiplier = checkNumber('openMsMultiplier', options.openMsMultiplier ?? 1, 1);
  if (!Number.isFinite(openMsMultiplier))
    rangeError('openMsMultiplier', 'a finite number >= 1', openMsMultiplier);
  const maxOpenMs = checkMs(
    'maxOpenMs',
    options.maxOpenMs ?? (openMsFunction === undefined ? Math.max(openMs, 300_000) : 300_000),
  );
  if (maxOpenMs < openMs) rangeError('maxOpenMs', `>= openMs (${openMs})`, maxOpenMs);

  return {
    name,
    windowCalls,
    windowMs,
    windowBuckets,
    minimumCalls,
    failureRateThreshold: rate('failureRateThreshold', options.failureRateThreshold ?? 0.5),
    slowCallMs: unboundedMs('slowCallMs', options.slowCallMs ?? Number.POSITIVE_INFINITY),
    slowCallRateThreshold: rate('slowCallRateThreshold', options.slowCallRateThreshold ?? 1),
    openMs,
    openMsFunction,
    openMsMultiplier,
    maxOpenMs,
    halfOpenMaxCalls: checkInteger('halfOpenMaxCalls', options.halfOpenMaxCalls ?? 1, 1),
    halfOpenEvaluation: checkOneOf(
      'halfOpenEvaluation',
      options.halfOpenEvaluation ?? 'all-succeed',
      HALF_OPEN_EVALUATIONS,
    ),
    halfOpenMaxMs: unboundedMs('halfOpenMaxMs', options.halfOpenMaxMs ?? Number.POSITIVE_INFINITY),
    isFailure: optionalFunction('isFailure', options.isFailure),
    isIgnored: optionalFunction('isIgnored', options.isIgnored),
    onStateChange: optionalFunction('onStateChange', options.onStateChange),
    onCall: optionalFunction('onCall', options.onCall),
    clock: checkClock<Clock>('clock', options.clock ?? systemClock),
  };
}
