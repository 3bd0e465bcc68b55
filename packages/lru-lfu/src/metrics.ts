// The metrics channel, as lru-cache has one: every get, set and removal of every cache, for
// hit-ratio and eviction dashboards that subscribe without a dependency. A message is built only
// while the channel has subscribers; unobserved, a call pays one `hasSubscribers` read.

import { channel } from 'node:diagnostics_channel';
import type { EvictionReason } from './options.js';

/** `bulwark:lru-lfu:metrics`: a {@link MetricsEvent} per cache operation while subscribed. */
export const metricsChannel = channel('bulwark:lru-lfu:metrics');

/**
 * A message on `bulwark:lru-lfu:metrics`:
 * - `op: 'get'`, `result` `'hit'`, `'miss'` or `'expired'` (found, but its TTL had run out);
 * - `op: 'set'`, `result` `'add'`, `'update'` or `'refused'` (heavier than `maxSize` alone);
 * - `op: 'remove'`, `result` the {@link EvictionReason} (`'evict'`, `'expire'`, `'delete'`, `'set'`),
 *   for every entry that leaves the cache but those `clear()` drops.
 */
export type MetricsEvent =
  | { name: string; op: 'get'; key: unknown; result: 'hit' | 'miss' | 'expired' }
  | { name: string; op: 'set'; key: unknown; result: 'add' | 'update' | 'refused' }
  | { name: string; op: 'remove'; key: unknown; result: EvictionReason };

/** Publishes one event; callers check `metricsChannel.hasSubscribers` first. @internal */
export function publishMetric<E extends MetricsEvent>(
  name: string,
  op: E['op'],
  key: unknown,
  result: E['result'],
): void {
  metricsChannel.publish({ name, op, key, result });
}
