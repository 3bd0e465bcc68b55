/**
 * The response header values the HTTP adapters send, in the structured-field form of the IETF
 * RateLimit header fields draft, revision 11 (draft-ietf-httpapi-ratelimit-headers-11):
 *
 *   RateLimit-Policy: "default";q=100;w=60    the quota policy: q units per w seconds
 *   RateLimit: "default";r=42;t=17            the service limit: r units available, and t, the
 *                                             effective window: seconds until more is available
 *   Retry-After: 3                            on a 429 only, whole seconds (RFC 9110), never
 *                                             earlier than the refusing policy's t
 *
 * Several limiters give one list member per policy in each field. With the gate's `partitionKey`
 * option every member also carries `pk=:<base64>:`, a Structured Field Byte Sequence derived from
 * the rate-limit key (by default the first 12 bytes of its SHA-256: the key itself, an IP or an
 * API key, is never sent).
 *
 * The policy identifier is a structured-field String, so it is quoted with `\` and `"` escaped.
 * Every number is a structured-field Integer: `q` and `r` are floored, `w` and `t` ceiled to whole
 * seconds (a client never reads a quota back sooner than it really comes back), and each is at
 * most 999 999 999 999 999 (15 digits, RFC 9651).
 */

import { createHash } from 'node:crypto';
import type { Decision, RateLimiter, RateLimitPolicy } from '../types.js';

/** `name` as a structured-field String: printable ASCII only, `\` and `"` escaped. */
export function sfString(name: string, what = 'policy.name'): string {
  let out = '"';
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) {
      throw new TypeError(
        `${what} must hold printable ASCII only (a structured-field String), got ${JSON.stringify(name)}`,
      );
    }
    if (code === 0x22 || code === 0x5c) out += '\\';
    out += name[i];
  }
  return `${out}"`;
}

// The largest Structured Field Integer (RFC 9651: at most 15 digits). The factories keep every
// quota below it; a custom limiter advertising more is clamped rather than sent unparseable.
const SF_INTEGER_MAX = 999_999_999_999_999;

function integer(value: number): number {
  if (!(value > 0)) return 0;
  return Math.min(Math.floor(value), SF_INTEGER_MAX);
}

function seconds(ms: number): number {
  if (!(ms > 0)) return 0;
  const s = Math.ceil(ms / 1000);
  return Math.min(s, SF_INTEGER_MAX);
}

/** One `RateLimit-Policy` list member: `"name";q=<limit>;w=<window in whole seconds>`. */
export function policyItem(policy: RateLimitPolicy): string {
  const base = `${sfString(policy.name)};q=${integer(policy.limit)}`;
  // A window of 0 or Infinity has no meaningful `w`; the parameter is optional.
  return Number.isFinite(policy.windowMs) && policy.windowMs > 0
    ? `${base};w=${seconds(policy.windowMs)}`
    : base;
}

/** What the adapters cache per limiter: its quoted name and its policy item. */
export interface LimiterHeaders {
  readonly quotedName: string;
  readonly policy: string;
}

const perLimiter = new WeakMap<RateLimiter, LimiterHeaders>();
const perList = new WeakMap<readonly RateLimiter[], string>();

/**
 * The header pieces of one limiter, computed once and cached (a limiter's policy is read-only).
 * Throws `TypeError` when the policy name cannot be sent in a header.
 */
export function limiterHeaders(limiter: RateLimiter): LimiterHeaders {
  let cached = perLimiter.get(limiter);
  if (cached === undefined) {
    cached = { quotedName: sfString(limiter.policy.name), policy: policyItem(limiter.policy) };
    perLimiter.set(limiter, cached);
  }
  return cached;
}

/** The `RateLimit-Policy` value for a list of limiters: every policy, comma-separated. Cached. */
export function listPolicy(limiters: readonly RateLimiter[]): string {
  let cached = perList.get(limiters);
  if (cached === undefined) {
    cached = limiters.map((limiter) => limiterHeaders(limiter).policy).join(', ');
    perList.set(limiters, cached);
  }
  return cached;
}

/**
 * The `RateLimit` member for one decision: `"name";r=<remaining>;t=<seconds until more quota>`
 * (`t` from `resetMs`, the effective window).
 */
export function rateLimitItem(quotedName: string, decision: Decision): string {
  return `${quotedName};r=${integer(decision.remaining)};t=${seconds(decision.resetMs)}`;
}

/**
 * `Retry-After` in whole seconds: ceil of `retryAfterMs / 1000`, at least 1, and never earlier
 * than the decision's `t` (the draft: Retry-After does not point before the effective window ends).
 */
export function retryAfterSeconds(decision: Decision): number {
  return Math.max(seconds(decision.retryAfterMs), seconds(decision.resetMs), 1);
}

/** Turns a rate-limit key into the bytes of the `pk` parameter. */
export type PartitionKey = (key: string) => Uint8Array;

/**
 * The default partition key: the first 12 bytes of the SHA-256 of the rate-limit key, so a client
 * can tell its partitions apart (and a server can predict them) without the key being disclosed.
 */
export function hashedPartitionKey(key: string): Uint8Array {
  return createHash('sha256').update(key).digest().subarray(0, 12);
}

/** `;pk=:<base64>:`, the `pk` parameter as a Structured Field Byte Sequence. */
export function partitionKeyParam(bytes: Uint8Array): string {
  return `;pk=:${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}:`;
}
