// Callers of `pool.ready()`: waiting until `min` resources exist. They are few and rare (at
// start-up), so a plain array; each settles exactly once, and an aborted one leaves at once.

/** One `ready()` call. Also its own abort listener (`handleEvent`). */
class ReadyWaiter {
  constructor(
    readonly owner: ReadyWaiters,
    readonly resolve: () => void,
    readonly reject: (reason: unknown) => void,
    readonly signal: AbortSignal | undefined,
  ) {}

  handleEvent(): void {
    this.owner.leave(this);
    this.reject(this.signal!.reason);
  }
}

export class ReadyWaiters {
  #waiters: ReadyWaiter[] = [];

  /** Whether anyone waits (so the pool checks `min` only then). */
  get size(): number {
    return this.#waiters.length;
  }

  /** Wait; the promise settles through `resolveAll`, `rejectAll` or the signal. */
  wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter = new ReadyWaiter(this, resolve, reject, signal);
      this.#waiters.push(waiter);
      signal?.addEventListener('abort', waiter, { once: true });
    });
  }

  /** @internal An aborted waiter leaves. */
  leave(waiter: ReadyWaiter): void {
    const at = this.#waiters.indexOf(waiter);
    if (at >= 0) this.#waiters.splice(at, 1);
  }

  resolveAll(): void {
    for (const waiter of this.#take()) waiter.resolve();
  }

  rejectAll(reason: unknown): void {
    for (const waiter of this.#take()) waiter.reject(reason);
  }

  #take(): ReadyWaiter[] {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.signal?.removeEventListener('abort', waiter);
    return waiters;
  }
}
