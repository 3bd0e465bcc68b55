/**
 * The response header values the HTTP adapters send, in the structured-field form of the IETF
 * RateLimit header fields draft (draft-ietf-httpapi-ratelimit-headers):
 *
 *   RateLimit-Policy: "default";q=100;w=60    the quota policy: q units per w seconds
 *   RateLimit: "default";r=42;t=17            the live state: r units left, t seconds to reset
 *   Retry-After: 3                            on a 429 only, whole seconds (RFC 9110)
 *
 * The policy identifier is a structured-field String, so it is quoted with `\` and `"` escaped.
 * Every number is a structured-field Integer: `q` and `r` are floored, `w` and `t` ceiled to whole
 * seconds (a client never reads a quota back sooner than it really comes back), and each is at
 * most 999 999 999 999 999 (15 digits, RFC 9651).
 */

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

/** The `RateLimit` value for one decision: `"name";r=<remaining>;t=<seconds to full reset>`. */
export function rateLimitItem(quotedName: string, decision: Decision): string {
  return `${quotedName};r=${integer(decision.remaining)};t=${seconds(decision.resetMs)}`;
}

/** `Retry-After` in whole seconds: ceil of `retryAfterMs / 1000`, and at least 1. */
export function retryAfterSeconds(decision: Decision): number {
  const s = seconds(decision.retryAfterMs);
  return Math.max(s, 1);
}
