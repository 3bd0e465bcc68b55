import { typeError } from '@bulwark/kernel';
import { checkTtl } from './options.js';

/**
 * What a loader receives: the key, a signal, the stale value if one is held, and setters by which
 * the value chooses its own TTL and tags (adaptive caching).
 */
export interface LoaderContext<V> {
  /** The key being loaded. */
  readonly key: string;
  /**
   * Aborts when nobody waits for this load any more (every caller aborted or left) or when it
   * ran past `hardTimeoutMs`. Pass it on to `fetch`, the database driver, and so on.
   */
  readonly signal: AbortSignal;
  /** The value held before this load (expired, or being refreshed), or `undefined`. */
  readonly stale: V | undefined;
  /** Makes the loaded value fresh for `ms` (> 0; `Infinity`: forever) instead of the TTL in force. */
  setTtl(ms: number): void;
  /** Tags the loaded value, replacing tags given to `get`, for `deleteByTag`. */
  setTags(tags: readonly string[]): void;
}

/** A loader: resolves the value of `context.key`, or rejects. */
export type Loader<V> = (context: LoaderContext<V>) => V | PromiseLike<V>;

/** The context handed to one loader call; what it was told is read back after the load. @internal */
export class LoadContext<V> implements LoaderContext<V> {
  readonly key: string;
  readonly stale: V | undefined;
  ttlMs: number;
  tags: readonly string[] | undefined;

  // Where the signal comes from: read only when the loader asks (see LazyAbort).
  readonly #source: { readonly signal: AbortSignal };

  constructor(
    key: string,
    source: { readonly signal: AbortSignal },
    stale: V | undefined,
    ttlMs: number,
    tags: readonly string[] | undefined,
  ) {
    this.key = key;
    this.#source = source;
    this.stale = stale;
    this.ttlMs = ttlMs;
    this.tags = tags;
  }

  get signal(): AbortSignal {
    return this.#source.signal;
  }

  setTtl(ms: number): void {
    this.ttlMs = checkTtl('setTtl(ms)', ms);
  }

  setTags(tags: readonly string[]): void {
    this.tags = checkTags('setTags(tags)', tags);
  }
}

/** An array of non-empty strings, copied so later edits by the caller do not reach the cache. @internal */
export function checkTags(name: string, tags: unknown): readonly string[] {
  if (!Array.isArray(tags)) typeError(name, 'an array of non-empty strings', tags);
  for (const tag of tags as unknown[])
    if (typeof tag !== 'string' || tag.length === 0)
      typeError(name, 'an array of non-empty strings', tags);
  return Object.freeze([...(tags as string[])]);
}
