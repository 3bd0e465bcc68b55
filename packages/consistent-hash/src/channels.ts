// Events on node:diagnostics_channel, so metrics and tracing can subscribe without a dependency.
import { channel } from 'node:diagnostics_channel';

/**
 * The package's diagnostics channels:
 * - `bulwark:consistent-hash:add` — `{ ring, node, weight }` when a node is added or re-weighted;
 * - `bulwark:consistent-hash:remove` — `{ ring, node }` when a node is removed;
 * - `bulwark:consistent-hash:move` — `{ loads, key, from, to }` when bounded loads move an
 *   assigned key (`to` is undefined when the last node left).
 */
export const diagnosticsChannel = {
  /** A node was added to a ring or re-weighted: `{ ring, node, weight }`. */
  add: channel('bulwark:consistent-hash:add'),
  /** A node was removed from a ring: `{ ring, node }`. */
  remove: channel('bulwark:consistent-hash:remove'),
  /** Bounded loads moved an assigned key: `{ loads, key, from, to }`; `to` undefined: no nodes. */
  move: channel('bulwark:consistent-hash:move'),
} as const;
