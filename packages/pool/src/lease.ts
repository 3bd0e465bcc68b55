import type { Entry } from './entry.js';
import { AlreadyReleasedError } from './errors.js';

/** What a lease calls back into; implemented by the pool. @internal */
export interface LeaseOwner<T> {
  returnEntry(entry: Entry<T>): void;
  destroyEntry(entry: Entry<T>): Promise<void>;
}

/**
 * A borrowed resource. Give it back exactly once, with `release()` (the resource is fine) or
 * `destroy()` (it is broken); either a second time throws {@link AlreadyReleasedError}.
 * `await using lease = await pool.acquire()` releases it at the end of the block unless it was
 * already released or destroyed.
 */
export class Lease<T> {
  /** The resource. */
  readonly value: T;
  #owner: LeaseOwner<T>;
  #entry: Entry<T>;
  #released = false;

  /** @internal Leases come from `pool.acquire()`. */
  constructor(owner: LeaseOwner<T>, entry: Entry<T>) {
    this.#owner = owner;
    this.#entry = entry;
    this.value = entry.resource;
  }

  /** True once `release()` or `destroy()` was called. */
  get released(): boolean {
    return this.#released;
  }

  /** Give the resource back for reuse. Throws {@link AlreadyReleasedError} the second time. */
  release(): void {
    if (this.#released) throw new AlreadyReleasedError('this lease');
    this.#released = true;
    this.#owner.returnEntry(this.#entry);
  }

  /**
   * Give the resource back as broken: the pool destroys it and frees its slot. The promise
   * settles when `destroy` has finished (it never rejects; a failing `destroy` is reported as a
   * `destroyError` event). Throws {@link AlreadyReleasedError} if already released.
   */
  destroy(): Promise<void> {
    if (this.#released) throw new AlreadyReleasedError('this lease');
    this.#released = true;
    return this.#owner.destroyEntry(this.#entry);
  }

  /** Release unless already released or destroyed (so it composes with an explicit `destroy()`). */
  [Symbol.asyncDispose](): Promise<void> {
    if (!this.#released) this.release();
    return Promise.resolve();
  }
}
