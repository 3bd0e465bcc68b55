import * as crypto from 'node:crypto';
import { upperCaseMethod } from './method.js';
import type { IdempotencyRequest } from './types.js';

// Node 20.12+ hashes a buffer in one call, about twice as fast as a Hash object for inputs this
// small; older Node 20 releases fall back to createHash, with the same digest.
const oneShot = (
  crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string }
).hash;

// The hashed bytes are laid out in one buffer reused by every call (hashing is synchronous, so
// no two calls share it at once): no buffer per part and no concatenation on each request.
// Inputs that could outgrow MAX_SCRATCH go to createHash instead, so the buffer stays small.
const MAX_SCRATCH = 64 * 1024;
let scratch = Buffer.allocUnsafe(4096);

/**
 * The default fingerprint: SHA-256 (hex) of the upper-case method, the path and the body bytes,
 * the first two each ended by a NUL so that no two different requests hash the same input. A
 * retry must send the same bytes; a client that re-serialises its JSON differently needs a
 * custom fingerprint.
 */
export function defaultFingerprint(request: IdempotencyRequest): string {
  const method = upperCaseMethod(request.method);
  const { path, body } = request;
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const most = 3 * (method.length + path.length) + 2 + body.byteLength;
  if (oneShot === undefined || most > MAX_SCRATCH)
    return crypto.createHash('sha256').update(`${method}\0${path}\0`).update(body).digest('hex');
  if (most > scratch.length) scratch = Buffer.allocUnsafe(most);
  let end = put(method, 0);
  scratch[end++] = 0;
  end = put(path, end);
  scratch[end++] = 0;
  scratch.set(body, end);
  end += body.byteLength;
  return oneShot('sha256', scratch.subarray(0, end), 'hex');
}

// Writes `text` as UTF-8 at `at`, returning where it ends. A short ASCII text (a method, most
// paths) is copied by this loop, which costs less than a call into the encoder.
function put(text: string, at: number): number {
  if (text.length <= 64) {
    let i = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) break;
      scratch[at + i] = c;
      i++;
    }
    if (i === text.length) return at + i;
  }
  return at + scratch.write(text, at);
}
