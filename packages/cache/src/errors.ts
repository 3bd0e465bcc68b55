import { BulwarkError } from '@bulwark/kernel';

/**
 * A load ran past `hardTimeoutMs`: every caller waiting for it rejects with this error (unless a
 * stale value may be served instead, see `staleIfErrorMs`), and the loader's signal is aborted
 * with it, since nobody waits for the load any more. Code `BULWARK_CACHE_TIMEOUT`.
 */
export class TimeoutError extends BulwarkError {
  /** The key whose load timed out. */
  readonly key: string;
  /** The `hardTimeoutMs` that passed. */
  readonly timeoutMs: number;

  /** `key` whose load ran past `timeoutMs`. */
  constructor(key: string, timeoutMs: number) {
    super('BULWARK_CACHE_TIMEOUT', `loading ${JSON.stringify(key)} took over ${timeoutMs} ms`);
    this.key = key;
    this.timeoutMs = timeoutMs;
  }
}
