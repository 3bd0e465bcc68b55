// The breaker's state, held as a discriminated union: one object per state period, carrying only
// what that state needs. A new object is made on every transition, so a call that remembers the
// period it was admitted in can tell, when it settles, whether the circuit has moved on since
// (the object is no longer the current one) and its outcome must change nothing.

/** Promise handlers for the closed state's untimed calls, made once per closed period. */
export interface Settlers {
  readonly fulfilled: (value: unknown) => void;
  readonly rejected: (error: unknown) => void;
}

/** Calls flow and their outcomes fill the window. */
export interface Closed {
  readonly kind: 'closed';
  /** Set right after the period is made (the handlers close over it). */
  settlers: Settlers;
}

/** Calls are rejected at once until `until` (on the breaker's clock). */
export interface Open {
  readonly kind: 'open';
  /** When the circuit turns half-open; moved when another instance's open is adopted. */
  until: number;
}

/** A fixed number of probes go through; their outcomes close or reopen the circuit. */
export interface HalfOpen {
  readonly kind: 'half-open';
  /** When the probes' time (`halfOpenMaxMs`) started; restarted when a probe gives its slot back. */
  since: number;
  /** Probe slots taken. */
  admitted: number;
  succeeded: number;
  failed: number;
  slow: number;
}

/** Held open by hand until `reset()`. */
export interface Isolated {
  readonly kind: 'isolated';
}

/** Every call flows, nothing is observed. */
export interface Disabled {
  readonly kind: 'disabled';
}

/** Calls flow and are counted like closed, but the circuit never opens. */
export interface MetricsOnly {
  readonly kind: 'metrics-only';
}

/** One state period of the breaker. */
export type Period = Closed | Open | HalfOpen | Isolated | Disabled | MetricsOnly;
