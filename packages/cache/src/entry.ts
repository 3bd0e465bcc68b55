// One cached value and the times that decide how a `get` treats it. All times are on the cache's
// clock: fresh until `freshUntil`; then served at once while a refresh runs until `staleUntil`
// (stale-while-revalidate); served in place of a failed load until `errorUntil` (stale-if-error).

/** A cached value with its timing. @internal */
export interface Entry<V> {
  /** The value; `undefined` for a cached error. */
  readonly value: V;
  /** True when this entry caches a loader error (`negativeTtlMs`): `error` is rethrown. */
  readonly failed: boolean;
  /** The cached error when `failed`. */
  readonly error: unknown;
  readonly freshUntil: number;
  readonly staleUntil: number;
  readonly errorUntil: number;
  /** How long the load that produced the value took (0 for `set`): XFetch's δ. */
  readonly deltaMs: number;
  /** Tags for `deleteByTag`. */
  readonly tags: readonly string[] | undefined;
  /** The Redis write's fencing token (its version there); 0 when the value never went through Redis. */
  readonly fence: number;
  /**
   * `Promise.resolve(value)`, made at the first hit and handed to every hit after it: a promise
   * settled once can be awaited by any number of callers, and a hit then allocates nothing.
   */
  resolved?: Promise<V>;
}

/** The windows after `ttlMs` an entry is kept for. @internal */
export interface StaleWindows {
  staleWhileRevalidateMs: number;
  staleIfErrorMs: number;
}

/** An entry for `value`, fresh for `ttlMs` from `now`. @internal */
export function freshEntry<V>(
  value: V,
  now: number,
  ttlMs: number,
  windows: StaleWindows,
  deltaMs: number,
  tags: readonly string[] | undefined,
  fence = 0,
): Entry<V> {
  const freshUntil = now + ttlMs;
  return {
    value,
    failed: false,
    error: undefined,
    freshUntil,
    staleUntil: freshUntil + windows.staleWhileRevalidateMs,
    errorUntil: freshUntil + windows.staleIfErrorMs,
    deltaMs,
    tags,
    fence,
  };
}

/** An entry caching a loader error for `ttlMs`; never served stale. @internal */
export function failedEntry<V>(
  error: unknown,
  now: number,
  ttlMs: number,
  deltaMs: number,
): Entry<V> {
  const freshUntil = now + ttlMs;
  return {
    value: undefined as V,
    failed: true,
    error,
    freshUntil,
    staleUntil: freshUntil,
    errorUntil: freshUntil,
    deltaMs,
    tags: undefined,
    fence: 0,
  };
}

/** When an entry stops being of any use, as a time on the cache's clock. @internal */
export function keptUntil(entry: Entry<unknown>): number {
  return Math.max(entry.staleUntil, entry.errorUntil);
}
