import type { CircuitState } from './options.js';

/**
 * Thrown (as a rejection) by `execute` when the breaker does not let a call through: the circuit
 * is open or isolated, or it is half-open and every probe slot is taken. The wrapped function was
 * not called.
 *
 * `retryAfterMs` is how long until the breaker lets calls through again: the remaining open time
 * when open, `0` when half-open (the probes in flight decide soon; see `halfOpenMaxMs`),
 * `Infinity` when isolated (only a manual `close()` ends it). A retry policy can wait that long
 * instead of hammering a circuit it knows is open.
 */
export class BrokenCircuitError extends Error {
  /** Milliseconds until the breaker may admit calls again; see the class description. */
  readonly retryAfterMs: number;
  /** The state that rejected the call. */
  readonly state: Exclude<CircuitState, 'closed'>;
  /** The `name` of the breaker that rejected the call. */
  readonly breaker: string;

  constructor(state: Exclude<CircuitState, 'closed'>, retryAfterMs: number, breaker: string) {
    super(
      state === 'half-open'
        ? `circuit "${breaker}" is half-open and all its probe slots are taken`
        : state === 'isolated'
          ? `circuit "${breaker}" is isolated until closed by hand`
          : `circuit "${breaker}" is open for another ${Math.ceil(retryAfterMs)} ms`,
    );
    this.name = 'BrokenCircuitError';
    this.state = state;
    this.retryAfterMs = retryAfterMs;
    this.breaker = breaker;
  }
}

/** True when `error` is a {@link BrokenCircuitError}, also across copies of this package. */
export function isBrokenCircuitError(error: unknown): error is BrokenCircuitError {
  return (
    error instanceof BrokenCircuitError ||
    (error instanceof Error &&
      error.name === 'BrokenCircuitError' &&
      typeof (error as { retryAfterMs?: unknown }).retryAfterMs === 'number')
  );
}
