/**
 * The default rate-limit key: the client's IP address.
 *
 * By default it is the address of the TCP peer (`req.socket.remoteAddress`), which a client cannot
 * forge. `X-Forwarded-For` is read only when `trustProxy` says how far to trust it, because any
 * client can send that header: trusting it blindly lets every request pick its own key and walk
 * around the limit.
 *
 * - `false` / `0` (default): the socket's peer address.
 * - `n` (an integer >= 1): `n` proxies of yours sit in front of the server. The hops are the
 *   `X-Forwarded-For` entries followed by the socket's address; the client is the entry `n` places
 *   from the right (each of your proxies appended the address it saw), or the leftmost when the
 *   list is shorter.
 * - `true`: the leftmost `X-Forwarded-For` entry. Only safe when a proxy you run overwrites the
 *   header on every request.
 */

import { describeValue } from '@bulwark/kernel';

/** How far `X-Forwarded-For` is trusted; see the module comment. */
export type TrustProxy = boolean | number;

/** Validates a `trustProxy` option; throws naming it. */
export function checkTrustProxy(value: unknown): TrustProxy {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'number') {
    throw new TypeError(
      `trustProxy must be a boolean or an integer >= 0, got ${describeValue(value)}`,
    );
  }
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`trustProxy must be a boolean or an integer >= 0, got ${value}`);
  }
  return value;
}

/**
 * The client address from the socket's peer address and the `X-Forwarded-For` header value(s),
 * per `trustProxy`. `undefined` when neither gives one.
 */
export function clientIp(
  socketAddress: string | undefined,
  forwardedFor: string | readonly string[] | null | undefined,
  trustProxy: TrustProxy,
): string | undefined {
  if (trustProxy === false || trustProxy === 0 || forwardedFor == null) return socketAddress;
  const joined = typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',');
  const hops: string[] = [];
  for (const part of joined.split(',')) {
    const hop = part.trim();
    if (hop !== '') hops.push(hop);
  }
  if (hops.length === 0) return socketAddress;
  if (trustProxy === true) return hops[0];
  if (socketAddress !== undefined) hops.push(socketAddress);
  const index = hops.length - 1 - trustProxy;
  return hops[Math.max(index, 0)];
}
