// Public API of @bulwark/cache.
export { isBulwarkError } from '@bulwark/kernel';
export {
  Cache,
  CacheClosedError,
  type CacheStats,
  type GetOptions,
  type SetOptions,
} from './cache.js';
export { channels } from './channels.js';
export { createCache } from './create-cache.js';
export { TimeoutError } from './errors.js';
export type { Loader, LoaderContext } from './load-context.js';
export type { CacheOptions, Clock, EarlyRefreshOptions, Eviction } from './options.js';
export { type DoOptions, SingleFlight } from './single-flight.js';
export { refreshesEarly } from './xfetch.js';
