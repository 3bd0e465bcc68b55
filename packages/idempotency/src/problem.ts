// Error responses as RFC 9457 problem details (`application/problem+json`), one stable `type` per
// error so clients can branch on it. The bodies are fixed text, built once.

import type { RecordedResponse } from './types.js';

/** The errors the middleware answers with, by name. */
export type ProblemName =
  | 'key-missing'
  | 'key-malformed'
  | 'key-in-use'
  | 'key-mismatch'
  | 'store-unavailable'
  | 'body-too-large';

/** The `type` URI of each problem; stable, so clients may compare it. */
export const PROBLEM_TYPES: Readonly<Record<ProblemName, string>> = {
  'key-missing': 'urn:bulwark:idempotency:key-missing',
  'key-malformed': 'urn:bulwark:idempotency:key-malformed',
  'key-in-use': 'urn:bulwark:idempotency:key-in-use',
  'key-mismatch': 'urn:bulwark:idempotency:key-mismatch',
  'store-unavailable': 'urn:bulwark:idempotency:store-unavailable',
  'body-too-large': 'urn:bulwark:idempotency:body-too-large',
};

const TITLES: Readonly<Record<ProblemName, [title: string, detail: string]>> = {
  'key-missing': [
    'Idempotency-Key is missing',
    'This operation requires an Idempotency-Key header.',
  ],
  'key-malformed': [
    'Idempotency-Key is malformed',
    'The Idempotency-Key header must be a string of 1 to 255 characters, e.g. Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324".',
  ],
  'key-in-use': [
    'A request with this Idempotency-Key is being processed',
    'Another request with the same Idempotency-Key has not finished yet; retry later.',
  ],
  'key-mismatch': [
    'Idempotency-Key is already used for a different request',
    'The Idempotency-Key was first used with a different method, path or body; use a new key for a new request.',
  ],
  'store-unavailable': [
    'Idempotency store unavailable',
    'The request was not run because its Idempotency-Key could not be checked; retry later with the same key.',
  ],
  'body-too-large': [
    'Request body too large',
    'The request body is larger than this server reads to check its Idempotency-Key.',
  ],
};

const encoder = new TextEncoder();

/** The problem-details response for `name` with `status`, plus extra header pairs. */
export function problemResponse(
  name: ProblemName,
  status: number,
  extraHeaders: ReadonlyArray<readonly [string, string]> = [],
): RecordedResponse {
  const [title, detail] = TITLES[name];
  const body = encoder.encode(JSON.stringify({ type: PROBLEM_TYPES[name], title, status, detail }));
  return {
    status,
    headers: [['content-type', 'application/problem+json'], ...extraHeaders],
    body,
  };
}
