import { channel } from 'node:diagnostics_channel';

/**
 * `node:diagnostics_channel` channels every breaker publishes on, so metrics and tracing can
 * subscribe without a dependency. Messages have the shape of {@link StateChange} and
 * {@link CallEvent}. Call messages are built only while the channel has subscribers.
 */
export const channels = {
  /** A {@link StateChange} on every transition. */
  stateChange: channel('bulwark:circuit-breaker:state-change'),
  /** A {@link CallEvent} for every finished or rejected call. */
  call: channel('bulwark:circuit-breaker:call'),
  /** `{ name, error, decision }` when a shared-state store fails (the `/redis` subpath). */
  storeError: channel('bulwark:circuit-breaker:store-error'),
} as const;
