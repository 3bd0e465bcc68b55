/**
 * Writing a verdict to a node `ServerResponse`, shared by the node `http` wrapper and the Express
 * middleware (an Express response is a `ServerResponse`), and the default key for node requests.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientIp, type TrustProxy } from './client-ip.js';
import { limitedBody, UNAVAILABLE_BODY, type Verdict } from './gate.js';

/**
 * The client IP of a node request: the socket's peer address, or per `trustProxy` an entry of
 * `X-Forwarded-For`. `'unknown'` when the socket has already closed (the answer goes nowhere).
 */
export function nodeClientIp(req: IncomingMessage, trustProxy: TrustProxy): string {
  return (
    clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustProxy) ?? 'unknown'
  );
}

/** Sets `RateLimit-Policy` and `RateLimit` (when the verdict carries them). */
export function writeHeaders(res: ServerResponse, verdict: Verdict): void {
  if (verdict.policy !== '') {
    res.setHeader('RateLimit-Policy', verdict.policy);
    res.setHeader('RateLimit', verdict.rateLimit);
  }
}

/** Status 429 and `Retry-After`; the body is written by the caller. */
export function markLimited(res: ServerResponse, verdict: Verdict): void {
  res.statusCode = 429;
  res.setHeader('Retry-After', String(verdict.retryAfter));
}

/** The default 429 body. */
export function sendLimited(res: ServerResponse, verdict: Verdict): void {
  sendJson(res, limitedBody(verdict));
}

/** 503 with `Retry-After: 1`, for `onError: 'deny'`. */
export function sendUnavailable(res: ServerResponse): void {
  res.statusCode = 503;
  res.setHeader('Retry-After', '1');
  sendJson(res, UNAVAILABLE_BODY);
}

function sendJson(res: ServerResponse, body: string): void {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
