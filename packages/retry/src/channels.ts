import { channel } from 'node:diagnostics_channel';

/**
 * `node:diagnostics_channel` channels this package publishes on, so metrics and tracing can
 * subscribe without a dependency. Messages are built only while a channel has subscribers.
 */
export const channels = {
  /** A {@link RetryEvent} before each wait for a retry. */
  retry: channel('bulwark:retry:retry'),
  /** A {@link GiveUpEvent} whenever `onGiveUp` is called. */
  giveUp: channel('bulwark:retry:give-up'),
  /** `{ name, timeoutMs }` when a timeout fires (`name`: the timeout policy's). */
  timeout: channel('bulwark:retry:timeout'),
} as const;
