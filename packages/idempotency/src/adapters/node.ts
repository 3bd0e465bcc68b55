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

type End = ServerResponse['end'];
type Write = ServerResponse['write'];
type WriteHead = ServerResponse['writeHead'];

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
  const limit = idempotency.maxBodyBytes;
  const chunks: Buffer[] = [];
  let size = 0;
  const originalWriteHead = res.writeHead as WriteHead;
  const originalWrite = res.write as Write;
  const originalEnd = res.end as End;

  const keep = (chunk: unknown, encoding: unknown): void => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    if (typeof chunk === 'string') {
      const bytes = Buffer.from(
        chunk,
        typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
      );
      size += bytes.length;
      if (size <= limit) chunks.push(bytes);
      return;
    }
    const view = chunk as Uint8Array;
    size += view.byteLength;
    // A copy: the caller may reuse its buffer once write() returns.
    if (size <= limit) chunks.push(Buffer.from(view));
  };

  // Headers passed to writeHead bypass getHeader(); set them first so the end sees them all.
  res.writeHead = function writeHead(
    this: ServerResponse,
    statusCode: number,
    reason?: unknown,
    headers?: unknown,
  ): ServerResponse {
    if (typeof reason !== 'string') {
      headers = reason;
      reason = undefined;
    }
    if (headers !== undefined && headers !== null && !res.headersSent) setAll(res, headers);
    const call = originalWriteHead as (...args: unknown[]) => ServerResponse;
    return reason === undefined ? call.call(this, statusCode) : call.call(this, statusCode, reason);
  } as WriteHead;

  res.write = function write(this: ServerResponse, chunk: unknown, ...rest: unknown[]): boolean {
    keep(chunk, rest[0]);
    return (originalWrite as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Write;

  res.end = function end(this: ServerResponse, ...args: unknown[]): ServerResponse {
    if (typeof args[0] !== 'function') keep(args[0], args[1]);
    res.end = originalEnd;
    res.write = originalWrite;
    res.writeHead = originalWriteHead;
    const recorded =
      size > limit
        ? undefined
        : {
            status: res.statusCode,
            headers: idempotency.pickHeaders((name) => res.getHeader(name)),
            body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size),
          };
    const stored = idempotency.record(lease, recorded, res.statusCode);
    if (stored === undefined)
      return (originalEnd as (...a: unknown[]) => ServerResponse).apply(this, args);
    stored.then(() => (originalEnd as (...a: unknown[]) => ServerResponse).apply(this, args));
    return this;
  } as End;

  res.once('close', () => {
    if (!res.writableFinished) idempotency.release(lease);
  });
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
