import { channel } from 'node:diagnostics_channel';

/**
 * `node:diagnostics_channel` channels every cache publishes on, so metrics and tracing can
 * subscribe without a dependency. Each message carries `name` (the cache's `name` option) first.
 * Messages are built only while a channel has subscribers.
 */
export const channels = {
  /** `{ name, key, durationMs, ok, error? }` after every loader call. */
  load: channel('bulwark:cache:load'),
  /** `{ name, key, reason }` when a stale value is served (`'revalidate'`, `'error'` or `'soft-timeout'`). */
  stale: channel('bulwark:cache:stale'),
  /** `{ name, key, remainingMs }` when XFetch starts a refresh before the entry expires. */
  earlyRefresh: channel('bulwark:cache:early-refresh'),
  /** `{ name, key, timeoutMs }` when a load runs past `hardTimeoutMs`. */
  timeout: channel('bulwark:cache:timeout'),
  /** `{ name, kind, key? , tag? }` for `delete` (`'key'`), `deleteByTag` (`'tag'`) and `clear` (`'all'`). */
  invalidate: channel('bulwark:cache:invalidate'),
  /** `{ name, operation, error }` when Redis fails (the `/redis` subpath); callers never see it. */
  storeError: channel('bulwark:cache:store-error'),
  /** `{ name, key, fence }` when a load's write to Redis is refused: its lease was lost (`/redis`). */
  fenced: channel('bulwark:cache:fenced'),
} as const;
