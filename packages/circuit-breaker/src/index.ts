// Public API of @bulwark/circuit-breaker.
export { type BreakerPerKey, breakerPerKey } from './breaker-per-key.js';
export { channels } from './channels.js';
export {
  type CallContext,
  CircuitBreaker,
  type CircuitBreakerStats,
  type ExecuteOptions,
} from './circuit-breaker.js';
export { BrokenCircuitError, isBrokenCircuitError } from './errors.js';
export type {
  CallEvent,
  CircuitBreakerOptions,
  CircuitState,
  Clock,
  CountWindowOptions,
  StateChange,
  TimeWindowOptions,
  TransitionReason,
} from './options.js';
