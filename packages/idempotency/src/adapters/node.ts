// What the node-based adapters (http, Express, Fastify) share: reading the request body, holding
// a response's bytes while it streams out, and sending a recorded response.
//
// The capture patches writeHead, write and end on the one ServerResponse: chunks go to the client
// as the handler writes them and are copied (up to maxBodyBytes); only the final `end` waits for
// the store to record the response, so a client that loses the response finds the record when
// it retries, and a streamed response still streams.

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Idempotency, Lease } from '../idempotency.js';
import type { RecordedResponse } from '../types.js';

/** The body of `req` read to its end, or undefined when it is longer than `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.once('end', () => resolve(over ? undefined : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

/** A parsed body (a body parser ran) as the bytes the fingerprint hashes. */
export function bytesOfParsedBody(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body);
  if (body === undefined || body === null) return EMPTY;
  return Buffer.from(JSON.stringify(body));
}

/** No body bytes. */
export const EMPTY = new Uint8Array(0);

/** Writes a recorded (or problem) response and ends `res`. */
export function sendRecorded(res: ServerResponse, response: RecordedResponse): void {
  res.statusCode = response.status;
  const headers = response.headers;
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i] as readonly [string, string];
    const previous = res.getHeader(name);
    if (previous === undefined || i === 0 || headers[i - 1]?.[0] !== name)
      res.setHeader(name, value);
    else res.setHeader(name, [...(Array.isArray(previous) ? previous : [String(previous)]), value]);
  }
  res.end(response.body);
}

type Method = (this: ServerResponse, ...args: unknown[]) => unknown;

// One response being recorded. The patched methods below are shared by every response and find
// their state here, so a request allocates this object and no closures.
class Capture {
  readonly idempotency: Idempotency<never>;
  readonly lease: Lease;
  readonly limit: number;
  readonly writeHead: Method;
  readonly write: Method;
  readonly end: Method;
  readonly chunks: Buffer[] = [];
  size = 0;
  ended = false;

  constructor(res: ServerResponse, idempotency: Idempotency<never>, lease: Lease) {
    this.idempotency = idempotency;
    this.lease = lease;
    this.limit = idempotency.maxBodyBytes;
    this.writeHead = res.writeHead as Method;
    this.write = res.write as Method;
    this.end = res.end as Method;
  }

  keep(chunk: unknown, encoding: unknown): void {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    if (typeof chunk === 'string') {
      const bytes = Buffer.from(
        chunk,
        typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
      );
      this.size += bytes.length;
      if (this.size <= this.limit) this.chunks.push(bytes);
      return;
    }
    const view = chunk as Uint8Array;
    this.size += view.byteLength;
    // A copy: the caller may reuse its buffer once write() returns.
    if (this.size <= this.limit) this.chunks.push(Buffer.from(view));
  }

  recorded(res: ServerResponse): RecordedResponse | undefined {
    if (this.size > this.limit) return undefined;
    const { chunks, size } = this;
    return {
      status: res.statusCode,
      headers: this.idempotency.pickHeaders((name) => res.getHeader(name)),
      body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size),
    };
  }
}

const CAPTURE = Symbol('bulwark.idempotency.capture');
type Captured = ServerResponse & { [CAPTURE]: Capture };

/**
 * Records what the handler sends on `res` under `lease`: status, allow-listed headers and the
 * body bytes; the final `end` goes out once the store has answered. A response that closes
 * before its end (the client left, the handler never ended it) releases the key.
 */
export function captureResponse(
  res: ServerResponse,
  idempotency: Idempotency<never>,
  lease: Lease,
): void {
  (res as Captured)[CAPTURE] = new Capture(res, idempotency, lease);
  res.writeHead = capturedWriteHead as ServerResponse['writeHead'];
  res.write = capturedWrite as ServerResponse['write'];
  res.end = capturedEnd as ServerResponse['end'];
  res.on('close', releaseUnfinished);
}

// Headers passed to writeHead bypass getHeader(); set them first so the end sees them all.
function capturedWriteHead(
  this: Captured,
  statusCode: number,
  reason?: unknown,
  headers?: unknown,
): unknown {
  const capture = this[CAPTURE];
  if (typeof reason !== 'string') {
    headers = reason;
    reason = undefined;
  }
  if (headers !== undefined && headers !== null && !this.headersSent) setAll(this, headers);
  return reason === undefined
    ? capture.writeHead.call(this, statusCode)
    : capture.writeHead.call(this, statusCode, reason);
}

function capturedWrite(
  this: Captured,
  chunk: unknown,
  encoding?: unknown,
  callback?: unknown,
): unknown {
  const capture = this[CAPTURE];
  if (!capture.ended) capture.keep(chunk, encoding);
  return capture.write.call(this, chunk, encoding, callback);
}

function capturedEnd(
  this: Captured,
  chunk?: unknown,
  encoding?: unknown,
  callback?: unknown,
): unknown {
  const capture = this[CAPTURE];
  if (capture.ended) return capture.end.call(this, chunk, encoding, callback);
  capture.ended = true;
  if (typeof chunk !== 'function') capture.keep(chunk, encoding);
  const stored = capture.idempotency.record(capture.lease, capture.recorded(this), this.statusCode);
  if (stored === undefined) return capture.end.call(this, chunk, encoding, callback);
  stored.then(() => capture.end.call(this, chunk, encoding, callback));
  return this;
}

function releaseUnfinished(this: Captured): void {
  if (!this.writableFinished) this[CAPTURE].idempotency.release(this[CAPTURE].lease);
}

function setAll(res: ServerResponse, headers: unknown): void {
  if (Array.isArray(headers)) {
    // [name, value, name, value, ...] or [[name, value], ...]
    const flat = headers.length > 0 && Array.isArray(headers[0]) ? headers.flat() : headers;
    const grouped = new Map<string, string[]>();
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const name = String(flat[i]).toLowerCase();
      const values = grouped.get(name) ?? [];
      values.push(String(flat[i + 1]));
      grouped.set(name, values);
    }
    for (const [name, values] of grouped)
      res.setHeader(name, values.length === 1 ? values[0]! : values);
    return;
  }
  const object = headers as OutgoingHttpHeaders;
  for (const name of Object.keys(object)) {
    const value = object[name];
    if (value !== undefined) res.setHeader(name, value);
  }
}
