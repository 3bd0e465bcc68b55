// Public API of @bulwark/retry.
export { type BulwarkError, isBulwarkError } from '@bulwark/kernel';
export {
  type Backoff,
  type BackoffFunction,
  type BackoffOptions,
  type BackoffStrategy,
  backoffDelay,
  exponentialDelay,
  resolveBackoff,
} from './backoff.js';
export { RetryBudget, type RetryBudgetOptions, type RetryBudgetStats } from './budget.js';
export { channels } from './channels.js';
export { isTimeoutError, RetryBudgetExhaustedError, TimeoutError } from './errors.js';
export type { Clock } from './options.js';
export type { Policy, PolicyContext, PolicyExecuteOptions } from './policy.js';
export {
  type AttemptContext,
  type GiveUpEvent,
  type GiveUpReason,
  type RetryEvent,
  type RetryOptions,
  RetryPolicy,
  type RetryPolicyOptions,
  retry,
  retryPolicy,
} from './retry.js';
export { parseRetryAfter, retryAfterOf } from './retry-after.js';
export {
  type TimeoutOptions,
  TimeoutPolicy,
  type TimeoutPolicyOptions,
  timeout,
  timeoutPolicy,
} from './timeout.js';
export { type WrappedPolicy, wrap } from './wrap.js';
