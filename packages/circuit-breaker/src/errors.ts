import { BulwarkError, isBulwarkError } from '@bulwark/kernel';
import type { RejectingState } from './options.js';

/**
 * Thrown (as a rejection) by `execute` when the breaker does not let a call through: the circuit
 * is open or isolated, or it is half-open and every probe slot is taken. The wrapped function was
 * not called. Its `code` is `BULWARK_CIRCUIT_OPEN`.
 *
 * `retryAfterMs` is how long until the breaker lets calls through again: the remaining open time
 * when open, `0` when half-open (the probes in flight decide soon; see `halfOpenMaxMs`),
 * `Infinity` when isolated (only a manual `reset()` ends it). A retry policy can wait that long
 * instead of hammering a circuit it knows is open.
 */
export class BrokenCircuitError extends BulwarkError {
  /** Milliseconds until the breaker may admit calls again; see the class description. */
  readonly retryAfterMs: number;
  /** The state that rejected the call. */
  readonly state: RejectingState;
  /** The `name` of the breaker that rejected the call. */
  readonly breaker: string;

  constructor(state: RejectingState, retryAfterMs: number, breaker: string) {
    super(
      'BULWARK_CIRCUIT_OPEN',
      state === 'half-open'
        ? `circuit "${breaker}" is half-open and all its probe slots are taken`
        : state === 'isolated'
          ? `circuit "${breaker}" is isolated until reset by hand`
          : `circuit "${breaker}" is open for another ${Math.ceil(retryAfterMs)} ms`,
    );
    this.state = state;
    this.retryAfterMs = retryAfterMs;
    this.breaker = breaker;
  }
}

/**
 * A call to the shared store (the `/redis` subpath) did not answer within `storeTimeoutMs`; it
 * goes through `onStoreError` like any store failure. Its `code` is `BULWARK_CIRCUIT_STORE_TIMEOUT`.
 */
export class StoreTimeoutError extends BulwarkError {
  /** The `storeTimeoutMs` that ran out. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super('BULWARK_CIRCUIT_STORE_TIMEOUT', `Redis did not answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * True when `error` is a {@link BrokenCircuitError}, also across copies and versions of this
 * package (it checks the `BULWARK_CIRCUIT_OPEN` code, not the class).
 */
export function isBrokenCircuitError(error: unknown): error is BrokenCircuitError {
  return isBulwarkError(error, 'BULWARK_CIRCUIT_OPEN');
}
