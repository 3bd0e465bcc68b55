/**
 * @bulwark/idempotency/redis — the Redis store (ioredis, standalone or Cluster), for
 * idempotency shared by many processes.
 *
 * ```ts
 * import { Redis } from 'ioredis';
 * import { RedisIdempotencyStore } from '@bulwark/idempotency/redis';
 *
 * const store = new RedisIdempotencyStore({ redis: new Redis(), prefix: 'payments:' });
 * ```
 */

export {
  type RedisClient,
  RedisIdempotencyStore,
  type RedisIdempotencyStoreOptions,
} from './redis/store.js';
export type { ClaimResult, IdempotencyStore, RecordedResponse } from './types.js';
