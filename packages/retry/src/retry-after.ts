// Reading a server's "come back later" from an error: a `retryAfterMs` number (what Bulwark's
// BrokenCircuitError carries), or an HTTP `Retry-After` header value, which is either a number of
// seconds or an HTTP-date (RFC 9110 §10.2.3).

/**
 * Parse a `Retry-After` header value into milliseconds from `nowMs` (epoch ms). Seconds must be a
 * non-negative number; a date in the past gives 0. Anything else gives `undefined`.
 */
export function parseRetryAfter(value: string, nowMs: number): number | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with a day name; without that
  // check Date.parse would read "-5" as a year.
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

function headerOf(headers: unknown): unknown {
  if (headers === null || typeof headers !== 'object') return undefined;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function')
    return (get as (name: string) => unknown).call(headers, 'retry-after');
  const record = headers as Record<string, unknown>;
  return record['retry-after'] ?? record['Retry-After'];
}

/**
 * How long the server asked the caller to wait, as carried by `error`, in ms; `undefined` when it
 * carries nothing. Looked up in order: `error.retryAfterMs` (a number >= 0, `Infinity` allowed),
 * then a `Retry-After` header in `error.headers` or `error.response.headers` (a plain object, or
 * anything with `get(name)` such as a Fetch `Headers`).
 */
export function retryAfterOf(error: unknown, nowMs: number): number | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const e = error as {
    retryAfterMs?: unknown;
    headers?: unknown;
    response?: { headers?: unknown };
  };
  const ms = e.retryAfterMs;
  if (typeof ms === 'number' && ms >= 0) return ms;
  let header = headerOf(e.headers);
  if (header === undefined && e.response !== null && typeof e.response === 'object')
    header = headerOf(e.response.headers);
  if (Array.isArray(header)) header = header[0];
  return typeof header === 'string' ? parseRetryAfter(header, nowMs) : undefined;
}
