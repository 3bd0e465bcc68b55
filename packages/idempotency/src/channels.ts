import { channel } from 'node:diagnostics_channel';

/**
 * `node:diagnostics_channel` channels the middleware publishes on, so metrics and tracing can
 * subscribe without a dependency. Every message carries the instance's `name` first. Messages are
 * built only while a channel has subscribers.
 */
export const channels = {
  /** An {@link IdempotencyEvent}: a first request with a key took the lease and runs. */
  execute: channel('bulwark:idempotency:execute'),
  /** An {@link IdempotencyEvent}: a recorded response was replayed. */
  replay: channel('bulwark:idempotency:replay'),
  /** An {@link IdempotencyEvent}: a duplicate arrived while the first still ran (409). */
  conflict: channel('bulwark:idempotency:conflict'),
  /** An {@link IdempotencyEvent}: the key was used before with a different fingerprint (422). */
  mismatch: channel('bulwark:idempotency:mismatch'),
  /** A {@link RejectEvent}: the key was missing or malformed (400). */
  reject: channel('bulwark:idempotency:reject'),
  /** A {@link ReleaseEvent}: a lease was given up without a record, so a retry runs again. */
  release: channel('bulwark:idempotency:release'),
  /** An {@link IdempotencyEvent}: a request whose lease was taken over could not record (fencing). */
  fenced: channel('bulwark:idempotency:fenced'),
  /** A {@link StoreErrorEvent}: a store call failed. */
  storeError: channel('bulwark:idempotency:store-error'),
} as const;

/** Message on `execute`, `replay`, `conflict`, `mismatch` and `fenced`. */
export interface IdempotencyEvent {
  /** The instance's `name`. */
  name: string;
  /** The Idempotency-Key (without the scope). */
  key: string;
  /** The request method. */
  method: string;
  /** The request path. */
  path: string;
}

/** Message on `reject`. */
export interface RejectEvent {
  /** The instance's `name`. */
  name: string;
  /** `'missing'` or `'malformed'`. */
  reason: 'missing' | 'malformed';
  /** The request method. */
  method: string;
  /** The request path. */
  path: string;
}

/** Message on `release`. */
export interface ReleaseEvent extends IdempotencyEvent {
  /** Why: a status `storeWhen` refused, a handler that threw, or a body over `maxBodyBytes`. */
  reason: 'status' | 'error' | 'too-large';
  /** The response status, when there was one. */
  status: number | undefined;
}

/** Message on `store-error`. */
export interface StoreErrorEvent {
  /** The instance's `name`. */
  name: string;
  /** Which store call failed. */
  phase: StorePhase;
  /** The Idempotency-Key (without the scope). */
  key: string;
  /** The error. */
  error: unknown;
}

/** The store call a store error happened in. */
export type StorePhase = 'claim' | 'complete' | 'release';
