// The shapes the core, the stores and the adapters share. A request and a response are plain data
// here: each adapter turns its framework's objects into these and back.

/**
 * A request as the core sees it, whatever the framework: the method, the path, the headers with
 * lower-case names (as node gives them) and the body bytes the default fingerprint hashes.
 */
export interface IdempotencyRequest {
  /** The HTTP method, in any case (`'POST'`). */
  readonly method: string;
  /** The path, with the query string if the fingerprint should cover it. */
  readonly path: string;
  /** Header values by lower-case name. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The request body bytes (empty when there is none). */
  readonly body: Uint8Array;
}

/**
 * A response kept for replay, or an error response the core answers with: the status, the
 * allow-listed headers as `[lower-case name, value]` pairs, and the body bytes exactly as sent.
 */
export interface RecordedResponse {
  /** The HTTP status code. */
  readonly status: number;
  /** Header pairs, lower-case names; a name may repeat (`set-cookie`). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The body bytes. */
  readonly body: Uint8Array;
}

/** What a store answers to a claim. */
export type ClaimResult =
  /** The caller now holds the key's lease; `token` is its fencing token. */
  | { readonly state: 'claimed'; readonly token: number }
  /** Another request holds a live lease on the key. */
  | {
      readonly state: 'running';
      /** The fingerprint of the request that holds the lease. */
      readonly fingerprint: string;
      /** Milliseconds until its lease expires. */
      readonly leaseRemainingMs: number;
    }
  /** A response was recorded for the key. */
  | {
      readonly state: 'completed';
      /** The fingerprint of the request whose response was recorded. */
      readonly fingerprint: string;
      /** The recorded response. */
      readonly response: RecordedResponse;
    };

/**
 * Where keys and responses live. Each method may answer synchronously (memory) or with a promise
 * (Redis); each is one atomic step on one key.
 *
 * The contract (checked by `@bulwark/idempotency/testing` against any store):
 * - `claim` on a key with no record, a released record, or a lease past its expiry takes a new
 *   lease with a fencing token greater than every token handed out for that key before, and keeps
 *   the record for `max(ttlMs, leaseMs)`; on a live lease it answers `running`; on a recorded
 *   response (until `ttlMs` after it was recorded) it answers `completed`.
 * - `complete` records the response only while the record is still the lease of `token` (even
 *   past the lease's expiry, as long as nobody claimed it since); otherwise it changes nothing and
 *   answers false, so a request whose lease was taken over cannot overwrite the newer record.
 * - `release` frees the lease of `token` (false, and no change, when that lease is gone).
 * - `onSettled` (optional): see its own description.
 */
export interface IdempotencyStore {
  /** Takes the lease on `key` for `leaseMs`, or reports who has it or what was recorded. */
  claim(
    key: string,
    fingerprint: string,
    leaseMs: number,
    ttlMs: number,
  ): ClaimResult | Promise<ClaimResult>;
  /** Records `response` for `ttlMs` if `token` still holds the lease; true when recorded. */
  complete(
    key: string,
    token: number,
    response: RecordedResponse,
    ttlMs: number,
  ): boolean | Promise<boolean>;
  /** Frees the lease of `token` so the next claim runs; true when it was still held. */
  release(key: string, token: number): boolean | Promise<boolean>;
  /**
   * Optional: calls `listener` when `key` may have settled, so a duplicate waiting under
   * `onConcurrent: 'wait'` looks again at once instead of at its next poll. Called after every
   * `complete` or `release` of the key that changed it (by any process sharing the store) and,
   * for a store that hears of them over a connection, once each time listening starts or is
   * restored (what happened before could not be heard). It may be called when nothing changed;
   * a listener only looks again. Returns the function that stops listening. A store without it
   * is polled every `waitIntervalMs`.
   */
  onSettled?(key: string, listener: () => void): () => void;
}
