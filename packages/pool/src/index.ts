// Public API of @bulwark/pool.
export { type BulwarkError, isBulwarkError } from '@bulwark/kernel';
export { channels } from './channels.js';
export type { Clock } from './clock.js';
export {
  AlreadyReleasedError,
  CreateTimeoutError,
  PoolClosedError,
  PoolTimeoutError,
  QueueFullError,
} from './errors.js';
export type { LeakStacks } from './leak-detector.js';
export { Lease } from './lease.js';
export {
  type AcquireOptions,
  createPool,
  type LeakReport,
  type Pool,
  type PoolEvents,
  type PoolOptions,
  type PoolStats,
} from './pool.js';
export {
  Bulkhead,
  type ExecuteContext,
  type ExecuteOptions,
  Permit,
  Semaphore,
  type SemaphoreOptions,
  type SemaphoreStats,
} from './semaphore.js';
