import { checkFunction } from '@bulwark/kernel';
import type { CircuitBreaker } from './circuit-breaker.js';

/**
 * One breaker per key (an origin, a tenant, a shard), made on first use by `create` and kept in a
 * Map. This is the shape an undici interceptor needs for a breaker per origin:
 *
 * ```ts
 * const breakerFor = breakerPerKey((origin) => new CircuitBreaker({ name: origin, openMs: 5_000 }));
 * await breakerFor('https://api.example.com').execute(({ signal }) => request(url, { signal }));
 * ```
 *
 * The returned function also has `breakers` (the live Map, for stats) and `delete(key)`.
 */
export function breakerPerKey<B extends Pick<CircuitBreaker, 'execute'> = CircuitBreaker>(
  create: (key: string) => B,
): BreakerPerKey<B> {
  checkFunction('create', create);
  const breakers = new Map<string, B>();
  const breakerFor = ((key: string): B => {
    let breaker = breakers.get(key);
    if (breaker === undefined) {
      breaker = create(key);
      breakers.set(key, breaker);
    }
    return breaker;
  }) as BreakerPerKey<B>;
  Object.defineProperty(breakerFor, 'breakers', { value: breakers });
  breakerFor.delete = (key: string) => breakers.delete(key);
  return breakerFor;
}

/** What {@link breakerPerKey} returns: call it with a key to get that key's breaker. */
export interface BreakerPerKey<B> {
  (key: string): B;
  /** Every breaker made so far, by key. */
  readonly breakers: ReadonlyMap<string, B>;
  /** Forget the breaker of `key` (the next call makes a fresh one); true if there was one. */
  delete(key: string): boolean;
}
