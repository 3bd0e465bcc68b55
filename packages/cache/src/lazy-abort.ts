/**
 * The abort side of one flight, whose AbortController (a few µs to make, on some machines as
 * much as a whole Redis GET) is made only when someone asks for the signal: a load answered from
 * Redis never does. Aborting before that is remembered and handed to the signal when it is made.
 * @internal
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  /** The signal, made on first use (already aborted when `abort` came first). */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** True once `abort` was called. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** What `abort` was called with. */
  get reason(): unknown {
    return this.#reason;
  }

  /** Aborts (once): the signal, if made, aborts with `reason`. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
