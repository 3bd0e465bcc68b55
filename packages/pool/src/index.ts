// Public API of @bulwark/pool.
export { type BulwarkError, isBulwarkError } from '@bulwark/kernel';
export { Bulkhead } from './bulkhead.js';
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
export { createPool } from './pool.js';
export type {
  AcquireOptions,
  LeakReport,
  Pool,
  PoolEvents,
  PoolOptions,
  PoolStats,
  ReadyOptions,
} from './pool-types.js';
export {
  type ExecuteContext,
  type ExecuteOptions,
  Permit,
  Semaphore,
  type SemaphoreOptions,
  type SemaphoreStats,
} from './semaphore.js';
