import { channel } from 'node:diagnostics_channel';

/**
 * `node:diagnostics_channel` channels the limiters and shapers (memory and Redis) publish on, so
 * metrics can subscribe without a dependency. Messages are built only while a channel has subscribers,
 * so an unobserved limiter pays nothing for them.
 */
export const channels = {
  /** A {@link LimitedEvent} for every refused `consume` (counted as `rejected` in `stats()`). */
  limited: channel('bulwark:rate-limiter:limited'),
  /** An {@link EvictEvent} when `maxKeys` forces out a key that still held usage. */
  evict: channel('bulwark:rate-limiter:evict'),
  /** A {@link QueueFullEvent} when a shaper rejects a request past `maxWaiting`. */
  queueFull: channel('bulwark:rate-limiter:queue-full'),
  /** A {@link StoreErrorEvent} whenever a Redis call of a Redis limiter or shaper fails. */
  storeError: channel('bulwark:rate-limiter:store-error'),
} as const;

/** Message on `bulwark:rate-limiter:limited`. */
export interface LimitedEvent {
  /** The limiter's name (its policy name). */
  name: string;
  /** The key that was refused. */
  key: string;
  /** The refused request's cost. */
  cost: number;
  /** The decision returned to the caller. */
  decision: import('./types.js').Decision;
}

/** Message on `bulwark:rate-limiter:evict`. */
export interface EvictEvent {
  /** The limiter's name (its policy name). */
  name: string;
  /** The key forgotten while it still held usage: its next request starts from a full quota. */
  key: string;
}

/** Message on `bulwark:rate-limiter:queue-full`. */
export interface QueueFullEvent {
  /** The shaper's name. */
  name: string;
  /** The key whose queue is full. */
  key: string;
  /** The rejected request's cost. */
  cost: number;
  /** Units waiting for the key when the request arrived. */
  waiting: number;
}

/** Message on `bulwark:rate-limiter:store-error`. */
export interface StoreErrorEvent {
  /** The name of the Redis limiter or shaper whose call failed. */
  name: string;
  /** The key the call was for. */
  key: string;
  /** The error of the Redis call. */
  error: unknown;
  /**
   * What answered instead: `'insurance'`, `'fail-open'`, `'fail-closed'` or `'function'` (an
   * `onStoreError` function); a shaper's request is released (`'fail-open'`) or rejected.
   */
  answeredBy: 'insurance' | 'fail-open' | 'fail-closed' | 'function';
}
