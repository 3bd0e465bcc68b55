import { channel } from 'node:diagnostics_channel';

/**
 * The `node:diagnostics_channel` channels the pool publishes on, so tracing or metrics can
 * subscribe without a dependency. Messages carry `name` (the pool's `name` option) first, then the details.
 */
export const channels = {
  /** A lease held past `leakDetectionMs`, or collected unreleased: `{ name, report }`. */
  leak: channel('bulwark:pool:leak'),
  /** An `acquire` timed out: `{ name, waitedMs }`. */
  timeout: channel('bulwark:pool:timeout'),
  /** `create` failed or timed out: `{ name, error }`. */
  createError: channel('bulwark:pool:create-error'),
  /** `destroy` failed or timed out: `{ name, error }`. */
  destroyError: channel('bulwark:pool:destroy-error'),
} as const;
