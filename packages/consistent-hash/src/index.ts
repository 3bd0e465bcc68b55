// Public API of @bulwark/consistent-hash.
export { type BulwarkError, isBulwarkError } from '@bulwark/kernel';
export {
  BoundedLoads,
  type BoundedLoadsOptions,
  type BoundedLoadsStats,
} from './bounded-loads.js';
export { channels, diagnosticsChannel } from './channels.js';
export { type HashKey, hash32, hashWord } from './hash.js';
export {
  type AddNodeOptions,
  HashRing,
  type HashRingOptions,
  type HashRingStats,
} from './hash-ring.js';
export { jumpHash } from './jump.js';
export { type KetamaLayout, ketamaDigests, ketamaHash, ketamaPoints } from './ketama.js';
export { Maglev, type MaglevOptions, type MaglevStats } from './maglev.js';
export type { NodeId } from './node-id.js';
export { Rendezvous, type RendezvousOptions, type RendezvousStats } from './rendezvous.js';
