import { createHash } from 'node:crypto';
import type { IdempotencyRequest } from './types.js';

/**
 * The default fingerprint: SHA-256 (hex) of the upper-case method, the path and the body bytes,
 * each ended by a NUL so that no two different requests hash the same input. A retry must send
 * the same bytes; a client that re-serialises its JSON differently needs a custom fingerprint.
 */
export function defaultFingerprint(request: IdempotencyRequest): string {
  return createHash('sha256')
    .update(request.method.toUpperCase())
    .update('\0')
    .update(request.path)
    .update('\0')
    .update(request.body)
    .digest('hex');
}
