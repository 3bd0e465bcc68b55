// Public API of @bulwark/circuit-breaker.
export { type BulwarkError, isBulwarkError } from '@bulwark/kernel';
export { type BreakerPerKey, breakerPerKey } from './breaker-per-key.js';
export { channels } from './channels.js';
export {
  type CallContext,
  CircuitBreaker,
  type CircuitBreakerStats,
  type ExecuteOptions,
} from './circuit-breaker.js';
export { BrokenCircuitError, isBrokenCircuitError, StoreTimeoutError } from './errors.js';
export type {
  CallEvent,
  CircuitBreakerOptions,
  CircuitState,
  Clock,
  CountWindowOptions,
  HalfOpenEvaluation,
  RejectingState,
  StateChange,
  TimeWindowOptions,
  TransitionReason,
} from './options.js';
