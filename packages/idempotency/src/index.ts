// Public API of @bulwark/idempotency: the framework-free core, the memory store and the shapes
// every store and adapter share. Adapters live on /http, /express, /fastify, /hono and /undici,
// the Redis store on /redis, the store conformance suite on /testing.

export { BulwarkError, isBulwarkError } from '@bulwark/kernel';
export {
  channels,
  type IdempotencyEvent,
  type RejectEvent,
  type ReleaseEvent,
  type StoreErrorEvent,
  type StorePhase,
} from './channels.js';
export { defaultFingerprint } from './fingerprint.js';
export {
  createIdempotency,
  type Decision,
  Idempotency,
  type IdempotencyStats,
  Lease,
  type Proceed,
  type Respond,
} from './idempotency.js';
export { type KeyProblem, MAX_KEY_LENGTH, parseIdempotencyKey } from './key.js';
export {
  MemoryIdempotencyStore,
  type MemoryIdempotencyStoreOptions,
  type MemoryIdempotencyStoreStats,
} from './memory-store.js';
export {
  DEFAULT_REPLAY_HEADERS,
  type IdempotencyOptions,
  type StoreErrorContext,
} from './options.js';
export { PROBLEM_TYPES, type ProblemName, problemResponse } from './problem.js';
export type {
  ClaimResult,
  IdempotencyRequest,
  IdempotencyStore,
  RecordedResponse,
} from './types.js';
