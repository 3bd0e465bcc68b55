// The store for one process: a Map of records, each expiring on the kernel clock, bounded by
// maxKeys (the oldest claimed record goes first). Every method is synchronous, so with this store
// the middleware decides in the same tick.

import {
  type Clock,
  callListener,
  checkClock,
  checkInteger,
  checkKnownKeys,
  checkObject,
  systemClock,
  VOCABULARY_RENAMES,
} from '@bulwark/kernel';
import type { ClaimResult, IdempotencyStore, RecordedResponse } from './types.js';

/** Options of {@link MemoryIdempotencyStore}. */
export interface MemoryIdempotencyStoreOptions {
  /**
   * Most records kept; claiming a new key beyond it forgets the oldest claimed one (a forgotten
   * running request can then no longer record: its complete is fenced out). Default 10 000.
   */
  maxKeys?: number;
  /** Time source, in ms. Default the kernel's system clock. */
  clock?: Clock;
}

/** `stats()` of a {@link MemoryIdempotencyStore}. */
export interface MemoryIdempotencyStoreStats {
  /** Records held now (expired ones included until they are next seen or pruned). */
  keys: number;
  /** Records forgotten to stay within `maxKeys`. */
  evicted: number;
}

// One record: a running lease, or a recorded response (released leases are simply deleted, since
// tokens come from one counter for the whole store and never repeat).
interface Entry {
  running: boolean;
  fingerprint: string;
  token: number;
  leaseUntil: number;
  expiresAt: number;
  // The claim answer of a completed record, built once and handed to every replay.
  completed: ClaimResult | undefined;
}

const KNOWN = new Set(['maxKeys', 'clock']);

/** An {@link IdempotencyStore} in memory, for one process. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #entries = new Map<string, Entry>();
  readonly #maxKeys: number;
  readonly #clock: Clock;
  #lastToken = 0;
  #evicted = 0;
  // Where eviction stopped, kept between evictions: see #evictOldest.
  #oldest: Iterator<[string, Entry]> | undefined;
  // onSettled listeners by key; empty unless a duplicate waits, so the hot path checks its size.
  readonly #listeners = new Map<string, Set<() => void>>();

  /** See {@link MemoryIdempotencyStoreOptions}. */
  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    checkObject('options', options);
    checkKnownKeys(options, KNOWN, 'new MemoryIdempotencyStore(options)', VOCABULARY_RENAMES);
    this.#maxKeys =
      options.maxKeys === undefined ? 10_000 : checkInteger('maxKeys', options.maxKeys, 1);
    this.#clock = options.clock === undefined ? systemClock : checkClock('clock', options.clock);
  }

  /** See {@link IdempotencyStore.claim}. */
  claim(key: string, fingerprint: string, leaseMs: number, ttlMs: number): ClaimResult {
    const now = this.#clock.now();
    const entry = this.#live(key, now);
    if (entry !== undefined) {
      if (entry.completed !== undefined) return entry.completed;
      if (entry.leaseUntil > now)
        return {
          state: 'running',
          fingerprint: entry.fingerprint,
          leaseRemainingMs: entry.leaseUntil - now,
        };
      this.#entries.delete(key); // an expired lease: taken over below, as the newest record
    }
    const token = ++this.#lastToken;
    this.#entries.set(key, {
      running: true,
      fingerprint,
      token,
      leaseUntil: now + leaseMs,
      expiresAt: now + Math.max(ttlMs, leaseMs),
      completed: undefined,
    });
    if (this.#entries.size > this.#maxKeys) this.#evictOldest(now);
    return { state: 'claimed', token };
  }

  /** See {@link IdempotencyStore.complete}. */
  complete(key: string, token: number, response: RecordedResponse, ttlMs: number): boolean {
    const now = this.#clock.now();
    const entry = this.#live(key, now);
    if (entry === undefined || !entry.running || entry.token !== token) return false;
    entry.running = false;
    entry.expiresAt = now + ttlMs;
    entry.completed = { state: 'completed', fingerprint: entry.fingerprint, response };
    if (this.#listeners.size !== 0) this.#announce(key);
    return true;
  }

  /** See {@link IdempotencyStore.release}. */
  release(key: string, token: number): boolean {
    const entry = this.#live(key, this.#clock.now());
    if (entry === undefined || !entry.running || entry.token !== token) return false;
    this.#entries.delete(key);
    if (this.#listeners.size !== 0) this.#announce(key);
    return true;
  }

  /**
   * See {@link IdempotencyStore.onSettled}: `listener` is called synchronously by every
   * `complete` or `release` that changed `key`, and when a running `key` is forgotten to stay
   * within `maxKeys`.
   */
  onSettled(key: string, listener: () => void): () => void {
    let listeners = this.#listeners.get(key);
    if (listeners === undefined) {
      listeners = new Set();
      this.#listeners.set(key, listeners);
    }
    // A wrapper per call, so the same function registered twice is stopped once per registration.
    const registered = () => listener();
    listeners.add(registered);
    return () => {
      if (!listeners.delete(registered) || listeners.size !== 0) return;
      if (this.#listeners.get(key) === listeners) this.#listeners.delete(key);
    };
  }

  /** Drops every expired record now. */
  prune(): void {
    const now = this.#clock.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  /** Record count and evictions. */
  stats(): MemoryIdempotencyStoreStats {
    return { keys: this.#entries.size, evicted: this.#evicted };
  }

  /** Forgets every record. */
  close(): Promise<void> {
    this.#entries.clear();
    this.#oldest = undefined;
    return Promise.resolve();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #announce(key: string): void {
    const listeners = this.#listeners.get(key);
    if (listeners === undefined) return;
    for (const listener of [...listeners]) callListener(listener, undefined);
  }

  #live(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt > now) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  // Over maxKeys: the oldest claimed record goes (counted as evicted unless it had expired
  // anyway). The Map's order is claim order (a take-over deletes and re-inserts), so the oldest is
  // the first record left. One iterator serves every eviction: it deletes each record it passes,
  // so no record is ever behind it, and it never walks again over the slots of records deleted
  // before — a fresh scan from the front would, until the Map compacts, which cost tens of
  // microseconds per claim once a store was full.
  #evictOldest(now: number): void {
    while (this.#entries.size > this.#maxKeys) {
      let next = this.#oldest?.next();
      if (next === undefined || next.done === true) {
        this.#oldest = this.#entries.entries();
        next = this.#oldest.next();
        if (next.done === true) return;
      }
      const [key, entry] = next.value;
      this.#entries.delete(key);
      if (entry.expiresAt > now) this.#evicted++;
      if (entry.running && this.#listeners.size !== 0) this.#announce(key);
    }
  }
}
