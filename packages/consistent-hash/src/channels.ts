// Events on node:diagnostics_channel, so metrics and tracing can subscribe without a dependency.
import { channel } from 'node:diagnostics_channel';

/**
 * The package's diagnostics channels; every message carries the instance's `name` option first:
 * - `bulwark:consistent-hash:add` — `{ name, node, weight }` when a node is added to a
 *   `HashRing`, `Rendezvous`, `Maglev` or `BoundedLoads` (its ring), or re-weighted;
 * - `bulwark:consistent-hash:remove` — `{ name, node }` when a node is removed;
 * - `bulwark:consistent-hash:move` — `{ name, key, from, to }` when bounded loads move an
 *   assigned key (`to` is undefined when the last node left).
 */
export const channels = {
  /** A node was added or re-weighted: `{ name, node, weight }`. */
  add: channel('bulwark:consistent-hash:add'),
  /** A node was removed: `{ name, node }`. */
  remove: channel('bulwark:consistent-hash:remove'),
  /** Bounded loads moved an assigned key: `{ name, key, from, to }`; `to` undefined: no nodes. */
  move: channel('bulwark:consistent-hash:move'),
} as const;

/** @deprecated The same object as {@link channels}, under its old name. */
export const diagnosticsChannel = channels;
